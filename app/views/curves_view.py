"""Learning curves and traces of every scalar metric, grouped into stacked plots by meaning.

Metric names come from the learners (documented in the README).  They are grouped by name:
log-likelihoods and the EM bound, energies, magnetisation, overlaps, errors/gaps, and the rest.
``exact_<name>`` metrics (e.g. Onsager's ``exact_energy``) are drawn as dashed reference lines
in the colour of ``<name>``; ``baseline_ll`` (the independent-unit model,
:mod:`boltzmann_lab.learning.advice`) as a grey dashed line in the likelihood plot.

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

import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer

from .. import theme
from .base import View, loosen_title, style_plot
from .curve_series import MAX_POINTS, _Series  # noqa: F401 (MAX_POINTS: the API)
from .curve_scale import MIN_STEPS, ShortAxis, elide_title, text_width, wrap_keys, y_range


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
    ("edges", "Non-zero couplings", "pairs",
     lambda m: m in ("n_nonzero", "edges_found", "false_edges")),
    ("coupling", "Learned coupling on the lattice bonds", "J", lambda m: m == "mean_coupling"),
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
    "sites_fitted": "sites fitted (plmDCA)", "mean_coupling": "mean learned J",
    "n_nonzero": "non-zero", "edges_found": "true found", "false_edges": "false",
    "rhat_energy": "R̂ of energy", "rhat_m": "R̂ of m", "tau_m": "τ of m (steps)",
    "w1_energy": "W₁ of E/N", "w1_abs_m": "W₁ of |m|", "error_per_noise": "error / (data ⊕ MCMC noise)",
    "replicas": "tempering replicas", "swap_rate": "replica swap rate",
    "baseline_ll": "independent units (baseline)",
}

#: metrics that are bookkeeping rather than curves
SKIP = {"diverged", "converged", "epoch", "step", "learning_rate", "temperature", "verifying",
        "replicas", "tau_m"}




def group_of(name: str) -> str:
    base = name[6:] if name.startswith("exact_") else name
    for gid, _, _, test in GROUPS:
        if test(base):
            return gid
    return "other"


#: groups shown first for a kind (the rest follow in GROUPS order)
#: (where fewer plots fit, as in presentation mode, the headline curves stay)
PRIORITY = {"hopfield": ("energy", "overlap"), "ising": ("energy", "magnetization"),
            "maxent": ("coupling", "ll"), "rbm": ("ll", "match"), "dbm": ("ll", "match")}
MAX_PLOTS = 3
#: height (px) a stacked plot needs with its title and axis, normal / presentation: a view lower
#: than that many times the plots shows fewer groups rather than squeezed ones
PLOT_ROOM = {False: 110, True: 170}
MIN_DATA_PX = {False: 45, True: 75}
LOG_GROUPS: set = set()     # log axes with < 1 decade show no tick labels


def _label_room(height: float, label_px: float | None = None) -> float:
    """Share of a plot's data height (``height`` px) a reference line's label needs above the
    line: the label's height (``label_px``, else a tick-font line with its fill) and the
    6-10 px it is drawn above the line; at least 15 % and at most 60 % of the height."""
    if height <= 0:
        return 0.15
    if label_px is None:
        from PySide6.QtGui import QFontMetrics
        label_px = QFontMetrics(theme.tick_font()).height() + 8
    return min(max((label_px + 12) / height, 0.15), 0.6)


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
        self.references: list = []        # boltzmann_lab.app.reference_lines.ReferenceLine
        self._ref_items: list = []
        self._resize_timer = QTimer(self)
        self._resize_timer.setSingleShot(True)
        self._resize_timer.setInterval(40)
        self._resize_timer.timeout.connect(self._after_resize)
        self.set_caption("x axis: training step")

    def set_kind(self, kind: str) -> None:
        self.kind = kind
        self.set_title({"ising": "Energy and magnetisation traces",
                        "hopfield": "Recall traces"}.get(kind, "Learning curves"))
        self.set_caption("x axis: steps (each = the configured lattice sweeps); dashed: exact "
                         "L→∞ values (Onsager energy, Yang magnetisation)" if kind == "ising"
                         else "x axis: recall step" if kind == "hopfield"
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
        self.references = []
        self._cap = None
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
        return tuple(order[:min(MAX_PLOTS, self.room_for_plots())])

    def room_for_plots(self) -> int:
        """How many stacked plots the view's height allows (at least one)."""
        h = self.canvas.height() if self.isVisible() else 10 ** 6
        per = PLOT_ROOM[theme.is_presentation()]
        shown = len(self._groups)
        cap = self.__dict__.get("_cap")
        if cap is not None and h <= cap[1] + 30:
            return cap[0]                 # fewer plots: their titles took more room
        if shown and per * shown <= h < per * (shown + 1) + 15:
            return shown                  # a few pixels either way do not rebuild the plots
        return max(1, int(h // per))

    def _check_squeeze(self):
        """A plot whose data area came out flatter than MIN_DATA_PX (long titles on several
        lines): one plot fewer at this height."""
        plots = list(self.plots.values())
        low = MIN_DATA_PX[theme.is_presentation()]
        settled = abs(sum(p.height() for p in plots) - self.canvas.height()) < 40
        if not settled and plots and self.isVisible():
            self._resize_timer.start()        # look again once the layout has caught up
        elif len(plots) > 1 and self.isVisible() and min(p.vb.height() for p in plots) < low:
            self._cap = (len(plots) - 1, self.canvas.height())
            self.flush()

    # ------------------------------------------------------------------ reference lines
    def set_references(self, lines) -> None:
        """Dashed horizontal lines where the answer is known (``ReferenceLine``s: metric,
        value, label), each in the plot of its metric's group; the y range includes them."""
        self.references = [r for r in lines if math.isfinite(float(r.value))]
        self._draw_references()
        self._fit_ranges()

    def _draw_references(self):
        from ..reference_lines import draw
        draw(self)

    def _reference_values(self, gid) -> tuple:
        return tuple(float(r.value) for r in self.references if group_of(r.metric) == gid)

    def _detach(self):
        for plot, item in self._ref_items:
            plot.removeItem(item)
        self._ref_items = []
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
            plot._ylabel = ylabel
            plot._unit_in_title = False
            plot._off_scale = False
            # the view fits y itself (y_range) until the user zooms with the mouse
            plot._fit_y = True
            plot.vb.enableAutoRange(y=False)
            plot.vb.sigRangeChangedManually.connect(
                lambda *_, p=plot: setattr(p, "_fit_y", False))
            # titles, labels and the number of plots follow the data area's size
            plot.vb.sigResized.connect(lambda *_: self._resize_timer.start())
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
        self._draw_references()

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
        key_size = theme.key_size()
        # the title is centred over the data area (right of the y axis)
        room = max(int(plot.vb.width()) - 8 if plot.vb.width() > 60 else
                   self.canvas.width() - 100, 50)
        title = plot._title_text
        plain = [("━━ " + s.label) for n, s in self.series.items() if group_of(n) == gid]
        if plot._unit_in_title:
            unit = f"({plot._ylabel})"
            if text_width(f"{title} {unit}", size, key_size) <= room:
                title = f"{title} {unit}"
            else:                          # the unit leads the keys' line instead
                plain.insert(0, f"y: {plot._ylabel}")
                keys.insert(0, f"y: {html.escape(plot._ylabel)}")
        full, fit = title, room
        # title and keys on one line when they fit the plot's width, else the keys on as many
        # further lines as they need; the rendered width decides (the widths measured here are
        # estimates), narrowing the room until the text fits
        if plot._off_scale:
            plain.append("(early values off-scale)")
        one_line = text_width(title + "      " + "    ".join(plain), size, key_size) <= room
        plot._title_room = room
        for _ in range(5):
            title = elide_title(full, size, fit)
            lines = wrap_keys(plain, keys, size, key_size, fit)
            rows = ["&nbsp;&nbsp; ".join(k for _, k in ln) for ln in lines]
            plot._title_lines = 1 if one_line else 1 + len(lines)
            plot.setTitle(f'<span style="font-weight:600">{html.escape(title)}</span>'
                          + ("&nbsp;&nbsp;&nbsp;" if one_line else "<br>")
                          + f'<span style="font-size:{key_size}">'
                          + ("&nbsp;&nbsp; " if one_line else "<br>").join(rows) + "</span>",
                          size=size, color=theme.INK)
            over = plot.titleLabel.item.boundingRect().width() - room
            if over <= 2 or fit < 60:
                break
            if one_line:
                one_line = False
            else:
                fit = int(fit - over - 6)
        # pyqtgraph gives a title one 30 px row: as many rows as its lines need
        h = max(30, int(plot.titleLabel.item.boundingRect().height()) - 4)
        plot.titleLabel.setMaximumHeight(h)
        plot.layout.setRowFixedHeight(0, h)
        loosen_title(plot)      # a long title must not widen the plot past its frame

    def resizeEvent(self, event):     # noqa: N802 (Qt name): titles may fit on one line now
        super().resizeEvent(event)
        # once the size has settled (a change of layout resizes the view several times, and a
        # relayout rebuilds the plots)
        self._resize_timer.start()

    def _after_resize(self):
        if self.series and self.visible_groups() != self._groups:
            self.flush()                  # more or fewer plots fit now
        for gid in self.plots:
            self._retitle(gid)
        self._fit_axis_labels()

    def _fit_axis_labels(self):
        """A y label longer than its plot is high would run into the next plot's: it moves into
        the title as "(unit)" instead, and back when there is room again."""
        self._check_squeeze()
        for gid, plot in self.plots.items():
            if plot.vb.width() > 60 and abs(plot.vb.width() - 8 -
                                            getattr(plot, "_title_room", 0)) > 3:
                self._retitle(gid)          # the data area's width is known (or changed)
            if not plot._ylabel:
                continue
            ax = plot.getAxis("left")
            need = ax.label.boundingRect().width()
            have = plot.vb.height()
            if have <= 0:
                continue
            move = need > have if not plot._unit_in_title else need > have - 12
            if move != plot._unit_in_title:
                plot._unit_in_title = move
                ax.showLabel(not move)
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
            refs = self._reference_values(gid)
            # a recall is short however many steps it is cut into: show all of it
            r = y_range(xs, ys, run=run, include=((1.0,) if gid == "noise" else ()) + refs,
                        min_steps=10 ** 9 if self.kind == "hopfield" else MIN_STEPS)
            if r is None:
                continue
            lo, hi, off = r
            if refs:
                # room above the top line for its label (drawn above the line): a share of the
                # height that holds the label in a short plot too (else cut at the top)
                label = max((it.label.boundingRect().height() for p, it in self._ref_items
                             if p is plot), default=None)
                top, g = max(refs), _label_room(vb.height(), label)
                if top > hi - g * (hi - lo) and top > lo:
                    hi = top + g * (top - lo) / (1.0 - g)
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
            exact = name.startswith("exact_") or name == "baseline_ll"   # dashed references
            base = name[6:] if name.startswith("exact_") else name
            if name == "baseline_ll":
                colour = theme.MUTED
            elif exact and base in self.series:
                colour = self.series[base].colour
            else:
                i = self._colour_count.get(gid, 0)
                self._colour_count[gid] = i + 1
                colour = theme.PALETTE[i % len(theme.PALETTE)]
            pen = pg.mkPen(colour, width=theme.pen_width(),
                           style=Qt.DashLine if exact else Qt.SolidLine)
            label = ("exact " + PRETTY.get(base, base)) if name.startswith("exact_") \
                else PRETTY.get(name, name)
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
        self._fit_axis_labels()

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
