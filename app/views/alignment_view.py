"""Categorical samples as a coloured alignment block: data sequences beside the model's fantasy
sequences, one row per sequence, one column per site, one colour per state.

Protein alphabets are coloured by residue chemistry (Clustal-like: hydrophobic blue, positive red,
negative magenta, polar green, glycine orange, proline yellow, aromatic cyan, gap pale grey), other
alphabets with a qualitative palette.  Drawn as ONE uint8 image with a 256-entry LUT (state index
= LUT index, 255 = the white gap between the blocks), so a frame costs one upload.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from .. import theme
from .base import View, image_plot

#: residue colours (Clustal X scheme, simplified)
RESIDUE_COLOURS = {
    "-": (225, 225, 225), ".": (225, 225, 225),
    **{a: (60, 110, 200) for a in "AILMV"}, **{a: (40, 160, 190) for a in "FWY"},
    **{a: (215, 50, 50) for a in "KR"}, **{a: (200, 60, 190) for a in "DE"},
    **{a: (40, 170, 80) for a in "NQST"}, "C": (240, 130, 130), "G": (240, 145, 40),
    "P": (215, 200, 30), "H": (30, 160, 160),
    # nucleotides
    "U": (200, 60, 190), "T": (200, 60, 190),
}
#: a qualitative palette for other alphabets (Okabe-Ito, then Tableau-like)
PALETTE = [(0, 114, 178), (213, 94, 0), (0, 158, 115), (204, 121, 167), (230, 159, 0),
           (86, 180, 233), (60, 60, 60), (240, 228, 66), (148, 103, 189), (140, 86, 75),
           (188, 189, 34), (23, 190, 207), (127, 127, 127), (255, 152, 150), (174, 199, 232),
           (197, 176, 213)]
MAX_ROWS = 40
GAP = 255


def state_lut(symbols) -> np.ndarray:
    """(256, 3) uint8 colours: entry k for state k, entry 255 white."""
    lut = np.full((256, 3), 255, np.uint8)
    protein_like = len(symbols) >= 4 and all(s.upper() in RESIDUE_COLOURS for s in symbols)
    for k, s in enumerate(symbols[:255]):
        if protein_like:
            lut[k] = RESIDUE_COLOURS[s.upper()]
        else:
            lut[k] = PALETTE[k % len(PALETTE)]
            if k >= len(PALETTE):      # darken repeats so neighbours stay distinguishable
                lut[k] = (np.array(PALETTE[k % len(PALETTE)]) * 0.6).astype(np.uint8)
    return lut


def alignment_block(blocks, gap_cols=2) -> np.ndarray:
    """Stack (k, n) integer blocks side by side with ``gap_cols`` white columns between them."""
    rows = max(b.shape[0] for b in blocks)
    n = blocks[0].shape[1]
    out = np.full((rows, len(blocks) * (n + gap_cols) - gap_cols), GAP, np.uint8)
    for k, b in enumerate(blocks):
        out[:b.shape[0], k * (n + gap_cols):k * (n + gap_cols) + n] = b
    return out


class AlignmentView(View):
    name = "alignment"
    title = "Sequences: data | fantasy"

    def __init__(self, parent=None):
        super().__init__(parent=parent)
        self.plot, self.image = image_plot(self.canvas)
        self.plot.setAspectLocked(False)
        self._symbols = None
        self._lut = None
        self._labels: list = []
        self._label_key = None

    @staticmethod
    def accepts(snap) -> bool:
        return "potts_data" in snap.views or "potts_fantasy" in snap.views

    def update_snapshot(self, snap) -> None:
        v = snap.views
        present = [(k, lab) for k, lab in (("potts_data", "data"), ("potts_fantasy", "fantasy"))
                   if k in v and np.ndim(v[k]) == 2 and np.size(v[k])]
        if not present:
            return
        symbols = [str(s) for s in np.asarray(v.get("alphabet", [])).ravel()]
        if symbols != self._symbols:
            self._symbols = symbols
            self._lut = state_lut(symbols or [str(k) for k in range(64)])
        blocks = [np.asarray(v[k])[:MAX_ROWS].astype(np.uint8) for k, _ in present]
        n = blocks[0].shape[1]
        gap = max(2, n // 20)
        img = alignment_block(blocks, gap)
        self.image.setImage(img, levels=(0, 255), lut=self._lut, autoLevels=False)
        key = (tuple(k for k, _ in present), img.shape)
        if key != self._label_key:
            self._label_key = key
            for item in self._labels:
                self.plot.removeItem(item)
            self._labels = []
            for j, (_, lab) in enumerate(present):
                item = pg.TextItem(lab, color=theme.INK, anchor=(0.5, 1.0))
                f = theme.tick_font()
                f.setBold(True)
                item.setFont(f)
                item.setPos(j * (n + gap) + n / 2, -0.3)
                self.plot.addItem(item)
                self._labels.append(item)
            self.plot.setRange(xRange=(0, img.shape[1]), yRange=(-0.1 * img.shape[0] - 1,
                                                                  img.shape[0]), padding=0.02)
        q = len(symbols)
        names = "".join(symbols) if symbols and all(len(s) == 1 for s in symbols) else f"q = {q}"
        self.set_title(f"Sequences: {' | '.join(lab for _, lab in present)}  "
                       f"({n} sites, {blocks[0].shape[0]} rows each)")
        self.set_caption(f"one colour per state ({names}); fantasy = the model's own chains"
                         if "potts_fantasy" in v else f"one colour per state ({names})")

    def clear(self):
        self._label_key = None
