"""Pseudo-likelihood of Potts models, plmDCA-style fits (symmetric, or asymmetric per-site fits
symmetrised afterwards).

For states σ^m (M, n) with sequence weights w_m (default 1), the pseudo-log-likelihood in nats per
(effective) sample is

    PLL = (1 / Σ_m w_m) Σ_m w_m Σ_r log p(σ_r^m | σ_{−r}^m),
    log p(σ_r = a | rest) = f_r(a) − log Σ_c e^{f_r(c)},   f_r(a) = h_r(a) + Σ_{j≠r} J_rj(a, σ_j),

and needs no partition function.  Its gradient (one parameter per block J_ij = J_jiᵀ, i < j) is

    ∂PLL/∂h_r(a)     = ⟨δ(σ_r, a) − p_r(a)⟩_w,
    ∂PLL/∂J_ij(a, b) = ⟨(δ(σ_i, a) − p_i(a)) δ(σ_j, b) + δ(σ_i, a)(δ(σ_j, b) − p_j(b))⟩_w.

Fits (Ekeberg, Lövkvist, Lan, Weigt & Aurell, PRE 87, 012707 (2013)) maximise PLL minus the L2
penalties (l2_fields/2) Σ h² + (l2/2) Σ_{i<j} ‖J_ij‖²_F (plmDCA's λ‖·‖² is l2 = 2λ) with the
project's own L-BFGS (:func:`boltzmann_lab.learning.pseudolikelihood.lbfgs`; no scipy at run time):

* ``symmetric``: one problem in all parameters, J_ij and J_ji shared;
* ``asymmetric``: n independent problems, site r fitting h_r and its own copies J_rj (each with
  the L2 penalty), then every site's solution is put in the zero-sum gauge (which keeps its
  conditional distribution) and J_ij = ½ (J^{(i)}_ij + J^{(j)}_jiᵀ).  Faster and what plmDCA
  does by default; the result is not the maximiser of the symmetric objective.

The numba kernels are :func:`boltzmann_lab.kernels.potts.site_pll` / ``full_pll``.  Nothing here is
random.
"""

from __future__ import annotations

import numpy as np

from boltzmann_lab.learning.pseudolikelihood import lbfgs


def _prep(X, h, J, weights):
    X = np.ascontiguousarray(X, dtype=np.int8)
    h = np.ascontiguousarray(h, dtype=np.float64)
    J = np.ascontiguousarray(J, dtype=np.float64)
    w = (np.ones(len(X)) if weights is None
         else np.ascontiguousarray(weights, dtype=np.float64))
    return X, h, J, w


def pseudo_log_likelihood(X, h, J, weights=None, grad=False, mask=None):
    """Weighted mean pseudo-log-likelihood (see the module docstring) of integer states X (M, n).

    With ``grad`` also return ``{"h": (n, q), "J": (n, n, q, q)}``, the gradient with respect to
    the fields and to the shared pair parameters J_ij = J_jiᵀ (so g["J"][j, i] = g["J"][i, j]ᵀ,
    zero diagonal blocks); blocks outside the optional (n, n) boolean ``mask`` are zeroed.
    """
    from boltzmann_lab.kernels import potts as kern
    X, h, J, w = _prep(X, h, J, weights)
    n, q = h.shape
    W = float(w.sum())
    z = np.empty(q)
    Jcol = np.ascontiguousarray(J.transpose(1, 0, 2, 3))      # Jcol[r] = J[:, r], contiguous
    if not grad:
        return kern.full_pll(X, w, h, Jcol, False, np.zeros((1, 1)), np.zeros((1, 1, 1, 1)),
                             z) / W
    gh = np.zeros((n, q))
    gJcol = np.zeros((n, n, q, q))
    total = kern.full_pll(X, w, h, Jcol, True, gh, gJcol, z)
    # ∂/∂J_ij(a, b) of the shared parameter = site i's term + site j's term:
    # gJcol[j, i, a, b] + gJcol[i, j, b, a]
    G = gJcol.transpose(1, 0, 2, 3) + gJcol.transpose(0, 1, 3, 2)
    if mask is not None:
        G *= np.asarray(mask, dtype=np.float64)[:, :, None, None]
    idx = np.arange(n)
    G[idx, idx] = 0.0
    return total / W, {"h": gh / W, "J": G / W}


