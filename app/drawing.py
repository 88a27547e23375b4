"""Drawing on the lattice / Hopfield state with the mouse: paint, flip or erase with a round brush.

The tool attaches to each :class:`~boltzmann_lab.app.views.lattice_view.LatticeView` as its ``tool`` (the
view asks it for the cells of each stroke point): a stroke turns into ``edited(indices, values)`` signals that the main window forwards to the worker
as ``apply_edit`` commands — the GUI never writes into arrays the worker owns.

Modes:
* ``paint`` — left button sets units up (+1 / on), right button down (−1 / off);
* ``flip``  — every unit under the stroke is inverted once per stroke (from the state on screen);
* ``erase`` — sets units down (−1 / off) with either button.

The brush is a disc of radius ``size − 1`` cells (size 1 = a single cell).
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QObject, Signal

MODES = ("paint", "flip", "erase")


def brush_cells(r0: int, c0: int, size: int, shape: tuple[int, int]) -> np.ndarray:
    """Flat row-major indices of the cells of a disc of radius ``size - 1`` around (r0, c0)
    inside a lattice of ``shape``."""
    h, w = shape
    rad = max(0, int(size) - 1)
    rr, cc = np.mgrid[r0 - rad:r0 + rad + 1, c0 - rad:c0 + rad + 1]
    keep = ((rr - r0) ** 2 + (cc - c0) ** 2 <= rad * rad + rad) & \
        (rr >= 0) & (rr < h) & (cc >= 0) & (cc < w)
    return (rr[keep] * w + cc[keep]).astype(np.int64)


def stroke_values(mode: str, convention: str, up: bool, idx: np.ndarray,
                  state: np.ndarray | None) -> np.ndarray:
    """New values for units ``idx``: up/down for paint, down for erase, inverted for flip."""
    hi, lo = 1.0, (-1.0 if convention == "spin" else 0.0)
    if mode == "flip" and state is not None:
        cur = np.asarray(state, dtype=np.float64).ravel()[idx]
        return np.where(cur > (hi + lo) / 2, lo, hi)
    if mode == "erase":
        return np.full(idx.size, lo)
    return np.full(idx.size, hi if up else lo)


class DrawingTool(QObject):
    """Brush mode and size shared by every lattice view of a window."""

    changed = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.mode = "paint"
        self.size = 2
        self.views: list = []
        self._stroke_done: set = set()

    def set_mode(self, mode: str) -> None:
        if mode not in MODES:
            raise ValueError(f"drawing mode must be one of {', '.join(MODES)}, got {mode!r}")
        self.mode = mode
        self.changed.emit()

    def set_size(self, size: int) -> None:
        self.size = int(min(max(int(size), 1), 16))
        self.changed.emit()

    def attach(self, view) -> None:
        """Become ``view``'s brush (the view keeps its signal and mouse handling)."""
        view.tool = self
        self.views.append(view)

    def begin_stroke(self, view) -> None:
        """A new stroke: flip mode inverts each unit at most once per stroke."""
        self._stroke_done = set()

    def cells(self, view, pos):
        """(flat indices, new values) under the brush at ``pos`` (view coordinates), or None."""
        if view._shape is None or view._paint_value is None:
            return None
        idx = brush_cells(int(np.floor(pos.y())), int(np.floor(pos.x())), self.size,
                          view._shape)
        if self.mode == "flip":
            idx = np.array([i for i in idx if i not in self._stroke_done], dtype=np.int64)
            self._stroke_done.update(int(i) for i in idx)
        if not idx.size:
            return None
        up = view._paint_value == view._values(True)
        snap = view.snapshot
        state = None if snap is None else snap.views.get("state")
        return idx, stroke_values(self.mode, view._convention, up, idx, state)
