"""Couplings J (n, n) or RBM filters W (n_visible, n_hidden) as a diverging heat map.

Filters with a known image shape become one tile per hidden unit (each tile scaled to its own
max |W|, so weak and strong filters both show their structure); otherwise the matrix is drawn
as it is with symmetric levels ±max|value| (white = 0, red > 0, blue < 0).
"""

from __future__ import annotations

import math

import numpy as np

from .. import theme
from .base import View, display_shape, image_plot, set_index_image, tile_mosaic

MAX_TILES = 100
MAX_SIDE = 512


class WeightsView(View):
    name = "weights"
    title = "Couplings"

    def __init__(self, parent=None):
        super().__init__(parent=parent)
        self.plot, self.image = image_plot(self.canvas)
        self._lut = theme.diverging_lut()
        self._shape_state: dict = {}

    @staticmethod
    def accepts(snap) -> bool:
        return "couplings" in snap.views or "filters" in snap.views

    def update_snapshot(self, snap) -> None:
        v = snap.views
        if "filters" in v:
            W = np.asarray(v["filters"], dtype=np.float32)
            if W.ndim == 1:
                W = W[:, None]
            nv, nh = W.shape
            shape = display_shape(nv, snap.image_shape)
            if shape[0] > 1:
                k = min(nh, MAX_TILES)
                tiles = W[:, :k].T
                scale = np.abs(tiles).max(axis=1, keepdims=True)
                scale[scale == 0] = 1.0
                img = tile_mosaic(tiles / scale, shape, cols=int(math.ceil(math.sqrt(k))),
                                  gap=max(1, shape[0] // 8))
                lo, hi = -1.0, 1.0
                if snap.kind == "dbm":
                    # W₀ couples the visible layer to the first hidden layer (DESIGN: W0, W1, …)
                    self.set_title(f"DBM filters W₀: visible → hidden layer 1  ({k} of {nh} "
                                   f"units)")
                else:
                    what = "RBM filters W" if snap.kind == "rbm" else "Filters W"
                    self.set_title(f"{what}  ({k} of {nh} hidden units)")
                self.set_caption(f"one tile per hidden unit, each scaled to its own max |W|; "
                                 f"overall max |W| = {float(np.abs(W).max()):.3g}")
            else:
                img = W.T
                m = float(np.abs(img).max()) or 1.0
                lo, hi = -m, m
                self.set_title(f"Weights W  ({nh} hidden × {nv} visible)")
                self.set_caption(f"rows: hidden units; colour scale ±{m:.3g}")
        else:
            J = np.asarray(v["couplings"], dtype=np.float32)
            if J.ndim == 1:
                J = J[None, :]
            if max(J.shape) > MAX_SIDE:
                s = int(math.ceil(max(J.shape) / MAX_SIDE))
                J = J[::s, ::s]
            m = float(np.abs(J[np.isfinite(J)]).max()) if np.isfinite(J).any() else 1.0
            m = m or 1.0
            img, lo, hi = J, -m, m
            self.set_title(f"Couplings J  ({J.shape[0]}×{J.shape[1]})")
            self.set_caption(f"J_ij, colour scale ±{m:.3g} (red > 0, blue < 0)")
        set_index_image(self.image, self.plot, theme.to_index(img, lo, hi), self._lut,
                        self._shape_state)
