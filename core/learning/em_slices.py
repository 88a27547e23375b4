"""The geometry of Fig. 59 (Mehta et al. 2019): ℓ(θ) and the bound −F_q(θ) along a line or over
a plane of parameters, for a fixed posterior q — the curves that show the bound touching ℓ at θᵗ
and peaking at θᵗ⁺¹."""

from __future__ import annotations

import numpy as np

from boltzmann_lab.learning.em import _weights, log_likelihood, neg_free_energy
from boltzmann_lab.stats.numerics import logsumexp


# ---------------------------------------------------------------------------------- slices
def objective_and_bound(model, x, log_q, counts=None) -> tuple[float, float]:
    """(J(θ), −F_q(θ) + log p(θ)/M) for the parameters of ``model`` and a fixed posterior ``log_q``."""
    L = model.log_joint(x)
    _, total = _weights(counts, L.shape[0])
    prior = model.log_prior() / total
    return log_likelihood(L, counts) + prior, neg_free_energy(L, log_q, counts) + prior


def objective_and_bound_many(model0, V, x, log_q, counts=None) -> tuple[np.ndarray, np.ndarray]:
    """J and the bound for many free-parameter vectors ``V`` (G, P) at once.

    Uses ``model0.log_joint_many(V, x) -> (G, M, K)`` and ``model0.log_prior_many(V) -> (G,)`` when
    the model has them (one matrix product for the whole grid), else loops over the rows of V."""
    V = np.atleast_2d(np.asarray(V, dtype=float))
    if not hasattr(model0, "log_joint_many"):
        out = [objective_and_bound(model0.with_free_vector(v), x, log_q, counts) for v in V]
        return np.array([o[0] for o in out]), np.array([o[1] for o in out])
    m, k = log_q.shape
    c, total = _weights(counts, m)
    q = np.exp(log_q)[None]
    chunk = max(1, 4_000_000 // (m * k))        # keeps the (G, M, K) temporaries small
    ll, bd = np.empty(len(V)), np.empty(len(V))
    for start in range(0, len(V), chunk):
        part = V[start:start + chunk]
        L = model0.log_joint_many(part, x)                 # (g, M, K)
        prior = model0.log_prior_many(part) / total
        lse = logsumexp(L, axis=2)                         # (g, M)
        with np.errstate(invalid="ignore"):
            terms = np.where(q > 0, q * (L - log_q[None]), 0.0).sum(axis=2)
        if c is None:
            a, b = lse.sum(axis=1), terms.sum(axis=1)
        else:
            a, b = lse @ c, terms @ c
        ll[start:start + chunk] = a / total + prior
        bd[start:start + chunk] = b / total + prior
    return ll, bd


def line_slice(model0, direction, x, log_q, s, counts=None):
    """J and the bound along θ(s) = θ0 + s·direction (free-parameter vectors), for each s in ``s``.

    Returns ``(ll, bound)`` arrays of len(s).  Points must lie in the domain (see
    ``feasible_interval``)."""
    v0 = model0.free_vector()
    V = v0[None, :] + np.asarray(s, dtype=float)[:, None] * np.asarray(direction, dtype=float)[None]
    return objective_and_bound_many(model0, V, x, log_q, counts)


def plane_slice(model0, coords, axis0, axis1, x, log_q, counts=None):
    """J and the bound on the grid where free coordinates ``coords = (i, j)`` take the values
    ``axis0`` × ``axis1`` and all other free parameters stay at ``model0``'s.

    Returns ``(ll_grid, bound_grid)`` of shape (len(axis0), len(axis1)); entry [a, b] has
    θ_i = axis0[a], θ_j = axis1[b]."""
    i, j = coords
    a0, a1 = np.asarray(axis0, dtype=float), np.asarray(axis1, dtype=float)
    V = np.repeat(model0.free_vector()[None, :], len(a0) * len(a1), axis=0)
    V[:, i] = np.repeat(a0, len(a1))
    V[:, j] = np.tile(a1, len(a0))
    ll, bd = objective_and_bound_many(model0, V, x, log_q, counts)
    return ll.reshape(len(a0), len(a1)), bd.reshape(len(a0), len(a1))


def grid_points(work_per_point):
    """1-D grid size: 41 points for small problems, fewer (down to 11) so that one slice costs at
    most about 1e8 multiply-adds (``work_per_point`` = rows × components × cost per component)."""
    return int(np.clip(1e8 / max(work_per_point, 1), 11, 41))


def em_slice(em0, log_q, em1, f, counts, rmin, direction=None, path=None, work_per_point=1):
    """The curves of Fig. 59 for the last iteration θᵗ → θᵗ⁺¹ (q = E-step posterior at θᵗ).

    1-D, general case: the line θ(s) = θᵗ + s·D through the free-parameter vectors, with
    D = θᵗ⁺¹ − θᵗ stretched to a length of at least ``rmin`` (0.05 for probabilities, 0.05 × the
    data's rms std for Gaussians; the last step's direction when θᵗ⁺¹ = θᵗ), so ``em_marks`` =
    [0, |θᵗ⁺¹ − θᵗ| / |D|] — [0, 1] except near convergence; s runs over [−1, 2] cut to the
    parameter domain, with 0 and the second mark included exactly.  With exactly one free
    parameter (probability families) ``em_theta`` is that parameter itself over [0.001, 0.999]
    and the marks are its values.  ``em_axis_label`` (a 0-d string array) says which.  ``em_ll`` is J(θ)
    (ℓ for maximum likelihood), ``em_bound`` −F_q(θ) (+ the prior term for MAP).

    2-D, when there are exactly two free parameters and both are probabilities (two coins with
    known weights, …): ``em_axis0`` (θ₁, drawn along x) and ``em_axis1`` (θ₂, along y), 61
    cell centres of [0, 1] each, also named ``em_grid_x``/``em_grid_y``;
    ``em_ll_grid``/``em_bound_grid`` (61, 61) row-major images: entry [b, a] is at
    (θ₁, θ₂) = (axis0[a], axis1[b]); ``em_points`` (2, 2) = [θᵗ, θᵗ⁺¹] as (θ₁, θ₂) rows;
    ``em_path`` (t + 1, 2) the iterates θ⁰ … θᵗ⁺¹ so far (at most the last 1000).

    ``em0``/``em1`` are the models at θᵗ and θᵗ⁺¹ (the EM protocol of
    :mod:`boltzmann_lab.learning.em`), ``log_q`` the E-step posterior at θᵗ, ``f``/``counts`` the
    data features, ``rmin`` the smallest line length, ``direction`` the last non-negligible step
    direction (or None), ``path`` the iterates so far (2-D view; None: just θᵗ, θᵗ⁺¹).  Returns
    (views dict, the updated direction).
    """
    v0, v1 = em0.free_vector(), em1.free_vector()
    out = {}
    G = grid_points(work_per_point)
    n_free = em0.free_count()
    if em0.prob_family and n_free == 1:
        j = 0
        theta = np.union1d(np.linspace(0.001, 0.999, G), [v0[j], v1[j]])
        V = np.repeat(v0[None], len(theta), axis=0)
        V[:, j] = theta
        ll, bd = objective_and_bound_many(em0, V, f, log_q, counts)
        out.update(em_theta=theta, em_ll=ll, em_bound=bd,
                   em_marks=np.array([v0[j], v1[j]]),
                   em_axis_label=np.array("θ (the one free parameter); ● θᵗ and θᵗ⁺¹"))
    else:
        delta = v1 - v0
        norm = float(np.linalg.norm(delta))
        if norm > 1e-12 * (1.0 + float(np.linalg.norm(v0))):
            direction = delta / norm
        d = direction
        if d is None:
            d = np.zeros_like(v0)
            d[0] = 1.0
        D = delta if norm >= rmin else d * rmin
        mark = norm / float(np.linalg.norm(D))
        lo, hi = em0.feasible_interval(v0, D, -1.0, 2.0, inside=(0.0, mark))
        s = np.union1d(np.linspace(lo, hi, G), [0.0, mark])
        s = s[(s >= lo) & (s <= hi)]
        ll, bd = line_slice(em0, D, f, log_q, s, counts)
        out.update(em_theta=s, em_ll=ll, em_bound=bd, em_marks=np.array([0.0, mark]),
                   em_axis_label=np.array(
                       "s on the line θᵗ + s·(θᵗ⁺¹ − θᵗ)" if mark == 1.0 else
                       f"s on a line through θᵗ (s = 0) and θᵗ⁺¹ (s = {mark:.2g})"))
    if em0.prob_family and n_free == 2:
        axis = (np.arange(61) + 0.5) / 61
        llg, bdg = plane_slice(em0, (0, 1), axis, axis, f, log_q, counts)
        pts = path if path is not None else [v0[:2], v1[:2]]
        out.update(em_axis0=axis, em_axis1=axis.copy(), em_grid_x=axis.copy(),
                   em_grid_y=axis.copy(), em_ll_grid=llg.T.copy(), em_bound_grid=bdg.T.copy(),
                   em_points=np.array([v0[:2], v1[:2]]), em_path=np.array(pts))
    return out, direction
