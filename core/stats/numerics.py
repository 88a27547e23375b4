"""Small numerical building blocks shared by every model: one of each.

* :func:`logsumexp` — log Σ exp(a), stable for any magnitude; all −inf gives −inf.
* :func:`sigmoid` — 1 / (1 + e^{−x}) without overflow (via tanh).
* :func:`log_mean_exp` — log of the mean of exp(a) (AIS weights).

Nothing here is random.
"""

from __future__ import annotations

import numpy as np


def logsumexp(a, axis=None):
    """log Σ exp(a) along ``axis`` (``None``: over all entries, returned as a float).

    Subtracts the maximum first, so entries of any size are fine; a slice that is all −inf gives
    −inf (not NaN).  ``axis`` may be an int or a tuple; the reduced axes are removed.
    """
    a = np.asarray(a, dtype=np.float64)
    m = np.max(a, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)        # all -inf: exp(-inf - 0) = 0 -> log 0 = -inf
    with np.errstate(divide="ignore"):
        out = np.log(np.sum(np.exp(a - m), axis=axis, keepdims=True)) + m
    return float(out.reshape(())) if axis is None else np.squeeze(out, axis=axis)


def log_mean_exp(a, axis=None):
    """log( mean(exp(a)) ) along ``axis``, stably (:func:`logsumexp` minus log of the count)."""
    a = np.asarray(a, dtype=np.float64)
    count = a.size if axis is None else np.prod([a.shape[k] for k in np.atleast_1d(axis)])
    return logsumexp(a, axis) - np.log(count)


def sigmoid(x):
    """1 / (1 + exp(−x)), computed as (1 + tanh(x/2)) / 2 so that no exp overflows."""
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(x, dtype=np.float64)))
