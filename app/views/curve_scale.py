"""Scales of the learning-curve plots: the y range (:func:`y_range`: follow the data, but leave early
values off-scale in a long run when they would squash the recent curves flat) and a value axis
that does not crowd its tick labels (:class:`ShortAxis`); widths of plot titles."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg

#: y_range: the recent part of a run is the last RECENT_FRACTION of its steps; earlier values
#: are left off-scale when showing them would squeeze the recent curves into less than
#: 1/SQUASH of the plot's height, and only in runs of at least MIN_STEPS steps (a Hopfield
#: recall or a short EM fit always shows everything)
RECENT_FRACTION = 0.5
SQUASH = 50.0
MIN_STEPS = 20


def y_range(xs, ys, run=None, recent_fraction=RECENT_FRACTION, squash=SQUASH,
            min_steps=MIN_STEPS, include=()) -> tuple[float, float, bool] | None:
    """The y range (lo, hi, early_off_scale) to show curves ``(xs[i], ys[i])`` (arrays).

    Normally min..max of every finite point (and of the values in ``include``) with a 6 %
    margin.  In a run spanning steps ``run`` = (first, last) (default: these curves' own) of at
    least ``min_steps`` steps, if the points of the last ``recent_fraction`` of the run span
    less than 1/``squash`` of the whole range, the range is the recent points' own with a margin
    of one recent span (at least 1 % of the whole range) on each side, so the recent curves fill
    up to a third of the height and their values can be read on the axis, and the flag says
    that earlier values are off-scale.
    None when there is nothing finite to show."""
    x_all = np.concatenate([np.asarray(x, dtype=float).ravel() for x in xs]) if xs else \
        np.empty(0)
    y_all = np.concatenate([np.asarray(y, dtype=float).ravel() for y in ys]) if ys else \
        np.empty(0)
    ok = np.isfinite(x_all) & np.isfinite(y_all)
    x_all, y_all = x_all[ok], y_all[ok]
    if not y_all.size:
        return None
    extra = [float(v) for v in include]
    lo, hi = min([float(y_all.min())] + extra), max([float(y_all.max())] + extra)
    span = hi - lo
    pad = 0.06 * span if span > 0 else max(0.5 * abs(hi), 0.5)
    x0, x1 = run if run is not None else (float(x_all.min()), float(x_all.max()))
    if x1 - x0 >= min_steps:
        recent = y_all[x_all >= x1 - recent_fraction * (x1 - x0)]
        if recent.size:
            rlo = min([float(recent.min())] + extra)
            rhi = max([float(recent.max())] + extra)
            rspan = max(rhi - rlo, 1e-9 * max(abs(rlo), abs(rhi), 1e-300))
            if span > squash * rspan:
                # at least 1 % of the whole range: a converged, flat tail is not blown up
                margin = max(rspan, 0.01 * span)
                return max(lo - pad, rlo - margin), min(hi + pad, rhi + margin), True
    return lo - pad, hi + pad, False


class ShortAxis(pg.AxisItem):
    """A value axis that labels at most one tick per ``LABEL_PX`` pixels: three stacked plots in
    half a window are ~60 px tall, where pyqtgraph puts at least three labels (its minimum number
    of intervals) and they run into an unreadable column."""

    LABEL_PX = 20

    def tickSpacing(self, minVal, maxVal, size):    # noqa: N802,N803 (pyqtgraph names)
        levels = super().tickSpacing(minVal, maxVal, size)
        dif = abs(maxVal - minVal)
        if not levels or dif == 0 or dif / levels[0][0] <= max(size / self.LABEL_PX, 2.0):
            return levels
        room = max(int(size // self.LABEL_PX), 2)
        step = 10.0 ** math.floor(math.log10(dif / room))
        # the widest round step that still puts a label well inside the range (labels at the
        # very ends are hidden by pyqtgraph)
        lo, hi = min(minVal, maxVal), max(minVal, maxVal)
        for m in (10, 5, 2, 1):
            sp = m * step
            first = math.ceil((lo + 0.1 * dif) / sp) * sp
            if first <= hi - 0.1 * dif:
                return [(sp, 0.0)]
        return [(step, 0.0)]


def elide_title(title: str, title_size: str, room: int) -> str:
    """``title`` (bold, ``title_size``) shortened with "…" to at most ``room`` px."""
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QFont, QFontMetrics
    f = QFont()
    f.setPointSizeF(float(title_size.rstrip("pt")))
    f.setBold(True)
    return QFontMetrics(f).elidedText(title, Qt.ElideRight, room)


def text_width(plain: str, title_size: str, key_size: str) -> int:
    """Rough width in px of a title (bold, ``title_size``) with its keys (``key_size``)."""
    from PySide6.QtGui import QFont, QFontMetrics
    title, _, rest = plain.partition("      ")
    f = QFont()
    f.setPointSizeF(float(title_size.rstrip("pt")))
    f.setBold(True)
    k = QFont()
    k.setPointSizeF(float(key_size.rstrip("pt")))
    return QFontMetrics(f).horizontalAdvance(title + "   ") + \
        QFontMetrics(k).horizontalAdvance(rest)


def wrap_keys(plain, keys, title_size, key_size, room) -> list:
    """Legend keys (``keys``, HTML, with their ``plain`` texts) in lines of at most ``room`` px."""
    lines, line = [], []
    for text, key in zip(plain, keys):
        trial = "    ".join(t for t, _ in line + [(text, key)])
        if line and text_width("      " + trial, title_size, key_size) > room:
            lines.append(line)
            line = []
        line.append((text, key))
    if line:
        lines.append(line)
    return lines