def pll_per_sample(X, h, J) -> np.ndarray:
    """(M,) Σ_r log p(σ_r | σ_{−r}) of every row of X (unweighted)."""
    from boltzmann_lab.kernels import potts as kern
    X, h, J, _ = _prep(X, h, J, None)
    out = np.empty(len(X))
    kern.per_sample_pll(X, h, np.ascontiguousarray(J.transpose(1, 0, 2, 3)), out,
                        np.empty(h.shape[1]))
    return out


def _pair_index(mask, n):
    m = np.ones((n, n), bool) if mask is None else np.asarray(mask, bool).copy()
    np.fill_diagonal(m, False)
    m &= m.T
    return m, np.nonzero(np.triu(m, 1))


def symmetric_objective(X, q, weights=None, l2_fields=0.01, l2=0.01, mask=None):
    """The penalised negative PLL of all parameters as a function of one flat vector θ.

    Returns ``(fun, unpack, size)``: ``fun(θ) -> (f, ∇f)``, ``unpack(θ) -> (h, J)``, and the
    number of free parameters (h (n, q) first, then the blocks J_ij, i < j inside ``mask``).
    Used by :func:`fit_symmetric` and by ``benchmarks/bench_potts.py`` (the same function handed to
    scipy's L-BFGS-B).
    """
    X = np.ascontiguousarray(X, dtype=np.int8)
    n = X.shape[1]
    _, (iu, ju) = _pair_index(mask, n)
    nh = n * q

    def unpack(theta):
        h = theta[:nh].reshape(n, q)
        J = np.zeros((n, n, q, q))
        blocks = theta[nh:].reshape(-1, q, q)
        J[iu, ju] = blocks
        J[ju, iu] = blocks.transpose(0, 2, 1)
        return h, J

    def fun(theta):
        h, J = unpack(theta)
        pll, g = pseudo_log_likelihood(X, h, J, weights, grad=True)
        wJ = theta[nh:]
        f = -pll + 0.5 * l2_fields * float(theta[:nh] @ theta[:nh]) + 0.5 * l2 * float(wJ @ wJ)
        gt = np.empty_like(theta)
        gt[:nh] = -g["h"].ravel() + l2_fields * theta[:nh]
        gt[nh:] = -g["J"][iu, ju].ravel() + l2 * wJ
        return f, gt

    return fun, unpack, nh + len(iu) * q * q


def fit_symmetric(X, q, weights=None, l2_fields=0.01, l2=0.01, mask=None, h0=None, J0=None,
                  gtol=1e-6, max_iter=500):
    """Maximise the penalised PLL over all parameters at once; returns ``(h, J)``.

    Free parameters: h (n, q) and the blocks J_ij, i < j inside ``mask`` (default all pairs);
    others stay exactly zero.  ``h0``/``J0`` warm-start.  Stops when the largest gradient component
    of the objective is below ``gtol`` or after ``max_iter`` L-BFGS iterations.
    """
    fun, unpack, size = symmetric_objective(X, q, weights, l2_fields, l2, mask)
    n = np.shape(X)[1]
    theta0 = np.zeros(size)
    if h0 is not None:
        theta0[:n * q] = np.asarray(h0, dtype=np.float64).ravel()
    if J0 is not None:
        _, (iu, ju) = _pair_index(mask, n)
        theta0[n * q:] = np.asarray(J0, dtype=np.float64)[iu, ju].ravel()
    h, J = unpack(lbfgs(fun, theta0, gtol=gtol, max_iter=max_iter))
    return h.copy(), J


