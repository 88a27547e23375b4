"""Data | reconstructions | fantasy particles as ONE mosaic image (one ImageItem, one upload per
frame — far cheaper than dozens of small images)."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg

from .. import theme
from .base import (View, convention_levels, display_shape, hstack_blocks, image_plot,
                   set_index_image, tile_mosaic)

BLOCKS = (("data", "data"), ("reconstruction", "reconstructions"), ("fantasy", "fantasy particles"),
          ("means", "component means"))
#: shorter headers for narrow blocks (a small window, presentation fonts)
SHORT = {"reconstructions": "recon.", "fantasy particles": "fantasy", "component means": "means"}


class SamplesView(View):
    name = "samples"
    title = "Samples"

    def __init__(self, parent=None):
        super().__init__(parent=parent)
        self.plot, self.image = image_plot(self.canvas)
        self._lut = theme.spin_lut()
        self._shape_state: dict = {}
        self._levels_state: dict = {}
        self._labels: list[pg.TextItem] = []
        self._label_key = None
        self._blocks: list = []          # (label, x0, width) in image pixels
        self.plot.vb.sigResized.connect(self._fit_headers)
        self.plot.vb.sigRangeChanged.connect(self._fit_headers)

    @staticmethod
    def accepts(snap) -> bool:
        return any(k in snap.views and np.ndim(snap.views[k]) == 2 for k, _ in BLOCKS
                   if k != "means" or snap.image_shape is not None)

    def update_snapshot(self, snap) -> None:
        present = [(k, label) for k, label in BLOCKS if k in snap.views
                   and np.asarray(snap.views[k]).size and np.ndim(snap.views[k]) == 2
                   and (k != "means" or snap.image_shape is not None)]
        if not present:
            return
        arrays = [np.asarray(snap.views[k], dtype=np.float32) for k, _ in present]
        arrays = [a[None, :] if a.ndim == 1 else a for a in arrays]
        n = arrays[0].shape[1]
        shape = display_shape(n, snap.image_shape)
        k = max(a.shape[0] for a in arrays)
        cols = max(1, int(math.ceil(math.sqrt(k))))
        tiles = [tile_mosaic(a, shape, cols=cols, gap=max(1, shape[0] // 8)) for a in arrays]
        gap = max(2, tiles[0].shape[1] // 10) if shape[0] > 1 else max(2, n // 10)
        mosaic = hstack_blocks(tiles, gap)
        all_vals = np.concatenate([a.ravel() for a in arrays])
        # binary/spin units in ink on paper; real values in a sequential colour map
        self._lut = theme.sequential_lut() if snap.convention == "real" else theme.spin_lut()
        lo, hi = convention_levels(snap.convention, all_vals, self._levels_state)
        set_index_image(self.image, self.plot, theme.to_index(mosaic, lo, hi), self._lut,
                        self._shape_state)
        key = (tuple(k for k, _ in present), mosaic.shape)
        if key != self._label_key:
            self._label_key = key
            for item in self._labels:
                self.plot.removeItem(item)
            self._labels = []
            self._blocks = []
            x = 0
            for (_, label), t in zip(present, tiles):
                self._blocks.append((label, x, t.shape[1]))
                item = pg.TextItem(label, color=theme.INK, anchor=(0.5, 1.0))
                f = theme.tick_font()
                f.setBold(True)
                item.setFont(f)
                item.setPos(x + t.shape[1] / 2, -1)
                self.plot.addItem(item)
                self._labels.append(item)
                x += t.shape[1] + gap
            self.plot.setRange(xRange=(0, mosaic.shape[1]),
                               yRange=(-0.12 * mosaic.shape[0] - 2, mosaic.shape[0]), padding=0.02)
            self._fit_headers()
        names = " | ".join(label for _, label in present)
        if snap.kind == "hopfield" and [k for k, _ in present] == ["data"]:
            self.set_title(f"Stored patterns ({arrays[0].shape[0]} shown)")
        else:
            self.set_title(f"Samples: {names}")
        if "fantasy" in snap.views:
            self.set_caption("fantasy particles = exact samples of the current mixture"
                             if snap.kind == "mixture" else
                             "fantasy particles = persistent chains of the model's own sampler")

    def _fit_headers(self, *_):
        """Each header no wider than its block on screen: the full text, a short form, or an
        elided one (headers of narrow blocks would otherwise run into each other)."""
        if not self._labels or len(self._labels) != len(self._blocks):
            return
        (x0, x1), _ = self.plot.vb.viewRange()
        width = self.plot.vb.width()
        if width <= 0 or x1 <= x0:
            return
        scale = width / (x1 - x0)
        from PySide6.QtCore import Qt
        from PySide6.QtGui import QFontMetrics
        for item, (label, _, w) in zip(self._labels, self._blocks):
            fm = QFontMetrics(item.textItem.font())
            room = int(w * scale) - 4
            text = label
            if fm.horizontalAdvance(text) > room:
                text = SHORT.get(label, label)
                if fm.horizontalAdvance(text) > room:
                    text = fm.elidedText(text, Qt.ElideRight, max(room, 1))
            if item.textItem.toPlainText() != text:
                item.setText(text)

    def clear(self):
        self._levels_state.clear()
