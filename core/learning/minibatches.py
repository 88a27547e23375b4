"""Seeded minibatches that reshuffle every epoch, resumable from two integers.

Epoch e visits the rows in the order ``default_rng([seed, 1, e]).permutation(n_rows)``, in slices
of ``batch_size`` (the last one may be shorter).  Because each epoch's order depends only on
(seed, epoch), the position ``(epoch, pos)`` is all a saved session needs to continue bit for bit.
"""

from __future__ import annotations

import numpy as np


class Minibatches:
    """Row indices of successive minibatches of an ``n_rows`` data set."""

    def __init__(self, n_rows: int, batch_size: int, seed: int):
        self.n_rows, self.batch_size, self.seed = int(n_rows), int(batch_size), int(seed)
        self.restore(0, 0)

    def _permutation(self, epoch: int) -> np.ndarray:
        return np.random.default_rng([self.seed, 1, epoch]).permutation(self.n_rows)

    def next(self) -> np.ndarray:
        """Indices of the next minibatch (starting a new, reshuffled epoch when one is used up)."""
        if self.pos >= self.n_rows:
            self.restore(self.epoch + 1, 0)
        idx = self.perm[self.pos:self.pos + self.batch_size]
        self.pos += len(idx)
        return idx

    def restore(self, epoch: int, pos: int) -> None:
        """Continue from row ``pos`` of epoch ``epoch`` (as saved from ``.epoch``/``.pos``)."""
        self.epoch, self.pos = int(epoch), int(pos)
        self.perm = self._permutation(self.epoch)
