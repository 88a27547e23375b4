"""Hover read-out: the value under the mouse cursor in the image views, shown in the status bar.

* lattice / network state: unit index, (row, column) and its value (spin ±1 or 0/1);
* couplings J: the pair (i, j) and J_ij;
* RBM filters: hidden unit μ, visible unit i (row, column) and W_iμ.

The read-out uses each view's last drawn snapshot (``View.snapshot``: the same copies the view
draws), so hovering never touches the worker.
"""

from __future__ import annotations

import math

import numpy as np

from .views.base import display_shape


def lattice_text(state, image_shape, row: int, col: int) -> str | None:
    s = np.asarray(state).ravel()
    h, w = display_shape(s.size, image_shape)
    if not (0 <= row < h and 0 <= col < w):
        return None
    i = row * w + col
    return f"unit {i}  (row {row}, column {col})  value {s[i]:+g}"


def couplings_text(J, row: int, col: int) -> str | None:
    J = np.asarray(J)
    if J.ndim != 2:
        return None
    step = int(math.ceil(max(J.shape) / 512)) if max(J.shape) > 512 else 1
    i, j = row * step, col * step
    if not (0 <= i < J.shape[0] and 0 <= j < J.shape[1]):
        return None
    return f"coupling J[{i}, {j}] = {J[i, j]:+.4g}"


def filters_text(W, image_shape, row: int, col: int, max_tiles: int = 100) -> str | None:
    """Read-out for the filter mosaic of boltzmann_lab.app.views.weights_view (same tiling rules)."""
    W = np.asarray(W)
    if W.ndim != 2:
        return None
    nv, nh = W.shape
    h, w = display_shape(nv, image_shape)
    if h == 1:                               # drawn as the (nh, nv) matrix
        if 0 <= row < nh and 0 <= col < nv:
            return f"weight W[{col}, {row}] (visible {col}, hidden {row}) = {W[col, row]:+.4g}"
        return None
    k = min(nh, max_tiles)
    gap = max(1, h // 8)
    cols = int(math.ceil(math.sqrt(k)))
    tr, rr = divmod(row, h + gap)
    tc, cc = divmod(col, w + gap)
    if rr >= h or cc >= w or tc >= cols:
        return None
    mu = tr * cols + tc
    if not (0 <= mu < k):
        return None
    i = rr * w + cc
    return f"hidden unit {mu}, visible {i} (row {rr}, column {cc}):  W = {W[i, mu]:+.4g}"


class HoverReadout:
    """Attaches to image views and reports the value under the cursor via ``show(text)``."""

    def __init__(self, show):
        self.show = show

    def attach(self, view) -> None:
        name = getattr(view, "name", "")
        if name not in ("lattice", "weights") or getattr(view, "plot", None) is None:
            return
        view.canvas.scene().sigMouseMoved.connect(lambda pos, v=view: self._moved(v, pos))

    def text_at(self, view, row: int, col: int) -> str | None:
        snap = getattr(view, "snapshot", None)
        if snap is None:
            return None
        v = snap.views
        if view.name == "lattice" and "state" in v:
            return lattice_text(v["state"], snap.image_shape, row, col)
        if view.name == "weights":
            if "filters" in v:
                return filters_text(v["filters"], snap.image_shape, row, col)
            if "couplings" in v:
                return couplings_text(v["couplings"], row, col)
        return None

    def _moved(self, view, pos):
        try:
            p = view.plot.vb.mapSceneToView(pos)
        except Exception:   # the view is being deleted
            return
        text = self.text_at(view, int(math.floor(p.y())), int(math.floor(p.x())))
        if text:
            self.show(text)
