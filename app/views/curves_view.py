"""Learning curves and traces of every scalar metric, grouped into stacked plots by meaning.

Metric names come from the learners (documented in the README).  They are grouped by name:
log-likelihoods and the EM bound, energies, magnetisation, overlaps, errors/gaps, and the rest.
``exact_<name>`` metrics (e.g. Onsager's ``exact_energy``) are drawn as dashed reference lines
in the colour of ``<name>``.

Each curve item is created once and updated with ``setData``.  Points are stored in bounded
arrays: past ``MAX_POINTS`` every other stored point is dropped, so memory stays flat in a long
run while the curve keeps its shape.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt

from .. import theme
from .base import View, style_plot

MAX_POINTS = 4000

#: (group id, plot title, y label, test on the metric name), first match wins
GROUPS = [
    ("ll", "Log-likelihood", "nats / sample",
     lambda m: m in ("bound", "ll", "train_ll", "val_ll", "objective") or m.endswith(("_ll", "_pll"))
     or "likelihood" in m or m.endswith("bound")),
    ("energy", "Energy", "energy", lambda m: "energy" in m and "free_energy" not in m),
    ("magnetization", "Magnetisation per spin", "m",
     lambda m: "magnet" in m or m in ("m", "abs_m")),
    ("overlap", "Overlap with the stored patterns", "m_μ", lambda m: "overlap" in m),
    ("error", "Errors", "", lambda m: any(s in m for s in ("error", "residual", "noise"))),
    ("fit", "Model-vs-data correlation fit", "", lambda m: "pearson" in m or "slope" in m),
    ("gap", "Gaps", "nats", lambda m: any(s in m for s in ("gap", "gain", "loss", "diff"))),
    ("other", "Other metrics", "", lambda m: True),
]

PRETTY = {
    "train_ll": "train", "val_ll": "validation", "bound": "bound −F_q(θ)",
    "energy": "energy", "magnetization": "m", "abs_magnetization": "|m|",
    "recon_error": "reconstruction error", "free_energy_gap": "free-energy gap (val − train)",
    "max_moment_error": "max |Δ moment|", "normalized_error": "max error / sampling noise",
    "corr_pearson": "Pearson r", "corr_slope": "slope", "kl_gap": "KL(q ‖ p) gap",
    "objective": "objective", "abs_m": "|m|",
}

#: metrics that are bookkeeping rather than curves
SKIP = {"diverged", "converged", "epoch", "step", "learning_rate", "temperature"}


def group_of(name: str) -> str:
    base = name[6:] if name.startswith("exact_") else name
    for gid, _, _, test in GROUPS:
        if test(base):
            return gid
    return "other"


class _Series:
    """A bounded, growing (x, y) buffer and its curve item."""

    def __init__(self, curve):
        self.curve = curve
        self.x = np.empty(256)
        self.y = np.empty(256)
        self.n = 0
        self.dirty = False

    def append(self, x, y):
        if self.n == len(self.x):
            if self.n >= MAX_POINTS:
                # halve the resolution of what is stored: bounded memory, same shape
                keep = slice(0, self.n, 2)
                k = len(range(*keep.indices(self.n)))
                self.x[:k], self.y[:k] = self.x[keep].copy(), self.y[keep].copy()
                self.n = k
            else:
                self.x = np.resize(self.x, 2 * len(self.x))
                self.y = np.resize(self.y, 2 * len(self.y))
        self.x[self.n] = x
        self.y[self.n] = y
        self.n += 1
        self.dirty = True

    def flush(self):
        if self.dirty:
            self.curve.setData(self.x[:self.n], self.y[:self.n])
            self.dirty = False


class CurvesView(View):
    name = "curves"
    title = "Learning curves"

    def __init__(self, parent=None):
        super().__init__(parent=parent)
        self.plots: dict[str, pg.PlotItem] = {}
        self.series: dict[str, _Series] = {}
        self._colour_count: dict[str, int] = {}
        self._pending_order: list[str] = []
        self.set_caption("x axis: training step")

    @staticmethod
    def accepts(snap) -> bool:
        return False   # fed with metric points, not snapshots

    def set_kind(self, kind: str) -> None:
        self.kind = kind
        self.set_title({"ising": "Energy and magnetisation traces",
                        "hopfield": "Recall traces"}.get(kind, "Learning curves"))
        self.set_caption("x axis: lattice sweeps × sweeps per step" if kind == "ising"
                         else "x axis: training step")

    def has_data(self) -> bool:
        return bool(self.series)

    def update_snapshot(self, snap) -> None:
        pass

    def clear(self):
        for s in self.series.values():
            s.curve.setData([], [])
        self.series.clear()
        for p in self.plots.values():
            self.canvas.removeItem(p)
        self.plots.clear()
        self._colour_count.clear()

    # ------------------------------------------------------------------
    def _plot(self, gid) -> pg.PlotItem:
        plot = self.plots.get(gid)
        if plot is None:
            _, title, ylabel, _ = next(g for g in GROUPS if g[0] == gid)
            if gid == "energy" and getattr(self, "kind", "") == "ising":
                title, ylabel = "Energy per spin", "E / N"
            elif gid == "energy" and getattr(self, "kind", "") == "hopfield":
                title, ylabel = "Energy E(s) = −½ sᵀJs", "E"
            order = [g[0] for g in GROUPS]
            self.plots[gid] = None
            # re-add in the canonical order so the stack is always ll, energy, m, ...
            for p in self.plots.values():
                if p is not None:
                    self.canvas.removeItem(p)
            plot = pg.PlotItem()
            style_plot(plot, xlabel="step", ylabel=ylabel)
            plot.setTitle(title, size=theme.title_size(), color=theme.INK)
            plot.addLegend(offset=(-10, 10), labelTextColor=theme.INK,
                           brush=pg.mkBrush(255, 255, 255, 200), labelTextSize="9pt" if not
                           theme.is_presentation() else "13pt")
            plot.setClipToView(True)
            self.plots[gid] = plot
            for i, g in enumerate(sorted(self.plots, key=order.index)):
                self.canvas.addItem(self.plots[g], row=i, col=0)
            first = self.plots[sorted(self.plots, key=order.index)[0]]
            for g, p in self.plots.items():
                if p is not first:
                    p.setXLink(first)
        return plot

    def _series(self, name) -> _Series:
        s = self.series.get(name)
        if s is None:
            gid = group_of(name)
            plot = self._plot(gid)
            exact = name.startswith("exact_")
            base = name[6:] if exact else name
            if exact and base in self.series:
                colour = self.series[base].colour
            else:
                i = self._colour_count.get(gid, 0)
                self._colour_count[gid] = i + 1
                colour = theme.PALETTE[i % len(theme.PALETTE)]
            pen = pg.mkPen(colour, width=theme.pen_width(),
                           style=Qt.DashLine if exact else Qt.SolidLine)
            label = ("exact " + PRETTY.get(base, base)) if exact else PRETTY.get(name, name)
            if exact and base in ("energy", "magnetization", "abs_magnetization"):
                label = f"exact (Onsager/Yang, L→∞)"
            curve = plot.plot([], [], pen=pen, name=label, connect="finite")
            curve.setDownsampling(auto=True, method="peak")
            s = _Series(curve)
            s.colour = colour
            self.series[name] = s
        return s

    def add_points(self, points) -> None:
        """``points``: list of (step, epoch, metrics dict) from the worker, in order."""
        for step, _epoch, metrics in points:
            for name, value in metrics.items():
                if name in SKIP or value is None:
                    continue
                try:
                    v = float(value)
                except (TypeError, ValueError):
                    continue
                if math.isinf(v):
                    continue
                self._series(name).append(step, v)
        for s in self.series.values():
            s.flush()

    def latest(self) -> dict[str, float]:
        return {k: float(s.y[s.n - 1]) for k, s in self.series.items() if s.n}
