"""TODO docstring."""

from __future__ import annotations

import numpy as np
from boltzmann_lab.models.pseudolikelihood import pseudo_log_likelihood


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
