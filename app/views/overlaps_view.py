"""Hopfield overlaps m_μ = (1/N) Σ_i ξ_i^μ s_i of the network state with each stored pattern."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from .. import theme
from .base import View, style_plot


class OverlapsView(View):
    name = "overlaps"
    title = "Overlap with each stored pattern"

    def __init__(self, parent=None):
        super().__init__(caption="m_μ = 1 means the network recalled pattern μ exactly",
                         parent=parent)
        self.plot = self.canvas.addPlot()
        style_plot(self.plot, xlabel="pattern μ", ylabel="overlap m_μ")
        self.plot.setYRange(-1.05, 1.05, padding=0)
        self.plot.setMouseEnabled(x=False, y=False)
        self.bars = pg.BarGraphItem(x=[], height=[], width=0.8, brush=theme.PALETTE[0], pen=None)
        self.plot.addItem(self.bars)
        self.plot.addItem(pg.InfiniteLine(pos=0, angle=0, pen=pg.mkPen(theme.MUTED, width=1)))
        self._n = None

    @staticmethod
    def accepts(snap) -> bool:
        return "overlaps" in snap.views

    def update_snapshot(self, snap) -> None:
        m = np.asarray(snap.views["overlaps"], dtype=float).ravel()
        x = np.arange(m.size)
        brushes = [pg.mkBrush(theme.PALETTE[1] if abs(v) > 0.9 else theme.PALETTE[0]) for v in m] \
            if m.size <= 200 else None
        if brushes is None:
            self.bars.setOpts(x=x, height=m, width=0.8)
        else:
            self.bars.setOpts(x=x, height=m, width=0.8, brushes=brushes)
        if self._n != m.size:
            self._n = m.size
            self.plot.setXRange(-0.6, m.size - 0.4, padding=0)
        if m.size:
            best = int(np.argmax(np.abs(m)))
            self.set_caption(f"best match: pattern {best} with m = {m[best]:+.3f}  "
                             f"(m_μ = 1: pattern μ recalled exactly)")
