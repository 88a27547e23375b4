"""Edit which pairs (i, j) a MaxEnt / Gaussian model constrains, on an n × n matrix view.

Click a cell to switch the pair on or off (the mask stays symmetric with an empty diagonal); the
buttons set all pairs, none, or the lattice neighbours of the data's image shape.  "Save mask…"
writes a boolean ``.npy`` file and the Model panel points ``[model] mask`` at it with
``pairs = "mask"`` — the run config stays a plain file that the CLI runs the same way.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QCheckBox, QDialog, QFileDialog, QHBoxLayout, QLabel, QPushButton,
                               QVBoxLayout)

from .. import theme
from ..views.base import image_plot


def lattice_mask(shape, periodic: bool = True) -> np.ndarray:
    """(n, n) boolean mask of nearest neighbours on an h × w lattice (row-major unit order)."""
    h, w = shape
    n = h * w
    m = np.zeros((n, n), dtype=bool)
    idx = np.arange(n).reshape(h, w)
    for dr, dc in ((0, 1), (1, 0)):
        src = idx
        dst = np.roll(np.roll(idx, -dr, axis=0), -dc, axis=1)
        keep = np.ones((h, w), dtype=bool)
        if not periodic:
            if dr:
                keep[-1, :] = False
            if dc:
                keep[:, -1] = False
        a, b = src[keep], dst[keep]
        m[a, b] = m[b, a] = True
    np.fill_diagonal(m, False)
    return m


class MaskEditor(QDialog):
    saved = Signal(str)      # path of the written mask

    def __init__(self, n: int, mask=None, image_shape=None, periodic=True, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Constrained pairs")
        self.setModal(False)
        self.n = int(n)
        self.image_shape = image_shape
        self.mask = np.ones((self.n, self.n), dtype=bool) if mask is None else \
            np.array(mask, dtype=bool).copy()
        if self.mask.shape != (self.n, self.n):
            raise ValueError(f"the mask has shape {self.mask.shape}, the data have {self.n} "
                             f"units: expected ({self.n}, {self.n})")
        np.fill_diagonal(self.mask, False)
        self.mask |= self.mask.T

        lay = QVBoxLayout(self)
        hint = QLabel("Click a cell (i, j) to constrain or free the pair ⟨xᵢxⱼ⟩. "
                      "Dark = constrained.")
        hint.setWordWrap(True)
        lay.addWidget(hint)
        self.canvas = pg.GraphicsLayoutWidget()
        self.canvas.setMinimumSize(360, 360)
        self.plot, self.image = image_plot(self.canvas)
        self.image.mousePressEvent = self._clicked
        lay.addWidget(self.canvas, 1)
        self.count = QLabel("")
        lay.addWidget(self.count)
        row = QHBoxLayout()
        for text, slot in (("All pairs", self.set_all), ("None", self.set_none)):
            b = QPushButton(text)
            b.clicked.connect(slot)
            row.addWidget(b)
        self.lattice_button = QPushButton("Lattice neighbours")
        self.lattice_button.setEnabled(image_shape is not None)
        self.lattice_button.clicked.connect(lambda: self.set_lattice(self.periodic.isChecked()))
        row.addWidget(self.lattice_button)
        self.periodic = QCheckBox("periodic")
        self.periodic.setChecked(periodic)
        row.addWidget(self.periodic)
        row.addStretch(1)
        self.save_button = QPushButton("Save mask…")
        self.save_button.clicked.connect(self.save_dialog)
        row.addWidget(self.save_button)
        lay.addLayout(row)
        self._lut = theme.spin_lut()
        self._redraw()

    # ---------------------------------------------------------------- edits
    def toggle(self, i: int, j: int) -> None:
        if i == j or not (0 <= i < self.n and 0 <= j < self.n):
            return
        v = not self.mask[i, j]
        self.mask[i, j] = self.mask[j, i] = v
        self._redraw()

    def set_all(self):
        self.mask[...] = True
        np.fill_diagonal(self.mask, False)
        self._redraw()

    def set_none(self):
        self.mask[...] = False
        self._redraw()

    def set_lattice(self, periodic: bool = True):
        if self.image_shape is None:
            return
        self.mask = lattice_mask(self.image_shape, periodic)
        self._redraw()

    def save(self, path) -> str:
        path = str(path)
        if not path.endswith(".npy"):
            path += ".npy"
        np.save(path, self.mask)
        self.saved.emit(path)
        return path

    def save_dialog(self):
        path, _ = QFileDialog.getSaveFileName(self, "Save the pair mask", "pairs_mask.npy",
                                              "NumPy (*.npy)")
        if path:
            self.save(path)

    # ---------------------------------------------------------------- drawing
    def _redraw(self):
        img = self.mask.astype(np.float32)
        np.fill_diagonal(img, np.nan)          # the diagonal is never a pair
        self.image.setImage(theme.to_index(img, 0.0, 1.0), levels=(0, 255), lut=self._lut,
                            autoLevels=False)
        self.plot.setRange(xRange=(0, self.n), yRange=(0, self.n), padding=0.02)
        k = int(self.mask.sum()) // 2
        self.count.setText(f"{k} of {self.n * (self.n - 1) // 2} pairs constrained")

    def _clicked(self, ev):
        if ev.button() != Qt.LeftButton:
            ev.ignore()
            return
        ev.accept()
        p = ev.pos()
        self.toggle(int(p.y()), int(p.x()))