class SiteFit:
    """The asymmetric (plmDCA) fit of one site r: h_r (q,) (unless ``fit_fields`` is false: then
    h_r = 0) and the couplings J_rj for j in ``partners``, held as ``Jc`` (n, q, q) with
    Jc[j, b, a] = J_rj(a, b) (column r of J)."""

    def __init__(self, X, w, q, r, l2_fields, l2, partners, fit_fields=True):
        self.X, self.w, self.q, self.r = X, w, q, r
        self.W = float(w.sum())
        self.l2_fields, self.l2 = float(l2_fields), float(l2)
        self.js = np.asarray(partners, dtype=np.int64)
        self.n = X.shape[1]
        self.nh = q if fit_fields else 0

    def _unpack(self, theta):
        q, nh = self.q, self.nh
        Jc = np.zeros((self.n, q, q))
        Jc[self.js] = theta[nh:].reshape(-1, q, q)
        hr = theta[:nh].copy() if nh else np.zeros(q)
        return hr, Jc

    def fun(self, theta):
        from boltzmann_lab.kernels import potts as kern
        q, nh = self.q, self.nh
        hr, Jc = self._unpack(theta)
        ghr = np.zeros(q)
        gJc = np.zeros_like(Jc)
        total = kern.site_pll(self.X, self.w, hr, Jc, self.r, True, ghr, gJc, np.empty(q))
        wh, wJ = theta[:nh], theta[nh:]
        f = -total / self.W + 0.5 * self.l2_fields * float(wh @ wh) + 0.5 * self.l2 * float(wJ @ wJ)
        g = np.empty_like(theta)
        g[:nh] = -ghr[:nh] / self.W + self.l2_fields * wh
        g[nh:] = -gJc[self.js].ravel() / self.W + self.l2 * wJ
        return f, g

    def solve(self, gtol=1e-6, max_iter=500):
        """``(h_r (q,), Jc (n, q, q))`` maximising this site's penalised PLL."""
        theta = lbfgs(self.fun, np.zeros(self.nh + len(self.js) * self.q * self.q), gtol=gtol,
                      max_iter=max_iter)
        return self._unpack(theta)


def site_gauge(hr, Jc, r):
    """Zero-sum gauge of one site's conditional model (keeps p(σ_r | rest) unchanged):
    J_rj(a, b) → J_rj(a, b) − J_rj(a, ·) − J_rj(·, b) + J_rj(·, ·) and the a-dependent part moved
    into h_r, which is then centred.  Jc is column r of J (Jc[j, b, a] = J_rj(a, b))."""
    row = Jc.mean(axis=1, keepdims=True)           # J_rj(a, ·) as [j, 1, a]
    col = Jc.mean(axis=2, keepdims=True)           # J_rj(·, b) as [j, b, 1]
    both = Jc.mean(axis=(1, 2), keepdims=True)
    Jz = Jc - row - col + both
    Jz[r] = 0.0
    hz = hr + (row - both)[:, 0, :].sum(axis=0) - (row - both)[r, 0, :]
    return hz - hz.mean(), Jz


def symmetrise(hs, Jcols):
    """Combine per-site solutions (lists over r of h_r (q,) and Jc_r (n, q, q)) into a symmetric
    model: each site gauged by :func:`site_gauge`, then J_ij = ½ (J^{(i)}_ij + J^{(j)}_jiᵀ)."""
    n = len(hs)
    q = len(hs[0])
    h = np.zeros((n, q))
    A = np.zeros((n, n, q, q))                     # A[r, j, a, b] = J^{(r)}_rj(a, b)
    for r in range(n):
        hz, Jz = site_gauge(np.asarray(hs[r]), np.asarray(Jcols[r]), r)
        h[r] = hz
        A[r] = Jz.transpose(0, 2, 1)
    J = 0.5 * (A + A.transpose(1, 0, 3, 2))
    idx = np.arange(n)
    J[idx, idx] = 0.0
    return h, J


def fit_asymmetric(X, q, weights=None, l2_fields=0.01, l2=0.01, mask=None, gtol=1e-6,
                   max_iter=500):
    """plmDCA's asymmetric fit: one L-BFGS problem per site, then :func:`symmetrise`; returns
    ``(h, J)``."""
    X = np.ascontiguousarray(X, dtype=np.int8)
    w = np.ones(len(X)) if weights is None else np.ascontiguousarray(weights, np.float64)
    n = X.shape[1]
    m, _ = _pair_index(mask, n)
    hs, Js = [], []
    for r in range(n):
        hr, Jc = SiteFit(X, w, q, r, l2_fields, l2, np.nonzero(m[r])[0]).solve(gtol, max_iter)
        hs.append(hr)
        Js.append(Jc)
    return symmetrise(hs, Js)
