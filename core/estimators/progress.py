"""Progress display for :meth:`Estimator.fit`: a ``tqdm.auto`` bar where tqdm is installed (a
widget in Jupyter, text in a terminal), else one self-rewriting text line on stderr.

tqdm is not a dependency: the fallback is a dozen lines and shows the same facts (step, planned
steps, the latest likelihood).
"""

from __future__ import annotations

import sys
import time

#: metrics shown beside the step count, the first one present wins
SHOWN = ("val_ll", "train_ll", "val_pll", "train_pll")


def _shown(metrics) -> dict:
    for name in SHOWN:
        if name in metrics:
            return {name: f"{metrics[name]:.4g}"}
    return {}


class _Silent:
    def update(self, snap):
        pass

    def close(self):
        pass


class _Tqdm:
    def __init__(self, bar):
        self.bar = bar

    def update(self, snap):
        self.bar.update(1)
        shown = _shown(snap.metrics)
        if shown:
            self.bar.set_postfix(shown, refresh=snap.done)

    def close(self):
        self.bar.close()


class _Text:
    """``desc: step/total  metric=value`` on stderr, rewritten at most 5 times a second."""

    def __init__(self, total, desc, stream=None):
        self.total, self.desc = total, desc
        self.stream = stream or sys.stderr
        self.last = 0.0
        self.text = ""
        self.shown: dict = {}

    def update(self, snap):
        self.shown = _shown(snap.metrics) or self.shown
        now = time.monotonic()
        if now - self.last < 0.2 and not snap.done:
            return
        self.last = now
        total = f"/{self.total}" if self.total else ""
        extra = "".join(f"  {k}={v}" for k, v in self.shown.items())
        text = f"{self.desc}: step {snap.step}{total}{extra}"
        self.stream.write("\r" + text.ljust(len(self.text)))
        self.stream.flush()
        self.text = text

    def close(self):
        if self.text:
            self.stream.write("\n")
            self.stream.flush()


def progress_bar(enabled: bool, total: int | None, desc: str):
    """An object with ``update(snapshot)`` and ``close()`` (see the module docstring);
    ``total`` is the planned number of steps, ``None`` for a run that ends when it converges."""
    if not enabled:
        return _Silent()
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return _Text(total, desc)
    return _Tqdm(tqdm(total=total, desc=desc, unit="step"))
