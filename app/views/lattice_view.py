"""The state of one running chain drawn as a lattice (Ising spins, Hopfield state, an RBM chain).

Draw with the mouse: left button paints "up/on", right button paints "down/off" with a small
square brush, or with the brush of an attached ``tool`` (:class:`boltzmann_lab.app.drawing.DrawingTool`:
modes and sizes); each stroke segment becomes an ``edited(indices, values)`` signal that the
main window forwards to the worker as a command (the view never writes into the worker's arrays).
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Signal

from .. import theme
from .base import View, convention_levels, display_shape, image_plot, set_index_image


class LatticeView(View):
    name = "lattice"
    title = "Lattice state"
    edited = Signal(object, object)      # flat indices (int array), values (float array)

    def __init__(self, parent=None):
        super().__init__(caption="one chain of the sampler — draw with the mouse (left: up, "
                                 "right: down)", parent=parent)
        self.plot, self.image = image_plot(self.canvas)
        self._lut = theme.spin_lut()
        self._shape_state: dict = {}
        self._levels_state: dict = {}
        self._shape = None
        self._convention = "spin"
        self.brush = 1
        self.drawing_enabled = True
        #: optional brush: ``begin_stroke(view)`` on press and ``cells(view, pos) -> (indices,
        #: values) | None`` per stroke point; None = the built-in square brush of size ``brush``
        self.tool = None
        self.image.mousePressEvent = self._mouse_press
        self.image.mouseMoveEvent = self._mouse_move
        self.image.mouseReleaseEvent = lambda ev: ev.accept()
        self._paint_value = None

    @staticmethod
    def accepts(snap) -> bool:
        """The Ising lattice and the Hopfield state always; the chain of another model only when
        it is an image big enough to be worth a panel of its own (the fantasy mosaic shows
        small ones)."""
        if "state" not in snap.views:
            return False
        if snap.kind in ("ising", "hopfield"):
            return True
        return snap.image_shape is not None and np.size(snap.views["state"]) >= 256

    def update_snapshot(self, snap) -> None:
        state = np.asarray(snap.views["state"])
        n = state.size
        shape = display_shape(n, snap.image_shape)
        self._shape, self._convention = shape, snap.convention
        # binary/spin units in ink on paper; real values in a sequential colour map
        self._lut = theme.sequential_lut() if snap.convention == "real" else theme.spin_lut()
        lo, hi = convention_levels(snap.convention, state, self._levels_state)
        idx = theme.to_index(state.reshape(shape), lo, hi)
        set_index_image(self.image, self.plot, idx, self._lut, self._shape_state)
        title = "Spin lattice" if snap.kind == "ising" else (
            "Network state" if snap.kind == "hopfield" else "Sampler state (one chain)")
        self.set_caption({"ising": "σ = +1 dark, −1 light — draw with the mouse (left: up, "
                                   "right: down)",
                          "hopfield": "the recalling network — draw with the mouse to corrupt "
                                      "it (left: +1, right: −1)"}.get(
            snap.kind, "one persistent chain of the model's sampler"))
        self.set_title(f"{title}  ({shape[0]}×{shape[1]})" if shape[0] > 1 else title)

    def clear(self):
        self._levels_state.clear()

    # ---------------------------------------------------------------- drawing
    def _values(self, up: bool) -> float:
        if self._convention == "spin":
            return 1.0 if up else -1.0
        return 1.0 if up else 0.0

    def _paint_at(self, pos):
        if self._shape is None or not self.drawing_enabled:
            return
        if self.tool is not None:
            edit = self.tool.cells(self, pos)
            if edit is not None:
                self.edited.emit(*edit)
            return
        h, w = self._shape
        r0, c0 = int(pos.y()), int(pos.x())
        rr, cc = np.mgrid[r0 - self.brush + 1:r0 + self.brush, c0 - self.brush + 1:c0 + self.brush]
        keep = (rr >= 0) & (rr < h) & (cc >= 0) & (cc < w)
        if not keep.any():
            return
        idx = (rr[keep] * w + cc[keep]).astype(np.int64)
        self.edited.emit(idx, np.full(idx.size, self._paint_value, dtype=np.float64))

    def _mouse_press(self, ev):
        if ev.button() not in (Qt.LeftButton, Qt.RightButton):
            ev.ignore()
            return
        ev.accept()
        self._paint_value = self._values(ev.button() == Qt.LeftButton)
        if self.tool is not None:
            self.tool.begin_stroke(self)
        self._paint_at(ev.pos())

    def _mouse_move(self, ev):
        if self._paint_value is not None and ev.buttons() & (Qt.LeftButton | Qt.RightButton):
            self._paint_at(ev.pos())
        ev.accept()
