"""Look of the app: a clean, high-contrast light theme that survives a projector.

Projectors wash out dark themes and thin lines, so the palette is light with saturated,
colour-blind-safe line colours (Okabe-Ito), fonts are large, and pens are 2 px (3 px in
presentation mode) — thick enough to read at the back of a lecture hall, thin enough to stay
inside pyqtgraph's frame budget (REFERENCES.md: thick pens and large curves cost).

Colour maps for images are 256-entry lookup tables whose *last* entry is the gap colour used
between mosaic tiles: images are sent to pyqtgraph as uint8 indices 0..254 with explicit levels
(0, 255), the fastest ImageItem path and free of auto-levelling flicker.
"""

from __future__ import annotations


import numpy as np

#: line colours (Okabe-Ito, colour-blind safe), in the order curves get them
PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442"]
INK = "#1f2933"          # axis and text colour
MUTED = "#52606d"
BACKGROUND = "#ffffff"
GAP = (222, 226, 230)     # colour between mosaic tiles
ACCENT = "#0b5cad"

BASE_POINT_SIZE = 10
#: presentation font size before the screen is known; ``set_presentation_size`` sets it from the
#: screen's height (boltzmann_lab.app.screen_fit.presentation_point_size)
PRESENTATION_POINT_SIZE = 15

_state = {"presentation": False, "pt": PRESENTATION_POINT_SIZE}


def set_presentation_size(pt: int) -> None:
    """Base font size (pt) of presentation mode; titles, axis labels and ticks follow it."""
    _state["pt"] = int(pt)


def presentation_size() -> int:
    return _state["pt"]


def _pt(offset: int, normal: int) -> int:
    """A font size: ``normal`` in normal mode, the presentation size + ``offset`` otherwise."""
    return max(_state["pt"] + offset, 8) if _state["presentation"] else normal


def is_presentation() -> bool:
    return _state["presentation"]


def pen_width() -> int:
    """Curve pen width in pixels (kept <= 3: wider pens cost frame time)."""
    return 3 if _state["presentation"] else 2


def title_size() -> str:
    return f"{_pt(1, 11)}pt"


def key_size() -> str:
    """Legend keys in the curve titles."""
    return f"{_pt(-3, 9)}pt"


def label_style() -> dict:
    return {"color": INK, "font-size": f"{_pt(-1, 10)}pt"}


def tick_font():
    from PySide6.QtGui import QFont
    f = QFont()
    f.setPointSize(_pt(-2, 9))
    return f


def configure_pyqtgraph() -> None:
    """Global pyqtgraph options: row-major images, light background, no antialiasing
    (antialiased thick curves are the most expensive thing pyqtgraph draws)."""
    import pyqtgraph as pg
    pg.setConfigOptions(imageAxisOrder="row-major", background=BACKGROUND, foreground=INK,
                        antialias=False, useOpenGL=False)


def stylesheet(presentation: bool = False) -> str:
    from boltzmann_lab.resources import resource_path
    path = resource_path("light.qss")
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        text = ""
    size = _state["pt"] if presentation else BASE_POINT_SIZE
    return text.replace("@BASE_PT@", str(size)).replace("@TITLE_PT@", str(size + 3))


def apply(app, presentation: bool = False) -> None:
    """Apply fonts, palette and stylesheet to the QApplication."""
    from PySide6.QtGui import QFont
    _state["presentation"] = bool(presentation)
    configure_pyqtgraph()
    font = QFont(app.font())
    font.setPointSize(_state["pt"] if presentation else BASE_POINT_SIZE)
    app.setFont(font)
    app.setStyleSheet(stylesheet(presentation))


def set_presentation(app, on: bool) -> None:
    apply(app, on)


# --------------------------------------------------------------------------- colour maps
def _lut_from_stops(stops) -> np.ndarray:
    """(256, 3) uint8 LUT: 255 interpolated entries from ``stops`` [(pos, (r,g,b)), ...]
    plus the gap colour at index 255."""
    pos = np.array([p for p, _ in stops])
    cols = np.array([c for _, c in stops], dtype=float)
    x = np.linspace(0.0, 1.0, 255)
    lut = np.empty((256, 3), dtype=np.uint8)
    for ch in range(3):
        lut[:255, ch] = np.round(np.interp(x, pos, cols[:, ch]))
    lut[255] = GAP
    return lut


def spin_lut() -> np.ndarray:
    """White (down / off / 0) to deep navy (up / on / 1): crisp on a projector."""
    return _lut_from_stops([(0.0, (250, 250, 247)), (1.0, (16, 42, 84))])


def diverging_lut() -> np.ndarray:
    """Blue (negative) - white (zero) - red (positive), for couplings and weights."""
    return _lut_from_stops([(0.0, (33, 102, 172)), (0.25, (103, 169, 207)),
                            (0.5, (247, 247, 247)), (0.75, (239, 138, 98)),
                            (1.0, (178, 24, 43))])


def sequential_lut() -> np.ndarray:
    """Viridis-like sequential map for real-valued images and likelihood surfaces."""
    return _lut_from_stops([(0.0, (68, 1, 84)), (0.25, (59, 82, 139)), (0.5, (33, 145, 140)),
                            (0.75, (94, 201, 98)), (1.0, (253, 231, 37))])


def to_index(x: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """Map values to uint8 LUT indices 0..254 (NaN -> 255, the gap colour)."""
    x = np.asarray(x, dtype=np.float32)
    span = float(hi - lo) if hi > lo else 1.0
    with np.errstate(invalid="ignore"):
        idx = np.clip((x - lo) * (254.0 / span), 0.0, 254.0)
    out = np.empty(x.shape, dtype=np.uint8)
    np.rint(idx, out=idx)
    nan = np.isnan(idx)
    idx[nan] = 255
    out[...] = idx
    return np.ascontiguousarray(out)
