"""Exporting what is on screen: any view (or the whole window) as a PNG at 2x for slides, a view
copied to the clipboard, and the learning curves as CSV.

Images are rendered, not screen-grabbed: the widget paints itself into a pixmap ``scale`` times its
size with the device-pixel ratio set, so text and lines come out sharp at 2x (what a slide needs)
on any screen, including the offscreen platform used by the tests.
"""

from __future__ import annotations

import csv
import os
import tempfile
from pathlib import Path

import numpy as np
from PySide6.QtCore import QPoint
from PySide6.QtGui import QGuiApplication, QImage, QPainter, QPixmap

#: scale factor of exported images (2x: sharp on a slide and on hi-dpi projectors)
SLIDE_SCALE = 2.0


def render(widget, scale: float = SLIDE_SCALE) -> QImage:
    """The widget (and its children) painted at ``scale`` times its size, as a QImage."""
    w, h = max(1, widget.width()), max(1, widget.height())
    pix = QPixmap(int(round(w * scale)), int(round(h * scale)))
    pix.setDevicePixelRatio(scale)
    pix.fill(widget.palette().window().color())
    painter = QPainter(pix)
    try:
        painter.setRenderHint(QPainter.Antialiasing, True)
        painter.setRenderHint(QPainter.TextAntialiasing, True)
        widget.render(painter, QPoint(0, 0))
    finally:
        painter.end()
    img = pix.toImage()
    img.setDevicePixelRatio(1.0)
    return img


def save_png(widget, path, scale: float = SLIDE_SCALE) -> Path:
    """Render ``widget`` at ``scale`` and write a PNG atomically; return the path."""
    path = Path(path)
    if path.suffix.lower() != ".png":
        path = path.with_name(path.name + ".png")
    img = render(widget, scale)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".png", dir=path.parent or ".")
    os.close(fd)
    try:
        if not img.save(tmp, "PNG"):
            raise OSError(f"could not write the image {path}")
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def copy_to_clipboard(widget, scale: float = SLIDE_SCALE) -> QImage:
    """Put a rendering of ``widget`` on the clipboard (paste it into slides); return it."""
    img = render(widget, scale)
    QGuiApplication.clipboard().setImage(img)
    return img


# ----------------------------------------------------------------------------- curves as CSV
def curve_table(curves_view) -> tuple[list[str], np.ndarray]:
    """(column names, rows) of every curve of a CurvesView: ``step`` then one column per metric,
    rows sorted by step, empty (NaN) where a metric was not logged at that step."""
    series = {name: (s.x[:s.n].copy(), s.y[:s.n].copy())
              for name, s in curves_view.series.items() if s.n}
    names = sorted(series)
    if not names:
        return ["step"], np.zeros((0, 1))
    steps = np.unique(np.concatenate([series[n][0] for n in names]))
    table = np.full((len(steps), len(names) + 1), np.nan)
    table[:, 0] = steps
    for j, n in enumerate(names, start=1):
        x, y = series[n]
        table[np.searchsorted(steps, x), j] = y
    return ["step"] + names, table


def save_curves_csv(curves_view, path) -> Path:
    """Write the learning curves as CSV (header row, one row per step, blank = not logged)."""
    path = Path(path)
    if path.suffix.lower() != ".csv":
        path = path.with_name(path.name + ".csv")
    header, table = curve_table(curves_view)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".csv", dir=path.parent or ".")
    try:
        with os.fdopen(fd, "w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(header)
            for row in table:
                out = [str(int(row[0])) if float(row[0]).is_integer() else repr(float(row[0]))]
                out += ["" if np.isnan(v) else repr(float(v)) for v in row[1:]]
                w.writerow(out)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def view_label(view) -> str:
    """A short human name of a view for menus and file names."""
    title = getattr(view, "title_label", None)
    text = title.text() if title is not None else ""
    return text or getattr(view, "name", "view")


def safe_stem(text: str) -> str:
    keep = "".join(c if c.isalnum() else "-" for c in text.lower())
    return "-".join(p for p in keep.split("-") if p)[:48] or "view"
