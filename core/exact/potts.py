"""Exact enumeration of small Potts models: log Z, one- and two-site marginals, log-likelihood,
independent samples.

Model: E(σ) = −Σ_i h_i(σ_i) − Σ_{i<j} J_ij(σ_i, σ_j), σ_i ∈ {0..q−1}, h (n, q), J (n, n, q, q) with
J[i, j] = J[j, i]ᵀ and zero diagonal blocks (:func:`boltzmann_lab.models.potts.check_params`).

Blocked and vectorised like the binary enumeration: the sites are split into a left half (a = n//2
sites) and a right half (b = n − a).  With Y_L (q^a, a q) and Y_R (q^b, b q) the one-hot codes of
all half-configurations, the negative energies of every (l, r) pair form the matrix

    S = e_L 1ᵀ + 1 e_Rᵀ + (Y_L J_LR) Y_Rᵀ,        J_LR[(i, x), (j, y)] = J_ij(x, y), i ∈ L, j ∈ R,

(e_L, e_R the halves' own negative energies), one GEMM per block of left rows.  Blocks are
exponentiated against a running maximum (online log-sum-exp), so nothing overflows, and the
marginals are again GEMMs: P_LL = Y_Lᵀ diag(Σ_r P) Y_L, P_RR = Y_Rᵀ diag(Σ_l P) Y_R,
P_LR = Y_Lᵀ P Y_R.  Memory stays bounded (blocks of ``BLOCK_ELEMENTS`` entries); the cost is
q^n (b q + 1) multiply-adds.  Nothing here is random except :func:`sample_exact`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from boltzmann_lab.kernels.enumerate import single_thread_blas

#: largest number of configurations q^n enumerated
MAX_STATES = 1 << 24
BLOCK_ELEMENTS = 1 << 17


def n_states(n: int, q: int) -> float:
    """q^n as a float (no overflow for large n)."""
    return float(q) ** int(n)


def feasible(n: int, q: int, limit: int = MAX_STATES) -> bool:
    """Can a model of n sites with q states be enumerated (q^n ≤ ``limit``)?"""
    return n_states(n, q) <= limit


def configurations(m: int, q: int) -> np.ndarray:
    """All q^m configurations of m sites, (q^m, m) int64; site k is digit k (base q) of the row
    index, site 0 the least significant."""
    idx = np.arange(q ** m, dtype=np.int64)
    return (idx[:, None] // (q ** np.arange(m, dtype=np.int64))) % q


def one_hot(X, q: int) -> np.ndarray:
    """(M, m) integer states -> (M, m q) float64 one-hot codes, column i q + a for site i, state a."""
    X = np.asarray(X, dtype=np.int64)
    M, m = X.shape
    Y = np.zeros((M, m * q))
    if m:
        Y[np.arange(M)[:, None], np.arange(m)[None, :] * q + X] = 1.0
    return Y


def neg_energy(X, h, J) -> np.ndarray:
    """−E(σ) for each row of X (M, n) integer states; returns (M,) float64."""
    X = np.asarray(X, dtype=np.int64)
    n, q = h.shape
    Y = one_hot(X, q)
    Jf = J.transpose(0, 2, 1, 3).reshape(n * q, n * q)    # Jf[(i,a),(j,b)] = J_ij(a, b)
    return Y @ h.reshape(-1) + 0.5 * np.einsum("mk,mk->m", Y @ Jf, Y)


@dataclass(frozen=True)
class PottsStats:
    """Exact statistics: ``log_z``; ``p1`` (n, q) one-site marginals P(σ_i = a); ``p2``
    (n, n, q, q) two-site marginals P(σ_i = a, σ_j = b) (diagonal blocks diag(p1_i))."""

    log_z: float
    p1: np.ndarray
    p2: np.ndarray


class _Split:
    def __init__(self, h, J):
        h = np.asarray(h, dtype=np.float64)
        J = np.asarray(J, dtype=np.float64)
        n, q = h.shape
        if not feasible(n, q):
            raise ValueError(f"exact enumeration handles at most {MAX_STATES} configurations; "
                             f"this model has q^n = {q}^{n} = {n_states(n, q):.3g}")
        self.n, self.q = n, q
        self.a = a = n // 2
        self.b = n - a
        cl, cr = configurations(a, q), configurations(self.b, q)
        self.YL, self.YR = one_hot(cl, q), one_hot(cr, q)
        self.eL = neg_energy(cl, h[:a], J[:a, :a])
        self.eR = neg_energy(cr, h[a:], J[a:, a:])
        JLR = J[:a, a:].transpose(0, 2, 1, 3).reshape(a * q, self.b * q)
        self.A = self.YL @ JLR                      # (q^a, b q) cross fields on the right half

    def blocks(self):
        rows = max(1, BLOCK_ELEMENTS // self.YR.shape[0])
        for s in range(0, self.YL.shape[0], rows):
            S = self.A[s:s + rows] @ self.YR.T
            S += self.eL[s:s + rows, None]
            S += self.eR[None, :]
            yield s, S


def log_z(h, J) -> float:
    """Exact log Z (q^n ≤ :data:`MAX_STATES`)."""
    with single_thread_blas():
        sp = _Split(h, J)
        m, acc = -np.inf, 0.0
        for _, S in sp.blocks():
            bm = float(S.max())
            if bm > m:
                acc *= np.exp(m - bm)
                m = bm
            acc += float(np.exp(S - m).sum())
        return m + float(np.log(acc))


def stats(h, J) -> PottsStats:
    """Exact log Z and all one- and two-site marginals (see the module docstring for the method)."""
    with single_thread_blas():
        sp = _Split(h, J)
        n, q, a, b = sp.n, sp.q, sp.a, sp.b
        m = -np.inf
        acc = 0.0
        wR = np.zeros(sp.YR.shape[0])
        PLL = np.zeros((a * q, a * q))
        PLR = np.zeros((a * q, b * q))
        for s, S in sp.blocks():
            bm = float(S.max())
            if bm > m:
                scale = np.exp(m - bm) if np.isfinite(m) else 0.0
                acc *= scale
                wR *= scale
                PLL *= scale
                PLR *= scale
                m = bm
            P = np.exp(S - m)
            acc += float(P.sum())
            wR += P.sum(axis=0)
            yl = sp.YL[s:s + P.shape[0]]
            PLL += (yl * P.sum(axis=1)[:, None]).T @ yl
            PLR += (yl.T @ P) @ sp.YR
        PRR = (sp.YR * wR[:, None]).T @ sp.YR
        full = np.zeros((n * q, n * q))
        full[:a * q, :a * q] = PLL
        full[a * q:, a * q:] = PRR
        full[:a * q, a * q:] = PLR
        full[a * q:, :a * q] = PLR.T
        full /= acc
        p2 = full.reshape(n, q, n, q).transpose(0, 2, 1, 3).copy()
        p1 = np.einsum("iiab->ia", p2).copy() if n else np.zeros((0, q))
        for i in range(n):                       # diagonal blocks: exactly diag(p1_i)
            p2[i, i] = np.diag(p1[i])
        return PottsStats(m + float(np.log(acc)), p1, p2)


def log_likelihood(X, h, J, weights=None, logz=None) -> float:
    """Mean log-likelihood (nats per sample) of integer states X (M, n); with ``weights`` (M,)
    the weighted mean Σ w_m log p(σ^m) / Σ w_m."""
    lz = log_z(h, J) if logz is None else logz
    lp = neg_energy(X, h, J) - lz
    if weights is None:
        return float(lp.mean())
    w = np.asarray(weights, dtype=np.float64)
    return float(w @ lp / w.sum())


def sample_exact(h, J, n_samples, seed) -> np.ndarray:
    """``n_samples`` independent exact samples (n_samples, n) int64.

    Two stages with bounded memory: the left half-configuration l is drawn from its marginal
    p(l) = Σ_r p(l, r) (one pass over the blocks), then r from p(r | l) for every distinct l drawn.
    Random: ``seed`` (int, None or Generator).
    """
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    with single_thread_blas():
        sp = _Split(h, J)
        n, q, a, b = sp.n, sp.q, sp.a, sp.b
        logpl = np.empty(sp.YL.shape[0])
        for s, S in sp.blocks():
            mx = S.max(axis=1)
            logpl[s:s + len(S)] = mx + np.log(np.exp(S - mx[:, None]).sum(axis=1))
        pl = np.exp(logpl - logpl.max())
        pl /= pl.sum()
        left = rng.choice(len(pl), size=int(n_samples), p=pl)
        right = np.empty(int(n_samples), dtype=np.int64)
        for l in np.unique(left):
            where = np.nonzero(left == l)[0]
            row = sp.A[l] @ sp.YR.T + sp.eR
            pr = np.exp(row - row.max())
            pr /= pr.sum()
            right[where] = rng.choice(len(pr), size=len(where), p=pr)
        out = np.empty((int(n_samples), n), dtype=np.int64)
        out[:, :a] = configurations(a, q)[left]
        out[:, a:] = configurations(b, q)[right]
        return out
