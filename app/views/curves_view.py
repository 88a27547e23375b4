"""Learning curves and traces of every scalar metric, grouped into stacked plots by meaning.

Metric names come from the learners (documented in the README).  They are grouped by name:
log-likelihoods and the EM bound, energies, magnetisation, overlaps, errors/gaps, and the rest.
``exact_<name>`` metrics (e.g. Onsager's ``exact_energy``) are drawn as dashed reference lines
in the colour of ``<name>``.

Each curve item is created once and updated with ``setData``.  Points are stored in bounded
arrays: past ``MAX_POINTS`` every other stored point is dropped, so memory stays flat in a long
run while the curve keeps its shape.

The y axis of each plot follows the data (:func:`y_range`), except that in a long run early
values (an RBM's pseudo-likelihood dipping to −4000 before it settles near −100) are left
off-scale when they would squash the recent curves into a flat line; the title then says so.
Zooming with the mouse hands the axis to the user until the plot's "A" button is pressed.
"""

from __future__ import annotations

import html
import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt

from .. import theme
from .base import View, style_plot

MAX_POINTS = 4000

#: (group id, plot title, y label, test on the metric name), first match wins
GROUPS = [
    ("mixing", "Chain mixing: split-R̂ (mixed < 1.1)", "R̂", lambda m: m.startswith("rhat_")),
    ("match", "Fantasy vs data: Wasserstein-1", "W₁", lambda m: m.startswith("w1_")),
    ("ll", "Log-likelihood", "nats / sample",
     lambda m: m in ("bound", "ll", "train_ll", "val_ll", "objective") or m.endswith(("_ll", "_pll"))
     or "likelihood" in m or m.endswith("bound")),
    ("energy", "Energy", "energy", lambda m: "energy" in m and "free_energy" not in m),
    ("magnetization", "Magnetisation per spin", "m",
     lambda m: "magnet" in m or m in ("m", "abs_m")),
    ("overlap", "Overlap with the stored patterns", "m_μ", lambda m: "overlap" in m),
    ("noise", "Error / noise (converged < 1)", "× noise",
     lambda m: "normalized" in m or "per_noise" in m or "noise" in m),
    ("error", "Errors", "", lambda m: any(s in m for s in ("error", "residual"))),
    ("fit", "Model-vs-data correlation fit", "", lambda m: "pearson" in m or "slope" in m),
    ("gap", "Gaps", "nats", lambda m: any(s in m for s in ("gap", "gain", "loss", "diff"))),
    ("contacts", "Contact prediction", "precision", lambda m: m == "contact_precision"),
    ("other", "Other metrics", "", lambda m: True),
]

PRETTY = {
    "train_ll": "train", "val_ll": "validation", "bound": "bound −F_q(θ)",
    "energy": "energy", "magnetization": "m", "abs_magnetization": "|m|",
    "recon_error": "reconstruction error", "free_energy_gap": "free-energy gap (val − train)",
    "max_moment_error": "max |Δ moment|", "normalized_error": "max error / sampling noise",
    "corr_pearson": "Pearson r", "corr_slope": "slope", "kl_gap": "KL(q ‖ p) gap",
    "objective": "objective (log posterior)", "abs_m": "|m|", "estep_gap": "E-step gap",
    "ll_gain": "ℓ gain per iteration", "max_overlap_other": "largest other overlap",
    "stable_patterns": "stable patterns", "flips": "flipped units per sweep",
    "max_cov_error": "max |Δ covariance|", "train_pll": "train pseudo-LL", "val_pll": "validation pseudo-LL",
    "contact_precision": "top-K contact precision", "coupling_error": "coupling error γ vs truth",
    "sites_fitted": "sites fitted (plmDCA)",
    "rhat_energy": "R̂ of energy", "rhat_m": "R̂ of m", "tau_m": "τ of m (steps)",
    "w1_energy": "W₁ of E/N", "w1_abs_m": "W₁ of |m|", "error_per_noise": "error / (data ⊕ MCMC noise)",
    "replicas": "tempering replicas", "swap_rate": "replica swap rate",
}

#: metrics that are bookkeeping rather than curves
SKIP = {"diverged", "converged", "epoch", "step", "learning_rate", "temperature", "verifying",
        "replicas", "tau_m"}


