"""Direct-coupling analysis: the contact map of a Potts model as it learns.

Upper triangle: coupling scores (Frobenius norm of J_ij in the zero-sum gauge with the
average-product correction, :func:`boltzmann_lab.models.dca.coupling_scores`), white = low.
Lower triangle: the true contacts when the data come with them (dark squares), else the scores
mirrored.  The top-ranked pairs (as many as there are true contacts, else n) are ringed: green
when they are true contacts, red when not.  The caption lists the best pairs and, when the truth
is known, the precision of that ranked list.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from .. import theme
from .base import View, image_plot, set_index_image

SHOW_TOP = 6


class ContactMapView(View):
    name = "contacts"
    title = "Contact map (coupling scores, APC)"

    def __init__(self, parent=None):
        super().__init__(parent=parent)
        self.plot, self.image = image_plot(self.canvas)
        self._lut = _contact_lut()
        self._shape_state: dict = {}
        size = 10 if theme.is_presentation() else 7
        self.hits = pg.ScatterPlotItem(size=size, pen=pg.mkPen((0, 150, 70), width=2),
                                       brush=None, symbol="o")
        self.misses = pg.ScatterPlotItem(size=size, pen=pg.mkPen((200, 40, 40), width=2),
                                         brush=None, symbol="o")
        self.plot.addItem(self.hits)
        self.plot.addItem(self.misses)

    @staticmethod
    def accepts(snap) -> bool:
        return "contact_scores" in snap.views

    def update_snapshot(self, snap) -> None:
        from boltzmann_lab.models.dca import ranked_pairs
        S = np.asarray(snap.views["contact_scores"], dtype=np.float64)
        n = S.shape[0]
        truth = snap.views.get("contacts_true")
        iu = np.triu_indices(n, 1)
        vals = S[iu]
        hi = float(np.percentile(vals, 99.5)) if vals.size else 1.0
        lo = float(np.median(vals)) if vals.size else 0.0
        if not hi > lo:
            hi = lo + 1e-12
        idx = np.full((n, n), 0.0)
        scaled = np.clip((S - lo) / (hi - lo), 0.0, 1.0)
        idx[iu] = scaled[iu]
        il = np.tril_indices(n, -1)
        if truth is not None:
            T = np.asarray(truth, bool)
            idx[il] = np.where(T[il], 1.0, 0.0)
            k = int(np.triu(T, 1).sum())
        else:
            idx[il] = scaled.T[il]
            k = n
        img = theme.to_index(idx, 0.0, 1.0)
        set_index_image(self.image, self.plot, img, self._lut, self._shape_state)
        top = ranked_pairs(S, 1, max(k, 1))
        xs_h, ys_h, xs_m, ys_m = [], [], [], []
        for i, j, _ in top:
            # the pair (i, j), i < j, sits in the upper triangle: row i, column j
            if truth is not None and np.asarray(truth)[i, j]:
                xs_h.append(j + 0.5), ys_h.append(i + 0.5)
            else:
                xs_m.append(j + 0.5), ys_m.append(i + 0.5)
        self.hits.setData(xs_h, ys_h)
        self.misses.setData(xs_m, ys_m)
        best = ", ".join(f"{i}–{j} ({s:.2f})" for i, j, s in top[:SHOW_TOP])
        if truth is not None:
            prec = len(xs_h) / max(len(top), 1)
            self.set_title(f"Contact map: top-{len(top)} precision {prec:.0%}")
            self.set_caption(f"upper: APC coupling scores (rings: top {len(top)} pairs, green = "
                             f"true contact); lower: true contacts. Best: {best}")
        else:
            self.set_title(f"Contact map ({n} sites, APC coupling scores)")
            self.set_caption(f"rings: top {len(top)} pairs. Best: {best}")


def _contact_lut() -> np.ndarray:
    """White (low score) to dark blue (high); index 255 (NaN) white."""
    stops = [(0.0, (252, 252, 250)), (0.35, (198, 219, 239)), (0.7, (66, 146, 198)),
             (1.0, (8, 48, 107))]
    xs = np.linspace(0, 1, 255)
    lut = np.zeros((256, 3), np.uint8)
    for c in range(3):
        lut[:255, c] = np.interp(xs, [s[0] for s in stops], [s[1][c] for s in stops])
    lut[255] = (255, 255, 255)
    return lut
