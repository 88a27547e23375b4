"""Pseudo-likelihood of a pairwise MaxEnt model (with optional population potential).

Model (convention ``binary`` x in {0,1} or ``spin`` x in {-1,+1})::

    E(x) = -sum_i h_i x_i - sum_{i<j} J_ij x_i x_j + V[K(x)],    p(x) = exp(-E(x)) / Z,

with K(x) the number of "on" units (x_i = 1 or s_i = +1) and V of shape (n+1,) (omitted: V = 0).

The pseudo-log-likelihood (Besag) of M samples is the mean over samples of the sum over units of
the log conditional probabilities, which need no partition function::

    PLL = (1/M) sum_m sum_i log p(x_i^m | x_{-i}^m).

Write ``on_i`` = 1 when unit i is on, and ``u_i`` = -(E(x with i on) - E(x with i off)) the log-odds
of the unit being on given the others::

    u_i = c (h_i + sum_j J_ij x_j) - (V[K_{-i} + 1] - V[K_{-i}]),   c = 1 (binary), 2 (spin),

where K_{-i} = K - on_i counts the other on units.  Then log p(x_i | x_{-i}) = on_i u_i - log(1 + e^{u_i})
and, with the residual r_i = on_i - sigmoid(u_i),

    dPLL/dh_i   = c <r_i>,
    dPLL/dJ_ij  = c <r_i x_j + r_j x_i>              (one parameter per pair i<j),
    dPLL/dV[k]  = <sum_i r_i (1[K_{-i} = k] - 1[K_{-i} + 1 = k])>,

averages over the samples.  Everything is vectorised over samples (two GEMMs per evaluation),
processed in row blocks so memory stays bounded.  Nothing here is random.
"""

from __future__ import annotations

import numpy as np

from boltzmann_lab.data.conventions import check_convention
from boltzmann_lab.kernels.enumerate import single_thread_blas

# Rows per block: rows * n <= _BLOCK_ELEMENTS, between 256 and 4096 rows.  Moderate blocks keep
# memory bounded and keep each GEMM small: OpenBLAS threads a single tall-skinny GEMM
# (n x M times M x n) badly on a busy machine (measured 12-20 ms instead of 0.5 ms for M = 10^4).
_BLOCK_ELEMENTS = 1 << 16


def _on(x, convention):
    return x if convention == "binary" else 0.5 * (x + 1.0)


def pseudo_log_likelihood(x, h, J, convention, V=None, grad=False, mask=None, per_sample=False):
    """Mean pseudo-log-likelihood (nats per sample) of samples ``x`` (M, n).

    Parameters
    ----------
    x : (M, n) samples in ``convention``.
    h : (n,) fields; J : (n, n) symmetric couplings with zero diagonal; V : optional (n+1,)
        population potential.
    grad : also return the gradient as a dict ``{"h": (n,), "J": (n, n) symmetric, zero diagonal,
        "V": (n+1,)}`` (``V`` only when V is given).  ``J`` entry (i, j) is the derivative with
        respect to the single pair parameter J_ij = J_ji.
    mask : optional (n, n) boolean pair mask; gradient entries outside it are set to zero.
    per_sample : return the (M,) vector of per-sample pseudo-log-likelihoods instead of the mean
        (no gradient).
    """
    check_convention(convention, ("binary", "spin"))
    # the GEMMs are small: one BLAS thread (the engine's helper; threadpoolctl when available)
    with single_thread_blas():
        return _pll(x, h, J, convention, V, grad, mask, per_sample)


