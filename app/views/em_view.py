"""EM as in Fig. 59 of the review: the log-likelihood ℓ(θ) along a parameter slice, the bound
−F_q(θ) built at the current θᵗ (it touches ℓ at θᵗ and its maximum is θᵗ⁺¹), and the
iterates θ⁰, θ¹, … marked on the curve.

Snapshot views used (all optional but ``em_theta`` + ``em_ll``):
``em_theta`` (g,) slice coordinate; ``em_ll`` (g,) ℓ on the slice; ``em_bound`` (g,) or (b, g)
current (and earlier) bounds; ``em_marks`` (t,) iterate positions on the slice, or (t, 2) points
(θ, ℓ); ``em_ll_grid`` / ``em_bound_grid`` (gy, gx) surfaces over two parameters, with
``em_grid_x`` / ``em_grid_y`` axes and ``em_path`` (t, 2) iterates when present.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt

from .. import theme
from .base import View, set_wrapped_title, style_plot, wrap_bottom_label


class EMView(View):
    name = "em"
    title = "EM: log-likelihood ℓ(θ) and the bound −F_q(θ)"

    def __init__(self, parent=None):
        super().__init__(caption="the bound touches ℓ at θᵗ; its maximum gives θᵗ⁺¹, so ℓ never "
                                 "decreases", parent=parent)
        self.plot = self.canvas.addPlot(row=0, col=0)
        style_plot(self.plot, xlabel="position on the line θᵗ (0) → θᵗ⁺¹ (1)",
                   ylabel="nats / sample")
        self.legend = self.plot.addLegend(offset=(10, -10), labelTextColor=theme.INK,
                                          brush=pg.mkBrush(255, 255, 255, 220))
        self._corner = (0, 1)          # bottom left; moved to the emptiest corner (_fit)
        w = theme.pen_width()
        self.ll = self.plot.plot([], [], pen=pg.mkPen(theme.PALETTE[0], width=w + 1),
                                 name="ℓ(θ)")
        self.bound = self.plot.plot([], [], pen=pg.mkPen(theme.PALETTE[1], width=w),
                                    name="bound −F_q(θ) at θᵗ")
        self.old_bounds: list = []
        self._xlabel = None
        self.marks = pg.ScatterPlotItem(size=11, pen=pg.mkPen("k", width=1),
                                        brush=pg.mkBrush(theme.PALETTE[2]), name="θ⁰, θ¹, …")
        self.plot.addItem(self.marks)
        self.current = pg.InfiniteLine(angle=90, pen=pg.mkPen(theme.MUTED, width=1,
                                                               style=Qt.DashLine))
        self.plot.addItem(self.current)
        self.grid_plot = None
        self.grid_image = None
        self.grid_path = None
        self._ranged = False

    @staticmethod
    def accepts(snap) -> bool:
        v = snap.views
        return ("em_theta" in v and "em_ll" in v) or "em_ll_grid" in v

    def update_snapshot(self, snap) -> None:
        v = snap.views
        if "em_theta" in v and "em_ll" in v:
            th = np.asarray(v["em_theta"], dtype=float).ravel()
            label = str(v["em_axis_label"]) if "em_axis_label" in v else None
            if label and label != self._xlabel:   # what the x axis is (boltzmann_lab.models.mixture.em_slice)
                self._xlabel = label
                self.plot.setLabel("bottom", label, **theme.label_style())
                wrap_bottom_label(self.plot)
            ll = np.asarray(v["em_ll"], dtype=float).ravel()
            self.ll.setData(th, ll)
            bound = v.get("em_bound")
            if bound is not None:
                b = np.asarray(bound, dtype=float)
                if b.ndim == 2:
                    self._old(th, b[:-1])
                    b = b[-1]
                self.bound.setData(th, b.ravel())
            marks = v.get("em_marks")
            if marks is not None:
                mk = np.asarray(marks, dtype=float)
                if mk.ndim == 2 and mk.shape[1] == 2:
                    xs, ys = mk[:, 0], mk[:, 1]
                else:
                    xs = mk.ravel()
                    ys = np.interp(xs, th, ll) if th.size > 1 else np.zeros_like(xs)
                self.marks.setData(xs, ys)
                if xs.size:
                    self.current.setValue(xs[-1])
            self._fit(th, ll, bound)
        if "em_ll_grid" in v:
            self._grid(v)

    def _fit(self, th, ll, bound):
        """The slice moves with every iteration: fit ℓ, the bound and the iterates shown on the
        slice each time, with a margin so that points at the ends (θᵗ⁺¹ at 1) stay whole."""
        if not th.size:
            return
        x_lo, x_hi = float(np.nanmin(th)), float(np.nanmax(th))
        vals = [ll]
        if bound is not None:
            vals.append(np.asarray(bound, dtype=float).ravel())
        mx, my = self.marks.getData()
        if mx is not None and len(mx):
            on = (mx >= x_lo) & (mx <= x_hi)
            vals.append(np.asarray(my, dtype=float)[on])
        fin = np.concatenate(vals)
        fin = fin[np.isfinite(fin)]
        if not fin.size:
            return
        lo, hi = float(fin.min()), float(fin.max())
        span = (hi - lo) or max(abs(hi) * 1e-6, 1e-6)
        xs = (x_hi - x_lo) or 1.0
        x_rng = (x_lo - 0.03 * xs, x_hi + 0.03 * xs)
        y_rng = (lo - 0.06 * span, hi + 0.1 * span)
        self.plot.setRange(xRange=x_rng, yRange=y_rng, padding=0)
        self._place_legend(th, vals[:2], x_rng, y_rng, self.marks.getData())

    def _place_legend(self, th, curves, x_rng, y_rng, marks=(None, None)):
        """Put the legend in the corner where it covers the fewest curve points and iterates
        (ℓ rises to the right while EM climbs, and is a hump centred on θᵗ once converged)."""
        vb = self.plot.vb.boundingRect()
        lg = self.legend.boundingRect()
        # the fraction of the plot the legend covers (a narrow plot beside the θ₁θ₂ map)
        fw = min(0.9, (lg.width() + 10) / vb.width()) if vb.width() > 0 else 0.45
        fh = min(0.9, (lg.height() + 10) / vb.height()) if vb.height() > 0 else 0.4
        pts_x = [np.asarray(th, dtype=float)] * len(curves)
        pts_y = [np.asarray(c, dtype=float).ravel() for c in curves]
        if marks[0] is not None and len(marks[0]):
            pts_x.append(np.asarray(marks[0], dtype=float))
            pts_y.append(np.asarray(marks[1], dtype=float))
        us, vs = [], []
        for x, y in zip(pts_x, pts_y):
            if x.size == y.size:
                us.append((x - x_rng[0]) / (x_rng[1] - x_rng[0]))
                vs.append((y - y_rng[0]) / (y_rng[1] - y_rng[0]))      # 0 = bottom
        u = np.concatenate(us) if us else np.empty(0)
        v = np.concatenate(vs) if vs else np.empty(0)
        counts = {}
        for cx, cy in ((0, 1), (1, 1), (0, 0), (1, 0)):      # (right?, bottom?)
            in_x = u > 1 - fw if cx else u < fw
            in_y = v < fh if cy else v > 1 - fh
            counts[(cx, cy)] = int(np.count_nonzero(in_x & in_y))
        best = min(counts, key=lambda k: (counts[k], k != self._corner))
        if best != self._corner:
            self._corner = best
            cx, cy = best
            self.legend.anchor(itemPos=(cx, cy), parentPos=(cx, cy),
                               offset=(-10 if cx else 10, -10 if cy else 10))

    def _old(self, th, bounds):
        while len(self.old_bounds) < len(bounds):
            self.old_bounds.append(self.plot.plot([], [], pen=pg.mkPen(
                (213, 94, 0, 70), width=1)))
        for item, b in zip(self.old_bounds, bounds):
            item.setData(th, b)

    def _grid(self, v):
        g = np.asarray(v["em_ll_grid"], dtype=np.float32)
        if self.grid_plot is None:
            self.grid_plot = self.canvas.addPlot(row=0, col=1)
            # the ℓ / bound slice is Fig. 59 itself: at least as wide as the map beside it
            self.canvas.ci.layout.setColumnStretchFactor(0, 1)
            self.canvas.ci.layout.setColumnStretchFactor(1, 1)
            for p in (self.plot, self.grid_plot):     # share the width by the stretch alone
                p.setPreferredWidth(10)
            style_plot(self.grid_plot, xlabel="θ₁", ylabel="θ₂")
            set_wrapped_title(self.grid_plot, "ℓ(θ₁, θ₂), bound contours, EM path")
            self.grid_image = pg.ImageItem(axisOrder="row-major")
            self.grid_plot.addItem(self.grid_image)
            self.grid_path = self.grid_plot.plot([], [], pen=pg.mkPen("w", width=2),
                                                 symbol="o", symbolSize=7,
                                                 symbolBrush=theme.PALETTE[1])
        fin = g[np.isfinite(g)]
        lo, hi = (float(np.percentile(fin, 5)), float(fin.max())) if fin.size else (0.0, 1.0)
        idx = theme.to_index(g, lo, hi)
        self.grid_image.setImage(idx, levels=(0, 255), lut=theme.sequential_lut(),
                                 autoLevels=False)
        gx = np.asarray(v.get("em_grid_x", np.arange(g.shape[1])), dtype=float)
        gy = np.asarray(v.get("em_grid_y", np.arange(g.shape[0])), dtype=float)
        if gx.size > 1 and gy.size > 1:
            self.grid_image.setRect(pg.QtCore.QRectF(gx[0], gy[0], gx[-1] - gx[0],
                                                     gy[-1] - gy[0]))
            if not self._ranged:
                self.grid_plot.setRange(xRange=(gx[0], gx[-1]), yRange=(gy[0], gy[-1]),
                                        padding=0.02)
                self._ranged = True
        b = v.get("em_bound_grid")
        if b is not None:
            self._bound_contours(np.asarray(b, dtype=np.float32))
        path = v.get("em_path")
        if path is not None:
            p = np.asarray(path, dtype=float)
            if p.ndim == 2 and p.shape[1] == 2:
                self.grid_path.setData(p[:, 0], p[:, 1])

    def _bound_contours(self, b):
        """A few level lines of the bound −F_q(θ₁, θ₂) built at the current θᵗ, drawn on the
        likelihood surface: they close in around θᵗ⁺¹, the bound's maximum."""
        if b.ndim != 2 or not np.isfinite(b).any():
            return
        if not hasattr(self, "_isos"):
            self._isos = []
            for i in range(4):
                iso = pg.IsocurveItem(pen=pg.mkPen((213, 94, 0), width=1.5))
                iso.setParentItem(self.grid_image)      # shares the image's placement
                self._isos.append(iso)
        top = float(np.nanmax(b))
        fin = b[np.isfinite(b)]
        span = top - float(np.percentile(fin, 20))
        for i, iso in enumerate(self._isos):
            iso.setData(b, level=top - span * (0.05 + 0.25 * i))

    def clear(self):
        self._ranged = False
