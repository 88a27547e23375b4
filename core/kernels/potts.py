"""Numba kernels of the Potts (categorical pairwise) model: Gibbs sweeps over many chains, the
pseudo-log-likelihood with its gradient, and sequence-identity counting for reweighting.

Model (README "Potts"): states σ_i ∈ {0, …, q−1},

    E(σ) = −Σ_i h_i(σ_i) − Σ_{i<j} J_ij(σ_i, σ_j),      p(σ) = e^{−E(σ)} / Z,

``h`` of shape (n, q), ``J`` of shape (n, n, q, q) with J[i, j] = J[j, i]ᵀ and zero diagonal blocks.
The local field of site i in state a is f_i(a) = h_i(a) + Σ_j J_ij(a, σ_j), and because
J_ij(a, b) = J[j, i, b, a] the q values f_i(·) are a sum of *contiguous* rows ``J[j, i, σ_j, :]``:
every kernel below reads J in that form, so the inner loop is an add of q contiguous numbers.

Randomness: one xorshift64* state per chain (:mod:`boltzmann_lab.kernels.rng`), advanced in place,
so the same states give the same chains bit for bit.  All kernels are ``@njit(nogil=True,
cache=True)`` and single-threaded; the caller may run them on a worker thread.
"""

import numpy as np
from numba import njit

from boltzmann_lab.kernels.pairwise import fast_exp
from boltzmann_lab.kernels.rng import uniform


# ---------------------------------------------------------------------------------- Gibbs
@njit(nogil=True, cache=True, fastmath={"contract", "arcp", "nsz"})
def gibbs_sweeps(X, Jt, h, beta, sweeps, states, measure, c1, c2, f):
    """Advance every chain by ``sweeps`` heat-bath sweeps (sites 0..n−1 in order).

    Parameters
    ----------
    X : (chains, n) int8 states, updated in place.
    Jt : (n, n q, q) float32, Jt[i, j q + b, a] = J_ij(a, b) (= J[j, i, b, a]): for site i one
        contiguous slab whose row (j, σ_j) is added to the local fields.
    h : (n, q) float32.  beta : inverse temperature multiplying the whole energy.
    states : (chains,) uint64 per-chain RNG states, advanced in place.
    measure : when true, after each sweep add one count per chain to ``c1[i, σ_i]`` (n, q) and
        ``c2[i, σ_i, j, σ_j]`` (n, q, n, q) for i < j (int64 / int32 counts; the lower blocks
        stay 0; the caller keeps chains × sweeps below 2^31).
    f : (q,) float32 scratch.

    The site loop is outside the chain loop: the slab Jt[i] (n q² floats) stays in cache while all
    chains update site i.  Each chain still sees a sequential scan.  Heat bath:
    P(σ_i = a | rest) ∝ exp(β f_i(a)), drawn by inverse CDF with one uniform.
    """
    chains, n = X.shape
    q = h.shape[1]
    b32 = np.float32(beta)
    for _s in range(sweeps):
        for i in range(n):
            Ji = Jt[i]
            hi = h[i]
            for c in range(chains):
                xc = X[c]
                for a in range(q):
                    f[a] = hi[a]
                for j in range(n):          # J_ii = 0: no branch needed for j == i
                    row = Ji[j * q + np.intp(xc[j])]
                    for a in range(q):
                        f[a] += row[a]
                m = f[0]
                for a in range(1, q):
                    m = max(m, f[a])
                total = np.float32(0.0)
                for a in range(q):
                    f[a] = fast_exp(b32 * (f[a] - m))
                    total += f[a]
                u = np.float32(uniform(states, c)) * total
                new = q - 1
                acc = np.float32(0.0)
                for a in range(q):
                    acc += f[a]
                    if u < acc:
                        new = a
                        break
                xc[i] = new
        if measure:
            _count(X, c1, c2)


@njit(nogil=True, cache=True)
def _count(X, c1, c2):
    chains, n = X.shape
    for i in range(n):                     # row block c2[i] stays in cache over the chains
        for c in range(chains):
            a = X[c, i]
            c1[i, a] += 1
            for j in range(i + 1, n):
                c2[i, a, j, X[c, j]] += 1


@njit(nogil=True, cache=True)
def count_pairs(X, w, c1, c2):
    """Weighted one- and two-site counts of integer samples: ``c1[i, X[m, i]] += w[m]`` (n, q)
    and ``c2[i, X[m, i], j, X[m, j]] += w[m]`` (n, q, n, q) for i < j; float64 accumulators."""
    M, n = X.shape
    for i in range(n):
        for m in range(M):
            a = X[m, i]
            wm = w[m]
            c1[i, a] += wm
            for j in range(i + 1, n):
                c2[i, a, j, X[m, j]] += wm


