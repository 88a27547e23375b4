"""Seeded minibatches: every epoch visits each row once, reshuffles, and resumes from (epoch, pos)."""

import numpy as np

from boltzmann_lab.learning.minibatches import Minibatches


def test_each_epoch_is_a_permutation_and_epochs_differ():
    b = Minibatches(10, 4, seed=3)
    epochs = []
    for _ in range(2):
        rows = np.concatenate([b.next() for _ in range(3)])   # 4 + 4 + 2
        assert sorted(rows) == list(range(10))
        epochs.append(rows)
    assert b.epoch == 1 and not np.array_equal(epochs[0], epochs[1])


def test_restore_continues_bit_for_bit():
    a = Minibatches(23, 5, seed=7)
    for _ in range(7):
        a.next()
    b = Minibatches(23, 5, seed=7)
    b.restore(a.epoch, a.pos)
    for _ in range(12):
        np.testing.assert_array_equal(a.next(), b.next())
