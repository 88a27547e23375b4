"""Shared pieces of the live views: a titled frame around a pyqtgraph canvas, image plots that use
the fast ImageItem path (uint8 indices + LUT + explicit levels), and the tile-mosaic builder.

Every view is created once and updated in place: image items get ``setImage`` with explicit
levels, curves get ``setData`` — nothing is rebuilt per frame (REFERENCES.md, frame budget).
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QSize, Qt
from PySide6.QtWidgets import QFrame, QLabel, QSizePolicy, QVBoxLayout

from .. import theme


class ElidedLabel(QLabel):
    """A one-line plain-text label that shortens its text with "…" when its column is narrow
    (the full text goes to the tooltip), so a long title never sets a minimum width for the
    whole window.  ``text()`` returns the full text."""

    def __init__(self, text: str = "", parent=None):
        super().__init__(parent)
        self._full = ""
        self.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)
        self.setText(text)

    def setText(self, text: str) -> None:     # noqa: N802 (Qt name)
        self._full = str(text)
        self._elide()

    def text(self) -> str:
        return self._full

    def minimumSizeHint(self) -> QSize:       # noqa: N802
        return QSize(10, super().minimumSizeHint().height())

    def resizeEvent(self, event):             # noqa: N802
        super().resizeEvent(event)
        self._elide()

    def changeEvent(self, event):             # noqa: N802 (a new font changes the width)
        super().changeEvent(event)
        if event.type() in (QEvent.FontChange, QEvent.StyleChange):
            self._elide()

    def _elide(self):
        # contentsRect: inside the stylesheet's padding
        shown = self.fontMetrics().elidedText(self._full, Qt.ElideRight,
                                              max(self.contentsRect().width(), 10))
        if shown != super().text():
            super().setText(shown)
        tip = self._full if shown != self._full else ""
        if tip != self.toolTip():
            self.setToolTip(tip)


class View(QFrame):
    """A titled, captioned frame holding one ``pg.GraphicsLayoutWidget``.

    Subclasses set ``name`` (stable id), implement ``accepts(snap)`` (does the snapshot carry
    this view's data?) and ``update_snapshot(snap)``.  The grid calls :meth:`show_snapshot`,
    which also keeps the drawn snapshot in ``snapshot`` (hover read-outs and drawing tools read
    it; it holds the same copies the view draws, so they never touch the worker).
    """

    name = "view"
    title = ""

    def __init__(self, title: str | None = None, caption: str = "", parent=None):
        super().__init__(parent)
        self.setObjectName("viewFrame")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.setSpacing(0)
        self.title_label = ElidedLabel(title or self.title)
        self.title_label.setObjectName("viewTitle")
        self.caption_label = QLabel(caption)
        self.caption_label.setObjectName("viewCaption")
        self.caption_label.setWordWrap(True)
        lay.addWidget(self.title_label)
        lay.addWidget(self.caption_label)
        self.canvas = pg.GraphicsLayoutWidget()
        self.canvas.setBackground(theme.BACKGROUND)
        self.canvas.ci.setContentsMargins(4, 4, 8, 4)
        self.canvas.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Expanding)
        lay.addWidget(self.canvas, 1)
        self.snapshot = None

    @staticmethod
    def accepts(snap) -> bool:
        return False

    def update_snapshot(self, snap) -> None:
        raise NotImplementedError

    def show_snapshot(self, snap) -> None:
        """Draw ``snap`` and remember it as ``snapshot``."""
        self.update_snapshot(snap)
        self.snapshot = snap

    def set_caption(self, text: str) -> None:
        if text != self.caption_label.text():
            self.caption_label.setText(text)

    def set_title(self, text: str) -> None:
        if text != self.title_label.text():
            self.title_label.setText(text)

    def clear(self) -> None:
        """Forget data of the previous run (curves, ranges)."""


def style_plot(plot: pg.PlotItem, xlabel: str = "", ylabel: str = "", xunits=None, yunits=None):
    """Axis labels, readable tick fonts and a light grid."""
    for side, text, units in (("bottom", xlabel, xunits), ("left", ylabel, yunits)):
        ax = plot.getAxis(side)
        ax.setTickFont(theme.tick_font())
        ax.setPen(pg.mkPen(theme.MUTED, width=1))
        ax.setTextPen(pg.mkPen(theme.INK))
        ax.enableAutoSIPrefix(False)      # "m (x0.001)" confuses a lecture audience
        if text:
            plot.setLabel(side, text, units=units, **theme.label_style())
    plot.showGrid(x=True, y=True, alpha=0.15)
    plot.setMenuEnabled(False)


def image_plot(canvas: pg.GraphicsLayoutWidget, row=None, col=None) -> tuple[pg.PlotItem, pg.ImageItem]:
    """A plot holding one ImageItem: square pixels, row 0 at the top, no axes."""
    plot = canvas.addPlot(row=row, col=col)
    plot.hideAxis("left")
    plot.hideAxis("bottom")
    plot.setAspectLocked(True)
    plot.invertY(True)
    plot.setMenuEnabled(False)
    plot.hideButtons()
    plot.setMouseEnabled(x=False, y=False)
    item = pg.ImageItem(axisOrder="row-major")
    plot.addItem(item)
    return plot, item


def set_index_image(item: pg.ImageItem, plot: pg.PlotItem, idx: np.ndarray, lut: np.ndarray,
                    shape_state: dict) -> None:
    """Show uint8 LUT indices with explicit levels; re-fit the view only when the shape changes."""
    item.setImage(idx, levels=(0, 255), lut=lut, autoLevels=False)
    if shape_state.get("shape") != idx.shape:
        shape_state["shape"] = idx.shape
        plot.setRange(xRange=(0, idx.shape[1]), yRange=(0, idx.shape[0]), padding=0.02)


def display_shape(n: int, image_shape) -> tuple[int, int]:
    """Shape (h, w) to draw an n-vector: the given image shape, a square, or a 1-row strip."""
    if image_shape is not None:
        shp = tuple(int(s) for s in image_shape)
        if len(shp) == 2 and shp[0] * shp[1] == n:
            return shp
        if len(shp) == 1 and shp[0] == n:
            return (1, n)
    # without a known shape only perfect squares of some size are drawn as images: units with
    # no spatial meaning (SK spins, coin tosses) are honest as a strip
    r = int(math.isqrt(n))
    if r * r == n and n >= 36:
        return (r, r)
    return (1, n)


def tile_mosaic(samples: np.ndarray, shape: tuple[int, int], cols: int | None = None,
                gap: int = 1) -> np.ndarray:
    """Arrange samples (k, h*w) as a grid of (h, w) tiles separated by ``gap`` NaN pixels.

    1-row samples (strips) are stacked as rows instead, so k strips make one k x w block.
    """
    samples = np.asarray(samples, dtype=np.float32)
    if samples.ndim == 1:
        samples = samples[None, :]
    k = samples.shape[0]
    h, w = shape
    if h == 1:
        return np.ascontiguousarray(samples.reshape(k, w))
    if cols is None:
        cols = max(1, int(math.ceil(math.sqrt(k))))
    rows = max(1, int(math.ceil(k / cols)))
    out = np.full((rows * (h + gap) - gap, cols * (w + gap) - gap), np.nan, dtype=np.float32)
    for i in range(k):
        r, c = divmod(i, cols)
        out[r * (h + gap):r * (h + gap) + h, c * (w + gap):c * (w + gap) + w] = \
            samples[i].reshape(h, w)
    return out


def hstack_blocks(blocks: list[np.ndarray], gap: int) -> np.ndarray:
    """Place 2-D blocks side by side, top-aligned, with NaN gaps."""
    height = max(b.shape[0] for b in blocks)
    width = sum(b.shape[1] for b in blocks) + gap * (len(blocks) - 1)
    out = np.full((height, width), np.nan, dtype=np.float32)
    x = 0
    for b in blocks:
        out[:b.shape[0], x:x + b.shape[1]] = b
        x += b.shape[1] + gap
    return out


def convention_levels(convention: str, arr: np.ndarray | None = None,
                      state: dict | None = None) -> tuple[float, float]:
    """Fixed levels for binary/spin units; for real values a range that only ever grows (so
    the picture does not flicker as it would with per-frame auto-levelling)."""
    if convention == "spin":
        return (-1.0, 1.0)
    if convention == "binary":
        return (0.0, 1.0)
    lo, hi = (state or {}).get("levels", (math.inf, -math.inf))
    if arr is not None and arr.size:
        finite = arr[np.isfinite(arr)]
        if finite.size:
            lo, hi = min(lo, float(finite.min())), max(hi, float(finite.max()))
    if not math.isfinite(lo) or hi <= lo:
        lo, hi = (0.0, 1.0) if not math.isfinite(lo) else (lo - 0.5, lo + 0.5)
    if state is not None:
        state["levels"] = (lo, hi)
    return lo, hi


def loosen_title(plot: pg.PlotItem) -> None:
    """Keep a plot's title from setting the plot's minimum width (pyqtgraph makes it the text's
    width at every change, which widens the plot past a narrow canvas, clipping the plot): the
    title is fitted to the plot instead (wrapped or elided by its owner)."""
    label = plot.titleLabel
    if getattr(label, "_loose", False):
        label.setMinimumWidth(10)
        return
    label._loose = True
    tight = label.updateMin

    def update_min():
        tight()
        label.setMinimumWidth(10)
        hints = getattr(label, "_sizeHint", None)
        if hints:
            for key in (Qt.SizeHint.MinimumSize, Qt.SizeHint.PreferredSize):
                if key in hints:
                    hints[key] = (10, hints[key][1])
        label.updateGeometry()
    label.updateMin = update_min
    update_min()


def set_wrapped_title(plot: pg.PlotItem, text: str) -> None:
    """A plot title that wraps onto further lines (at spaces) when the plot is narrower than the
    text, re-wrapped whenever the plot is resized, so that it is never cut."""
    plot._wrap_title = text
    if not getattr(plot, "_wrap_connected", False):
        plot._wrap_connected = True
        plot.geometryChanged.connect(lambda p=plot: _rewrap_title(p))
    _rewrap_title(plot)


def _rewrap_title(plot) -> None:
    import html
    from PySide6.QtGui import QFont, QFontMetrics
    text = getattr(plot, "_wrap_title", "")
    f = QFont()
    f.setPointSizeF(float(theme.title_size().rstrip("pt")))
    fm = QFontMetrics(f)
    width = plot.vb.width() if plot.vb.width() > 60 else plot.width()    # the title's column
    room = max(int(width) - 8, 40) if width > 0 else 10 ** 6
    lines: list[str] = []
    for word in text.split(" "):
        if lines and fm.horizontalAdvance(lines[-1] + " " + word) <= room:
            lines[-1] += " " + word
        else:
            lines.append(word)
    shown = "<br>".join(html.escape(ln) for ln in lines)
    if shown != getattr(plot, "_wrap_shown", None):
        plot._wrap_shown = shown
        plot.setTitle(shown, size=theme.title_size(), color=theme.INK)
        loosen_title(plot)
        h = max(30, int(plot.titleLabel.item.boundingRect().height()) - 4)
        plot.titleLabel.setMaximumHeight(h)
        plot.layout.setRowFixedHeight(0, h)


def wrap_bottom_label(plot: pg.PlotItem) -> None:
    """The bottom axis label wraps onto further lines when it is longer than the axis (the axis
    grows to hold them), re-wrapped whenever the plot is resized, so that it is never cut."""
    if getattr(plot, "_wrap_bottom", False):
        _rewrap_bottom(plot)
        return
    plot._wrap_bottom = True
    plot.geometryChanged.connect(lambda p=plot: _rewrap_bottom(p))
    _rewrap_bottom(plot)


def _rewrap_bottom(plot) -> None:
    ax = plot.getAxis("bottom")
    label = ax.label
    if label is None or not label.isVisible():
        return
    label.setTextWidth(-1)
    room = ax.width() - 4
    width = -1 if room <= 40 or label.boundingRect().width() <= room else room
    label.setTextWidth(width)
    ax._updateHeight()
    ax.resizeEvent()
