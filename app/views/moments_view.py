"""Model versus data moments: a scatter of ⟨x_i⟩ and connected correlations with the y = x line.

Moment matching *is* Boltzmann learning: at the maximum-likelihood fit every constrained moment
of the model equals the data's, so the points collapse onto the diagonal.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from .. import theme
from .base import View, style_plot

MAX_SHOWN = 3000


def _subsample(a: np.ndarray, b: np.ndarray, cache: dict, key: str):
    n = min(len(a), len(b))
    a, b = a[:n], b[:n]
    if n <= MAX_SHOWN:
        return a, b
    idx = cache.get((key, n))
    if idx is None:
        idx = np.sort(np.random.default_rng(0).choice(n, MAX_SHOWN, replace=False))
        cache[(key, n)] = idx
    return a[idx], b[idx]


class MomentsView(View):
    name = "moments"
    title = "Model vs data moments"

    def __init__(self, parent=None):
        super().__init__(parent=parent)
        self.plot = self.canvas.addPlot()
        style_plot(self.plot, xlabel="data", ylabel="model")
        self.plot.addLegend(offset=(10, 10), labelTextColor=theme.INK,
                            brush=pg.mkBrush(255, 255, 255, 220),
                            labelTextSize=f"{theme.tick_font().pointSize()}pt")
        self.diag = pg.InfiniteLine(pos=(0, 0), angle=45,
                                    pen=pg.mkPen(theme.MUTED, width=1.5, style=pg.QtCore.Qt.DashLine))
        self.plot.addItem(self.diag)
        size = 9 if theme.is_presentation() else 6
        self.means = pg.ScatterPlotItem(size=size, pen=None, brush=pg.mkBrush(theme.PALETTE[0]),
                                        name="means ⟨xᵢ⟩")
        self.corrs = pg.ScatterPlotItem(size=size - 1, pen=None,
                                        brush=pg.mkBrush(213, 94, 0, 150),
                                        name="connected correlations")
        self.plot.addItem(self.corrs)
        self.plot.addItem(self.means)
        self._cache: dict = {}
        self._range = None

    @staticmethod
    def accepts(snap) -> bool:
        v = snap.views
        return ("means_data" in v and "means_model" in v) or ("corr_data" in v and "corr_model" in v)

    def update_snapshot(self, snap) -> None:
        v = snap.views
        lo, hi = np.inf, -np.inf
        errs = []
        for key, item in (("means", self.means), ("corr", self.corrs)):
            if f"{key}_data" in v and f"{key}_model" in v:
                d = np.asarray(v[f"{key}_data"], dtype=float).ravel()
                m = np.asarray(v[f"{key}_model"], dtype=float).ravel()
                ds, ms = _subsample(d, m, self._cache, key)
                item.setData(ds, ms)
                if d.size:
                    fin = np.isfinite(m)
                    if fin.any():
                        lo = min(lo, d.min(), m[fin].min())
                        hi = max(hi, d.max(), m[fin].max())
                        errs.append(f"max |Δ{'⟨x⟩' if key == 'means' else 'C'}| = "
                                    f"{np.abs(m[fin] - d[:m.size][fin]).max():.3g}")
            else:
                item.setData([], [])
        if np.isfinite(lo) and hi > lo:
            pad = 0.05 * (hi - lo)
            rng = (lo - pad, hi + pad)
            # grow quickly, shrink slowly: a steady frame to watch the points converge
            if self._range is None or rng[0] < self._range[0] or rng[1] > self._range[1] or \
                    (rng[1] - rng[0]) < 0.5 * (self._range[1] - self._range[0]):
                self._range = rng
                self.plot.setRange(xRange=rng, yRange=rng, padding=0)
        self.set_caption("; ".join(errs) + ("   (points on y = x: moments matched)" if errs else ""))

    def clear(self):
        self._range = None
        self._cache.clear()