# ------------------------------------------------------------------------- pseudo-likelihood
@njit(nogil=True, cache=True)
def site_pll(X, w, hr, Jc, r, want_grad, ghr, gJc, z):
    """Σ_m w_m log p(σ_r^m | σ_{−r}^m) for one site r, and optionally its gradient.

    log p(σ_r = a | rest) = f_r(a) − log Σ_c e^{f_r(c)},  f_r(a) = h_r(a) + Σ_{j≠r} J_rj(a, σ_j).

    X (M, n) int8, w (M,) float64 weights, ``hr`` = h[r] (q,) and ``Jc`` = J[:, r] (n, q, q), i.e.
    Jc[j, b, a] = J_rj(a, b) (column r of J, so that the rows read are contiguous; Jc[r] is
    ignored).  With ``want_grad`` the derivatives are *added*: ∂/∂h_r(a) to ``ghr[a]`` and ∂/∂J_rj(a, b)
    (J_rj taken as this site's own parameter) to ``gJc[j, b, a]``.  z : (q,) float64 scratch.
    Returns the weighted sum (not divided by Σw).
    """
    M, n = X.shape
    q = hr.shape[0]
    total = 0.0
    for m in range(M):
        for a in range(q):
            z[a] = hr[a]
        for j in range(n):
            if j == r:
                continue
            b = X[m, j]
            for a in range(q):
                z[a] += Jc[j, b, a]
        mx = z[0]
        for a in range(1, q):
            mx = max(mx, z[a])
        s = 0.0
        for a in range(q):
            z[a] = np.exp(z[a] - mx)
            s += z[a]
        own = X[m, r]
        wm = w[m]
        total += wm * np.log(z[own] / s)
        if want_grad:
            inv = wm / s
            for a in range(q):
                z[a] = -z[a] * inv              # −w p(a)
            z[own] += wm                        # w (δ(a, σ_r) − p(a))
            for a in range(q):
                ghr[a] += z[a]
            for j in range(n):
                if j == r:
                    continue
                b = X[m, j]
                for a in range(q):
                    gJc[j, b, a] += z[a]
    return total


@njit(nogil=True, cache=True)
def full_pll(X, w, h, Jcol, want_grad, gh, gJcol, z):
    """Σ_r :func:`site_pll` over all sites.  ``Jcol`` (n, n, q, q) is J with its first two axes
    swapped (Jcol[r] = J[:, r], contiguous per site); the per-site gradients land in ``gh[r]`` and
    ``gJcol[r]`` (so gJcol[r, j, b, a] = ∂/∂J_rj(a, b) from site r's term)."""
    n = X.shape[1]
    total = 0.0
    for r in range(n):
        total += site_pll(X, w, h[r], Jcol[r], r, want_grad, gh[r], gJcol[r], z)
    return total


@njit(nogil=True, cache=True)
def per_sample_pll(X, h, Jcol, out, z):
    """``out[m] = Σ_r log p(σ_r^m | σ_{−r}^m)`` for every row (no weights, no gradient);
    ``Jcol`` as in :func:`full_pll`."""
    M, n = X.shape
    q = h.shape[1]
    for m in range(M):
        tot = 0.0
        for r in range(n):
            Jc = Jcol[r]
            for a in range(q):
                z[a] = h[r, a]
            for j in range(n):
                if j == r:
                    continue
                b = X[m, j]
                for a in range(q):
                    z[a] += Jc[j, b, a]
            mx = z[0]
            for a in range(1, q):
                mx = max(mx, z[a])
            s = 0.0
            for a in range(q):
                s += np.exp(z[a] - mx)
            tot += z[X[m, r]] - mx - np.log(s)
        out[m] = tot


# ------------------------------------------------------------------------------ reweighting
@njit(nogil=True, cache=True)
def identity_neighbours(X, min_matches, counts):
    """For each sequence i, add to ``counts[i]`` the number of sequences j (itself included) with
    at least ``min_matches`` identical positions: #{j : Σ_k 1[X_ik = X_jk] ≥ min_matches}.

    X (M, n) uint8, counts (M,) int64 (zeroed by the caller).  O(M² n) byte comparisons, the
    inner loop vectorised; every unordered pair is compared once.
    """
    M, n = X.shape
    for i in range(M):
        counts[i] += 1
        for j in range(i + 1, M):
            m = 0
            for k in range(n):
                m += X[i, k] == X[j, k]
            if m >= min_matches:
                counts[i] += 1
                counts[j] += 1