#: y_range: the recent part of a run is the last RECENT_FRACTION of its steps; earlier values
#: are left off-scale when showing them would squeeze the recent curves into less than
#: 1/SQUASH of the plot's height, and only in runs of at least MIN_STEPS steps (a Hopfield
#: recall or a short EM fit always shows everything)
RECENT_FRACTION = 0.5
SQUASH = 50.0
MIN_STEPS = 20


def y_range(xs, ys, run=None, recent_fraction=RECENT_FRACTION, squash=SQUASH,
            min_steps=MIN_STEPS, include=()) -> tuple[float, float, bool] | None:
    """The y range (lo, hi, early_off_scale) to show curves ``(xs[i], ys[i])`` (arrays).

    Normally min..max of every finite point (and of the values in ``include``) with a 6 %
    margin.  In a run spanning steps ``run`` = (first, last) (default: these curves' own) of at
    least ``min_steps`` steps, if the points of the last ``recent_fraction`` of the run span
    less than 1/``squash`` of the whole range, the range is the recent points' own with a margin
    of one recent span (at least 1 % of the whole range) on each side, so the recent curves fill
    up to a third of the height and their values can be read on the axis, and the flag says
    that earlier values are off-scale.
    None when there is nothing finite to show."""
    x_all = np.concatenate([np.asarray(x, dtype=float).ravel() for x in xs]) if xs else \
        np.empty(0)
    y_all = np.concatenate([np.asarray(y, dtype=float).ravel() for y in ys]) if ys else \
        np.empty(0)
    ok = np.isfinite(x_all) & np.isfinite(y_all)
    x_all, y_all = x_all[ok], y_all[ok]
    if not y_all.size:
        return None
    extra = [float(v) for v in include]
    lo, hi = min([float(y_all.min())] + extra), max([float(y_all.max())] + extra)
    span = hi - lo
    pad = 0.06 * span if span > 0 else max(0.5 * abs(hi), 0.5)
    x0, x1 = run if run is not None else (float(x_all.min()), float(x_all.max()))
    if x1 - x0 >= min_steps:
        recent = y_all[x_all >= x1 - recent_fraction * (x1 - x0)]
        if recent.size:
            rlo = min([float(recent.min())] + extra)
            rhi = max([float(recent.max())] + extra)
            rspan = max(rhi - rlo, 1e-9 * max(abs(rlo), abs(rhi), 1e-300))
            if span > squash * rspan:
                # at least 1 % of the whole range: a converged, flat tail is not blown up
                margin = max(rspan, 0.01 * span)
                return max(lo - pad, rlo - margin), min(hi + pad, rhi + margin), True
    return lo - pad, hi + pad, False


def group_of(name: str) -> str:
    base = name[6:] if name.startswith("exact_") else name
    for gid, _, _, test in GROUPS:
        if test(base):
            return gid
    return "other"


class _Series:
    """A bounded (x, y) buffer with a uniform stride, and its curve item.

    When the buffer is full every other stored point is dropped and from then on only every
    second offered point is kept (the stride doubles), so the stored history stays evenly
    spaced and memory stays bounded however long the run; the newest point is always drawn.
    """

    def __init__(self, curve, colour, label, exact):
        self.curve = curve
        self.colour, self.label, self.exact = colour, label, exact
        self.x = np.empty(256)
        self.y = np.empty(256)
        self.n = 0
        self.stride = 1
        self.offered = 0
        self.tail = None           # newest point when the stride skipped it
        self.dirty = False
        self.log = False

    def append(self, x, y):
        self.dirty = True
        keep = self.offered % self.stride == 0
        self.offered += 1
        if not keep:
            self.tail = (x, y)
            return
        self.tail = None
        if self.n == len(self.x):
            if self.n >= MAX_POINTS:
                k = (self.n + 1) // 2
                self.x[:k], self.y[:k] = self.x[:self.n:2].copy(), self.y[:self.n:2].copy()
                self.n = k
                self.stride *= 2
                self.offered = 1          # this point is kept; the next kept one is stride on
            else:
                self.x = np.resize(self.x, 2 * len(self.x))
                self.y = np.resize(self.y, 2 * len(self.y))
        self.x[self.n] = x
        self.y[self.n] = y
        self.n += 1

    def last(self):
        if self.tail is not None:
            return self.tail[1]
        return self.y[self.n - 1] if self.n else None

    def flush(self):
        if self.dirty:
            x, y = self.x[:self.n], self.y[:self.n]
            if self.tail is not None:
                x = np.append(x, self.tail[0])
                y = np.append(y, self.tail[1])
            if self.log:     # log axes: non-positive values have no place, leave a gap
                y = np.where(y > 0, y, np.nan)
            # a handful of points (an exact fit done in one step, a short EM run) would be an
            # invisible or unreadable line: mark each point
            few = len(x) <= 30
            if few != getattr(self, "_symbols", None):
                self._symbols = few
                if few:
                    self.curve.setSymbol("o")
                    self.curve.setSymbolSize(7)
                    self.curve.setSymbolBrush(self.colour)
                    self.curve.setSymbolPen(None)
                else:
                    self.curve.setSymbol(None)
            self.curve.setData(x, y)
            self.dirty = False


