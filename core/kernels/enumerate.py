"""Blocked exact enumeration of pairwise models by matrix products (numpy/BLAS kernels).

The n units are split into a left half (units 0..a-1, a = n // 2) and a right half (units a..n-1,
b = n - a).  A configuration is a pair (l, r) of half-configurations, and its negative energy

    -E(l, r) = [h_L.x_l + sum_{i<j in L} J_ij x_i x_j] + [same for R] + x_l^T J_LR x_r
               - V[K_l + K_r]

is one entry of the (2^a, 2^b) matrix S = A @ B^T, where the rows of A and B hold, per half
configuration, the cross-field x_l^T J_LR, the half's own negative energy, a column of ones and
(when a population potential V is present) the one-hot code of K_l against the columns -V[k + K_r].
One GEMM therefore produces all 2^n log-weights of a block of left rows; weighted moments are
again GEMMs (P @ [x_r, 1, onehot(K_r)]).  Rows are processed in blocks of about
``BLOCK_ELEMENTS`` entries so memory stays bounded for n = 24, with an online log-sum-exp:
every block is exponentiated relative to the running maximum and the accumulators are rescaled when
the maximum grows, so nothing overflows even for couplings of 1e3 or more.

These are plain numpy kernels: the work is in BLAS GEMMs and numpy's SIMD ``exp``, which beat an
explicit loop (and a Gray-code walk, which computes only log Z at 2-3x the time).
"""

import contextlib

import numpy as np

try:  # optional: pins BLAS to one thread around our small GEMMs (see single_thread_blas)
    from threadpoolctl import ThreadpoolController
except ImportError:  # pragma: no cover - without it BLAS keeps its default thread count
    ThreadpoolController = None

_controller = None

# Entries of S per block: 2^17 float64 = 1 MiB keeps a block in L2 between the GEMM, exp and the
# moment GEMM (measured faster than one 8 MiB block for n = 20).
BLOCK_ELEMENTS = 1 << 17


def single_thread_blas():
    """Context manager limiting BLAS to one thread (a no-op without threadpoolctl).

    The GEMMs here are small (k ~ n/2); multi-threaded OpenBLAS gains little on them when the
    machine is idle and loses 10x when the cores are busy (measured: 4 ms -> 40-70 ms for n = 20
    on a loaded 2-core machine), and the engine's work is single-threaded by design anyway.
    """
    global _controller
    if ThreadpoolController is None:
        return contextlib.nullcontext()
    if _controller is None:
        _controller = ThreadpoolController()
    return _controller.limit(limits=1, user_api="blas")


def states(m, values=(0.0, 1.0), start=0, stop=None):
    """Configurations number ``start .. stop-1`` (default all 2^m) of m two-state units as a
    (stop - start, m) float64 array: configuration r has unit j at ``values[1]`` when bit j of r
    is set, else at ``values[0]`` ((0, 1) binary, (-1, 1) spins).  The one state enumeration of
    the project (pairwise models, RBM layers, Hopfield networks, DBMs)."""
    stop = (1 << m) if stop is None else stop
    idx = np.arange(start, stop, dtype=np.int64)
    bits = (idx[:, None] >> np.arange(m, dtype=np.int64)) & 1
    return np.where(bits == 1, float(values[1]), float(values[0]))


def half_table(m, spin):
    """All 2^m configurations of m units, {-1, +1} when ``spin`` else {0, 1} (:func:`states`)."""
    return states(m, (-1.0, 1.0) if spin else (0.0, 1.0))


def popcounts(m):
    """Number of set bits of 0 .. 2^m - 1 (int64), i.e. K of each half configuration."""
    idx = np.arange(1 << m, dtype=np.int64)
    return ((idx[:, None] >> np.arange(m, dtype=np.int64)) & 1).sum(axis=1)


class Split:
    """Precomputed half tables and GEMM operands for one model (h, J, V).

    h: (n,) float64, J: (n, n) symmetric with zero diagonal, V: (n+1,) or None, spin: bool.
    """

    def __init__(self, h, J, spin, V=None):
        n = h.shape[0]
        a = n // 2
        b = n - a
        self.n, self.a, self.b, self.spin = n, a, b, spin
        XL = half_table(a, spin)
        XR = half_table(b, spin)
        KL = popcounts(a)
        KR = popcounts(b)
        hL, hR = h[:a], h[a:]
        JLL, JRR, JLR = J[:a, :a], J[a:, a:], J[:a, a:]
        # 0.5 * x^T J x = sum_{i<j} J_ij x_i x_j since J is symmetric with zero diagonal
        negEL = XL @ hL + 0.5 * np.einsum("ri,ri->r", XL @ JLL, XL)
        negER = XR @ hR + 0.5 * np.einsum("ri,ri->r", XR @ JRR, XR)
        extra = (a + 1) if V is not None else 0
        A = np.zeros((1 << a, b + 2 + extra))
        B = np.zeros((1 << b, b + 2 + extra))
        A[:, :b] = XL @ JLR
        A[:, b] = negEL
        A[:, b + 1] = 1.0
        B[:, :b] = XR
        B[:, b] = 1.0
        B[:, b + 1] = negER
        if V is not None:
            # one-hot(K_l) . (-V[k + K_r])_k = -V[K_l + K_r], exact in floating point (0*x = 0)
            A[np.arange(1 << a), b + 2 + KL] = 1.0
            B[:, b + 2:] = -V[np.arange(a + 1)[None, :] + KR[:, None]]
        # right operand of the moment GEMM: P @ R gives per-row sum_r P x_r, sum_r P, and P(K_r)
        R = np.zeros((1 << b, 2 * b + 2))
        R[:, :b] = XR
        R[:, b] = 1.0
        R[np.arange(1 << b), b + 1 + KR] = 1.0
        self.XL, self.XR, self.KL, self.KR = XL, XR, KL, KR
        self.A, self.Bt, self.R = A, np.ascontiguousarray(B.T), R
        rows = max(1, BLOCK_ELEMENTS >> b)
        self.blocks = [(l0, min(l0 + rows, 1 << a)) for l0 in range(0, 1 << a, rows)]

    def log_weights(self, l0, l1):
        """-E for left rows l0..l1-1 and all right configurations: (l1 - l0, 2^b) float64."""
        return self.A[l0:l1] @ self.Bt


