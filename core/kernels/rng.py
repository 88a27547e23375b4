"""Explicit per-lane random numbers for numba kernels.

Each lane (chain, row block, SIMD lane) owns one 64-bit xorshift64* state.  Kernels advance the
state in place, so two calls with the same seeded states give identical results and no two threads
ever share a generator (numba's own ``np.random`` is per-thread global state, which we avoid).

``uniform(states, i)`` returns a float64 in [0, 1) with 53 random bits.
"""

import numpy as np
from numba import njit

_MULT = np.uint64(0x2545F4914F6CDD1D)


def seed_states(n_lanes, seed):
    """Return ``n_lanes`` independent non-zero uint64 states derived from ``seed``.

    ``seed`` is an int, ``None`` or a ``numpy.random.Generator`` (its stream is advanced).
    """
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    states = rng.integers(1, np.iinfo(np.uint64).max, size=int(n_lanes), dtype=np.uint64,
                          endpoint=True)
    return states


def as_lanes(seed, n_lanes):
    """uint64 lane states for ``n_lanes`` rows or chains: an existing (n_lanes,) uint64 array is
    used as it is (advanced in place by the kernels — never out of range, its shape is checked);
    a seed or Generator makes fresh ones (:func:`seed_states`)."""
    if isinstance(seed, np.ndarray) and seed.dtype == np.uint64:
        if seed.shape != (int(n_lanes),):
            raise ValueError(f"expected {n_lanes} RNG lane states, got shape {seed.shape}")
        return seed
    return seed_states(n_lanes, seed)


@njit(nogil=True, cache=True, inline="always")
def next_u64(states, i):
    """Advance lane ``i`` (xorshift64*) and return 64 random bits."""
    x = states[i]
    x ^= x >> np.uint64(12)
    x ^= x << np.uint64(25)
    x ^= x >> np.uint64(27)
    states[i] = x
    return x * _MULT


@njit(nogil=True, cache=True, inline="always")
def uniform(states, i):
    """A float64 uniform on [0, 1) from lane ``i``."""
    return np.float64(next_u64(states, i) >> np.uint64(11)) * (1.0 / 9007199254740992.0)