class ShortAxis(pg.AxisItem):
    """A value axis that labels at most one tick per ``LABEL_PX`` pixels: three stacked plots in
    half a window are ~60 px tall, where pyqtgraph puts at least three labels (its minimum number
    of intervals) and they run into an unreadable column."""

    LABEL_PX = 20

    def tickSpacing(self, minVal, maxVal, size):    # noqa: N802,N803 (pyqtgraph names)
        levels = super().tickSpacing(minVal, maxVal, size)
        dif = abs(maxVal - minVal)
        if not levels or dif == 0 or dif / levels[0][0] <= max(size / self.LABEL_PX, 2.0):
            return levels
        room = max(int(size // self.LABEL_PX), 2)
        step = 10.0 ** math.floor(math.log10(dif / room))
        # the widest round step that still puts a label well inside the range (labels at the
        # very ends are hidden by pyqtgraph)
        lo, hi = min(minVal, maxVal), max(minVal, maxVal)
        for m in (10, 5, 2, 1):
            sp = m * step
            first = math.ceil((lo + 0.1 * dif) / sp) * sp
            if first <= hi - 0.1 * dif:
                return [(sp, 0.0)]
        return [(step, 0.0)]


#: groups shown first for a kind (the rest follow in GROUPS order)
PRIORITY = {"hopfield": ("energy", "overlap"), "ising": ("energy", "magnetization")}
MAX_PLOTS = 3
LOG_GROUPS: set = set()     # log axes with < 1 decade show no tick labels


class CurvesView(View):
    name = "curves"
    title = "Learning curves"

    def __init__(self, parent=None):
        super().__init__(parent=parent)
        self.kind = ""
        self.plots: dict[str, pg.PlotItem] = {}
        self.series: dict[str, _Series] = {}
        self._colour_count: dict[str, int] = {}
        self._groups: tuple = ()
        self.set_caption("x axis: training step")

    def set_kind(self, kind: str) -> None:
        self.kind = kind
        self.set_title({"ising": "Energy and magnetisation traces",
                        "hopfield": "Recall traces"}.get(kind, "Learning curves"))
        self.set_caption("x axis: steps (each = the configured lattice sweeps); dashed: exact "
                         "L→∞ values (Onsager energy, Yang magnetisation)" if kind == "ising"
                         else "x axis: training step")

    @staticmethod
    def accepts(snap) -> bool:
        return False   # fed with metric points, not snapshots

    def has_data(self) -> bool:
        return bool(self.series)

    def update_snapshot(self, snap) -> None:
        pass

    def restyle(self):
        """Apply the current theme (pen width, fonts) to the existing curves and plots."""
        for s in self.series.values():
            pen = pg.mkPen(s.colour, width=theme.pen_width(),
                           style=Qt.DashLine if s.exact else Qt.SolidLine)
            if s.curve.getViewBox() is None:
                s.curve = pg.PlotDataItem([], [], pen=pen, connect="finite")
            else:
                s.curve.setPen(pen)
            s.dirty = True
        if self._groups:
            self._relayout(self._groups)
        self.flush()

    def clear(self):
        self._detach()
        self.series.clear()
        self._colour_count.clear()
        self._groups = ()

    # ------------------------------------------------------------------ layout
    def visible_groups(self) -> tuple:
        present = {group_of(n) for n in self.series}
        first = PRIORITY.get(self.kind, ())
        order = [g for g in first if g in present] + \
            [g for g, *_ in GROUPS if g in present and g not in first]
        if len(order) > 1 and "other" in order:
            order.remove("other")          # bookkeeping numbers only when nothing else exists
        return tuple(order[:MAX_PLOTS])

    def _detach(self):
        for gid, plot in self.plots.items():
            for s in self.series.values():
                if s.curve.getViewBox() is not None and s.curve in plot.listDataItems():
                    plot.removeItem(s.curve)
            self.canvas.removeItem(plot)
        self.plots.clear()

    def _relayout(self, groups):
        self._detach()
        self._groups = groups
        first = None
        for row, gid in enumerate(groups):
            _, title, ylabel, _ = next(g for g in GROUPS if g[0] == gid)
            if gid == "energy" and self.kind == "ising":
                title, ylabel = "Energy per spin", "E / N"
            elif gid == "energy" and self.kind == "hopfield":
                title, ylabel = "Energy E(s) = −½ sᵀJs", "E"
            plot = pg.PlotItem(axisItems={"left": ShortAxis("left")})
            bottom = row == len(groups) - 1
            style_plot(plot, xlabel="step" if bottom else "", ylabel=ylabel)
            if not bottom:
                # x is linked: tick labels only under the last plot leave room for the data
                plot.getAxis("bottom").setStyle(showValues=False)
            plot.setClipToView(True)
            plot.setDownsampling(auto=True, mode="peak")
            if gid in LOG_GROUPS:
                plot.setLogMode(y=True)
            plot._title_text = title
            plot._off_scale = False
            # the view fits y itself (y_range) until the user zooms with the mouse
            plot._fit_y = True
            plot.vb.enableAutoRange(y=False)
            plot.vb.sigRangeChangedManually.connect(
                lambda *_, p=plot: setattr(p, "_fit_y", False))
            if gid == "noise":     # the convergence line: errors within the sampling noise
                plot.addItem(pg.InfiniteLine(pos=1.0, angle=0, pen=pg.mkPen(
                    theme.MUTED, width=1, style=Qt.DashLine)))
            self.canvas.addItem(plot, row=row, col=0)
            if first is None:
                first = plot
            else:
                plot.setXLink(first)
            self.plots[gid] = plot
            for name, s in self.series.items():
                if group_of(name) == gid:
                    s.log = gid in LOG_GROUPS
                    # a fresh item: pyqtgraph cannot move a clipped/downsampled curve from one
                    # plot to another (its scene-add path needs the old ViewBox)
                    s.curve = pg.PlotDataItem([], [], pen=s.curve.opts["pen"], connect="finite")
                    s._symbols = None
                    s.dirty = True
                    plot.addItem(s.curve)
            self._retitle(gid)

    def _retitle(self, gid):
        """The legend lives in the title: coloured line glyphs never cover the data."""
        plot = self.plots[gid]
        keys = []
        for name, s in self.series.items():
            if group_of(name) == gid:
                glyph = "╌╌" if s.exact else "━━"
                keys.append(f'<span style="color:{s.colour}">{glyph}</span>&nbsp;'
                            f'{html.escape(s.label)}')
        if plot._off_scale:
            keys.append(f'<span style="color:{theme.MUTED}">(early values off-scale)</span>')
        size = theme.title_size()
        key_size = "12pt" if theme.is_presentation() else "9pt"
        # title and keys on one line when they fit the plot's width, else keys on a second line
        plain = plot._title_text + "      " + "    ".join(
            ("━━ " + s.label) for n, s in self.series.items() if group_of(n) == gid)
        if plot._off_scale:
            plain += "    (early values off-scale)"
        one_line = self._text_width(plain, size, key_size) <= self.canvas.width() - 40
        plot._title_lines = 1 if one_line else 2
        plot.setTitle(f'<span style="font-weight:600">{html.escape(plot._title_text)}</span>'
                      + ("&nbsp;&nbsp;&nbsp;" if one_line else "<br>")
                      + f'<span style="font-size:{key_size}">'
                      + "&nbsp;&nbsp; ".join(keys) + "</span>", size=size, color=theme.INK)
        # a long title must not widen the plot past its frame: let it be clipped instead
        plot.titleLabel.setMinimumWidth(10)

    @staticmethod
    def _text_width(plain: str, title_size: str, key_size: str) -> int:
        """Rough width in px of a title (bold, ``title_size``) with its keys (``key_size``)."""
        from PySide6.QtGui import QFont, QFontMetrics
        title, _, rest = plain.partition("      ")
        f = QFont()
        f.setPointSizeF(float(title_size.rstrip("pt")))
        f.setBold(True)
        k = QFont()
        k.setPointSizeF(float(key_size.rstrip("pt")))
        return QFontMetrics(f).horizontalAdvance(title + "   ") + \
            QFontMetrics(k).horizontalAdvance(rest)

    def resizeEvent(self, event):     # noqa: N802 (Qt name): titles may fit on one line now
        super().resizeEvent(event)
        for gid in self.plots:
            self._retitle(gid)

    def _fit_ranges(self):
        """Set each plot's y range from its curves (:func:`y_range`)."""
        firsts = [s.x[0] for s in self.series.values() if s.n]
        lasts = [s.tail[0] if s.tail is not None else s.x[s.n - 1]
                 for s in self.series.values() if s.n]
        run = (float(min(firsts)), float(max(lasts))) if firsts else None
        for gid, plot in self.plots.items():
            vb = plot.vb
            if vb.state["autoRange"][1]:      # the "A" button: the view fits y again
                plot._fit_y = True
                vb.enableAutoRange(y=False)
            if not plot._fit_y or gid in LOG_GROUPS:
                continue
            xs, ys = [], []
            for name, s in self.series.items():
                if group_of(name) == gid and s.n:
                    xs.append(s.x[:s.n])
                    ys.append(s.y[:s.n])
                    if s.tail is not None:
                        xs.append([s.tail[0]])
                        ys.append([s.tail[1]])
            r = y_range(xs, ys, run=run, include=(1.0,) if gid == "noise" else ())
            if r is None:
                continue
            lo, hi, off = r
            if off != plot._off_scale:
                plot._off_scale = off
                self._retitle(gid)
            if (lo, hi) != getattr(plot, "_y_set", None):
                plot._y_set = (lo, hi)
                plot.setYRange(lo, hi, padding=0)

    def _series(self, name) -> _Series:
        s = self.series.get(name)
        if s is None:
            gid = group_of(name)
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
                label = "exact, L→∞"       # Onsager / Yang (named in the caption)
            # downsampling/clipping are set by the PlotItem when the curve is added (setting
            # them on a free curve breaks pyqtgraph's scene-add path)
            curve = pg.PlotDataItem([], [], pen=pen, connect="finite")
            s = _Series(curve, colour, label, exact)
            self.series[name] = s
            if gid in self.plots:
                s.log = gid in LOG_GROUPS
                self.plots[gid].addItem(curve)
                self._retitle(gid)
        return s

    def pending(self) -> bool:
        """Points arrived that are not drawn yet."""
        return any(s.dirty for s in self.series.values())

    def flush(self) -> None:
        """Draw the buffered points (one setData per curve)."""
        groups = self.visible_groups()
        if groups != self._groups:
            self._relayout(groups)
        for s in self.series.values():
            s.flush()
        self._fit_ranges()

    def add_points(self, points, flush: bool = True) -> None:
        """``points``: list of (step, epoch, metrics dict) from the worker, in order; drawn now
        or, with ``flush=False``, at the next :meth:`flush`."""
        for step, _epoch, metrics in points:
            for name, value in metrics.items():
                if name in SKIP or value is None:
                    continue
                if name == "objective" and "train_ll" in metrics and \
                        abs(metrics["train_ll"] - value) <= 1e-12 * max(1.0, abs(value)):
                    continue      # maximum likelihood: the objective *is* train_ll
                try:
                    v = float(value)
                except (TypeError, ValueError):
                    continue
                if math.isinf(v):
                    continue
                self._series(name).append(step, v)
        if flush:
            self.flush()

    def latest(self) -> dict[str, float]:
        return {k: float(s.last()) for k, s in self.series.items() if s.n}