def block_logsumexp(split):
    """Per-block log-sum-exp of -E, shape (n_blocks,); their log-sum-exp is log Z."""
    out = np.empty(len(split.blocks))
    for k, (l0, l1) in enumerate(split.blocks):
        S = split.log_weights(l0, l1)
        m = S.max()
        S -= m
        np.exp(S, out=S)
        out[k] = m + np.log(S.sum())
    return out


def logsumexp(v):
    """Stable log(sum(exp(v))) of a 1-D array."""
    m = v.max()
    return float(m + np.log(np.exp(v - m).sum()))


def moments(split):
    """Exact log Z, E[x_i], E[x_i x_j] and P(K) by one pass over the blocks.

    Returns ``(log_z, mean (n,), second (n, n), p_k (n+1,))``.
    """
    a, b, n = split.a, split.b, split.n
    m_run = -np.inf
    z = 0.0
    sum_l = np.zeros(a)
    ll = np.zeros((a, a))
    lr = np.zeros((a, b))
    col = np.zeros(1 << b)
    pk2 = np.zeros((a + 1, b + 1))
    for l0, l1 in split.blocks:
        S = split.log_weights(l0, l1)
        m = S.max()
        if m > m_run:
            # online log-sum-exp: rescale what was accumulated relative to the old maximum
            scale = np.exp(m_run - m) if np.isfinite(m_run) else 0.0
            z *= scale
            sum_l *= scale
            ll *= scale
            lr *= scale
            col *= scale
            pk2 *= scale
            m_run = m
        S -= m_run
        np.exp(S, out=S)
        Q = S @ split.R                      # (rows, 2b+2)
        w = Q[:, b]                          # row weights sum_r P[l, r]
        XL = split.XL[l0:l1]
        z += w.sum()
        sum_l += w @ XL
        ll += (XL * w[:, None]).T @ XL
        lr += XL.T @ Q[:, :b]
        col += S.sum(axis=0)
        np.add.at(pk2, split.KL[l0:l1], Q[:, b + 1:])
    XR = split.XR
    mean = np.empty(n)
    mean[:a] = sum_l / z
    mean[a:] = (col @ XR) / z
    second = np.empty((n, n))
    second[:a, :a] = ll / z
    second[a:, a:] = ((XR * col[:, None]).T @ XR) / z
    second[:a, a:] = lr / z
    second[a:, :a] = second[:a, a:].T
    second = 0.5 * (second + second.T)
    # E[x_i^2] exactly: 1 for spins, E[x_i] for binary units
    np.fill_diagonal(second, 1.0 if split.spin else mean)
    p_k = np.zeros(n + 1)
    for kl in range(a + 1):
        p_k[kl:kl + b + 1] += pk2[kl]
    p_k /= z
    return float(m_run + np.log(z)), mean, second, p_k


def sample(split, block_lse, log_z, n_samples, rng):
    """Draw ``n_samples`` exact samples (iid) by inverse CDF, one block in memory at a time.

    Stage 1 picks each sample's block with the block probabilities exp(block_lse - log_z); stage 2
    recomputes that block's probabilities, and finds the configuration by binary search of a fresh
    uniform in the block's cumulative sum.  Returns (n_samples, n) float64.
    """
    a, b = split.a, split.b
    p_block = np.exp(block_lse - log_z)
    cdf = np.cumsum(p_block)
    u = rng.random(n_samples) * cdf[-1]
    # clamp to the last block/configuration of positive probability (u can round up to the total)
    which = np.minimum(np.searchsorted(cdf, u, side="right"), np.searchsorted(cdf, cdf[-1]))
    v = rng.random(n_samples)
    out = np.empty((n_samples, split.n))
    order = np.argsort(which, kind="stable")
    bounds = np.searchsorted(which[order], np.arange(len(split.blocks) + 1))
    for k, (l0, l1) in enumerate(split.blocks):
        idx = order[bounds[k]:bounds[k + 1]]
        if idx.size == 0:
            continue
        S = split.log_weights(l0, l1)
        S -= block_lse[k]
        np.exp(S, out=S)
        c = np.cumsum(S.ravel())
        flat = np.searchsorted(c, v[idx] * c[-1], side="right")
        flat = np.minimum(flat, np.searchsorted(c, c[-1]))
        rows, cols = np.divmod(flat, 1 << b)
        out[idx, :a] = split.XL[l0 + rows]
        out[idx, a:] = split.XR[cols]
    return out