def _pll(x, h, J, convention, V, grad, mask, per_sample):
    x = np.asarray(x, dtype=np.float64)
    h = np.asarray(h, dtype=np.float64)
    J = np.asarray(J, dtype=np.float64)
    M, n = x.shape
    c = 1.0 if convention == "binary" else 2.0
    dV = None if V is None else np.diff(np.asarray(V, dtype=np.float64))
    block = min(4096, max(256, _BLOCK_ELEMENTS // max(n, 1)))
    if _BLOCK_ELEMENTS < 256 * max(n, 1):       # (tests shrink the blocks)
        block = max(1, _BLOCK_ELEMENTS // max(n, 1))
    total = 0.0
    out = np.empty(M) if per_sample else None
    gh = np.zeros(n)
    gJ = np.zeros((n, n))
    gdV = np.zeros(n) if dV is not None else None
    for start in range(0, M, block):
        xb = x[start:start + block]
        on = _on(xb, convention)
        u = xb @ J
        u += h
        u *= c
        if dV is not None:
            kminus = (on.sum(axis=1, keepdims=True) - on).astype(np.int64)  # K_{-i}
            u -= dV[kminus]
        # log p(x_i | rest) = on*u - softplus(u) = log sigmoid(t) with t = (2 on - 1) u;
        # one exp of a non-positive number serves both the value and the residual (no overflow)
        sgn = 2.0 * on - 1.0
        t = sgn * u
        e = np.exp(-np.abs(t))
        lp = np.log1p(e)
        lp += np.maximum(-t, 0.0)
        if per_sample:
            out[start:start + block] = -lp.sum(axis=1)
        else:
            total -= lp.sum()
        if grad and not per_sample:
            # r = on - sigmoid(u) = sgn * sigmoid(-t)
            r = sgn * np.where(t >= 0, e, 1.0) / (1.0 + e)
            gh += r.sum(axis=0)
            gJ += r.T @ xb   # symmetrised once at the end so that the result is exactly symmetric
            if gdV is not None:
                # d u_i / d dV[k] = -1[K_{-i} = k]
                gdV -= np.bincount(kminus.ravel(), weights=r.ravel(), minlength=n)[:n]
    if per_sample:
        return out
    pll = total / M
    if not grad:
        return pll
    g = {"h": c * gh / M, "J": c * (gJ + gJ.T) / M}
    np.fill_diagonal(g["J"], 0.0)
    if mask is not None:
        g["J"] *= mask
    if gdV is not None:
        gdV /= M
        # V[k] enters dV[k-1] with +1 and dV[k] with -1
        gV = np.zeros(n + 1)
        gV[1:] += gdV
        gV[:-1] -= gdV
        g["V"] = gV
    return pll, g


def fit_pseudolikelihood(x, convention, mask, fields=True, population=False, l2=0.0,
                         h0=None, J0=None, V0=None, gtol=1e-7, max_iter=2000):
    """Maximise the pseudo-log-likelihood minus (l2/2) sum_{i<j in mask} J_ij^2 by L-BFGS
    (a small numpy implementation, :func:`lbfgs`, so the core needs no scipy).

    Only the constrained parameters are free: h when ``fields`` (else h = 0 exactly), J_ij for
    pairs in ``mask`` (all others exactly 0), V when ``population`` (else absent).  Fields and V are
    not penalised.  Stops when the largest gradient component is below ``gtol``.  Deterministic.

    Returns ``(h, J, V)`` with V ``None`` when ``population`` is false.
    """
    x = np.asarray(x, dtype=np.float64)
    n = x.shape[1]
    mask = np.asarray(mask, dtype=bool)
    iu, ju = np.nonzero(np.triu(mask, 1))
    nh = n if fields else 0
    npair = len(iu)
    nv = n + 1 if population else 0

    def unpack(theta):
        h = theta[:nh].copy() if fields else np.zeros(n)
        J = np.zeros((n, n))
        J[iu, ju] = theta[nh:nh + npair]
        J[ju, iu] = theta[nh:nh + npair]
        V = theta[nh + npair:].copy() if population else None
        return h, J, V

    def fun(theta):
        h, J, V = unpack(theta)
        pll, g = pseudo_log_likelihood(x, h, J, convention, V=V, grad=True)
        w = theta[nh:nh + npair]
        f = -pll + 0.5 * l2 * np.dot(w, w)
        gt = np.empty_like(theta)
        if fields:
            gt[:nh] = -g["h"]
        gt[nh:nh + npair] = -g["J"][iu, ju] + l2 * w
        if population:
            gt[nh + npair:] = -g["V"]
        return f, gt

    theta0 = np.zeros(nh + npair + nv)
    if fields and h0 is not None:
        theta0[:nh] = h0
    if J0 is not None:
        theta0[nh:nh + npair] = np.asarray(J0)[iu, ju]
    if population and V0 is not None:
        theta0[nh + npair:] = V0
    theta = lbfgs(fun, theta0, gtol=gtol, max_iter=max_iter)
    return unpack(theta)


def lbfgs(fun, x0, gtol=1e-7, max_iter=2000, memory=10):
    """Minimise a smooth function by L-BFGS (Nocedal & Wright, Algorithm 7.4, two-loop recursion)
    with a backtracking Armijo line search.  ``fun(x) -> (f, grad)``.  Stops when
    max |grad| < gtol, when a step no longer decreases f, or after ``max_iter`` iterations.
    Returns the final x.  Deterministic."""
    x = np.array(x0, dtype=np.float64)
    f, g = fun(x)
    S, Y, R = [], [], []
    for _ in range(int(max_iter)):
        if not np.isfinite(f) or np.max(np.abs(g), initial=0.0) < gtol:
            break
        # two-loop recursion: d = -H g
        q = g.copy()
        alphas = []
        for s_, y_, rho in zip(reversed(S), reversed(Y), reversed(R)):
            a = rho * (s_ @ q)
            q -= a * y_
            alphas.append(a)
        if S:
            q *= (S[-1] @ Y[-1]) / (Y[-1] @ Y[-1])
        else:
            q /= max(np.linalg.norm(g), 1.0)     # first step: at most unit length
        for (s_, y_, rho), a in zip(zip(S, Y, R), reversed(alphas)):
            b = rho * (y_ @ q)
            q += (a - b) * s_
        d = -q
        slope = g @ d
        if slope >= 0:                            # not a descent direction: restart
            S, Y, R = [], [], []
            d, slope = -g, -(g @ g)
        step = 1.0
        for _ls in range(40):
            x_new = x + step * d
            f_new, g_new = fun(x_new)
            if np.isfinite(f_new) and f_new <= f + 1e-4 * step * slope:
                break
            step *= 0.5
        else:
            break                                 # no decrease possible at this precision
        s_, y_ = x_new - x, g_new - g
        sy = s_ @ y_
        if sy > 1e-12 * np.sqrt((s_ @ s_) * (y_ @ y_)):
            S.append(s_), Y.append(y_), R.append(1.0 / sy)
            if len(S) > memory:
                S.pop(0), Y.pop(0), R.pop(0)
        converged_f = abs(f - f_new) <= 1e-15 * max(abs(f), 1.0)
        x, f, g = x_new, f_new, g_new
        if converged_f:
            break
    return x
