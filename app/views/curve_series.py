"""The point buffer behind each learning curve: bounded, evenly thinned as a run grows."""

from __future__ import annotations

import numpy as np

MAX_POINTS = 4000


class _Series:
    """A bounded (x, y) buffer with a uniform stride, and its curve item.

    When the buffer is full every other stored point is dropped and from then on only every
    second offered point is kept (the stride doubles), so the stored history stays evenly
    spaced and memory stays bounded however long the run; the newest point is always drawn.
    """

    def __init__(self, curve, colour, label, exact):
        self.curve = curve
        self.colour, self.label, self.exact = colour, label, exact
        self.x = np.empty(256)
        self.y = np.empty(256)
        self.n = 0
        self.stride = 1
        self.offered = 0
        self.tail = None           # newest point when the stride skipped it
        self.dirty = False
        self.log = False

    def append(self, x, y):
        self.dirty = True
        keep = self.offered % self.stride == 0
        self.offered += 1
        if not keep:
            self.tail = (x, y)
            return
        self.tail = None
        if self.n == len(self.x):
            if self.n >= MAX_POINTS:
                k = (self.n + 1) // 2
                self.x[:k], self.y[:k] = self.x[:self.n:2].copy(), self.y[:self.n:2].copy()
                self.n = k
                self.stride *= 2
                self.offered = 1          # this point is kept; the next kept one is stride on
            else:
                self.x = np.resize(self.x, 2 * len(self.x))
                self.y = np.resize(self.y, 2 * len(self.y))
        self.x[self.n] = x
        self.y[self.n] = y
        self.n += 1

    def last(self):
        if self.tail is not None:
            return self.tail[1]
        return self.y[self.n - 1] if self.n else None

    def flush(self):
        if self.dirty:
            x, y = self.x[:self.n], self.y[:self.n]
            if self.tail is not None:
                x = np.append(x, self.tail[0])
                y = np.append(y, self.tail[1])
            if self.log:     # log axes: non-positive values have no place, leave a gap
                y = np.where(y > 0, y, np.nan)
            # a handful of points (an exact fit done in one step, a short EM run) would be an
            # invisible or unreadable line: mark each point
            few = len(x) <= 30
            if few != getattr(self, "_symbols", None):
                self._symbols = few
                if few:
                    self.curve.setSymbol("o")
                    self.curve.setSymbolSize(7)
                    self.curve.setSymbolBrush(self.colour)
                    self.curve.setSymbolPen(None)
                else:
                    self.curve.setSymbol(None)
            self.curve.setData(x, y)
            self.dirty = False
