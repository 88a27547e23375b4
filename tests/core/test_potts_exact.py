"""Potts models checked against exact answers: brute-force enumeration, an independent
enumeration-plus-scipy-L-BFGS maximum-likelihood fit, and the q = 2 reduction to the Ising MaxEnt."""

import itertools

import numpy as np
import pytest

from boltzmann_lab.data.categorical_generators import random_potts
from boltzmann_lab.exact import potts as ex
from boltzmann_lab.learning.potts import PottsLearner
from boltzmann_lab.learning.potts_constraints import PottsConstraints
from boltzmann_lab.models.dca import zero_sum_gauge


def brute(h, J):
    """log Z, p1, p2 by summing every configuration with itertools (no shared code)."""
    n, q = h.shape
    conf = np.array(list(itertools.product(range(q), repeat=n)))
    E = np.array([-sum(h[i, c[i]] for i in range(n))
                  - sum(J[i, j, c[i], c[j]] for i in range(n) for j in range(i + 1, n))
                  for c in conf])
    lz = np.logaddexp.reduce(-E)
    p = np.exp(-E - lz)
    p1 = np.zeros((n, q))
    p2 = np.zeros((n, n, q, q))
    for c, pp in zip(conf, p):
        for i in range(n):
            p1[i, c[i]] += pp
            p2[i, np.arange(n), c[i], c] += pp
    return lz, p1, p2, conf, E


@pytest.mark.parametrize("n,q", [(1, 3), (3, 2), (4, 3), (5, 4)])
def test_enumeration_matches_brute_force(n, q):
    h, J = random_potts(n, q, coupling=1.5, field=0.7, seed=n * 10 + q)
    lz, p1, p2, conf, E = brute(h, J)
    s = ex.stats(h, J)
    assert s.log_z == pytest.approx(lz, abs=1e-12) and ex.log_z(h, J) == pytest.approx(lz, abs=1e-12)
    assert np.abs(s.p1 - p1).max() < 1e-13 and np.abs(s.p2 - p2).max() < 1e-13
    assert np.abs(ex.neg_energy(conf, h, J) + E).max() < 1e-12


def test_enumeration_survives_huge_couplings():
    h, J = random_potts(4, 3, coupling=1.0, seed=2)
    h, J = 1e3 * h, 1e3 * J
    lz, *_ = brute(h, J)           # logaddexp is stable: the reference is finite too
    s = ex.stats(h, J)
    assert np.isfinite(s.log_z) and s.log_z == pytest.approx(lz, rel=1e-12)
    assert np.isfinite(s.p2).all()


def test_gauge_changes_energy_by_a_constant_only():
    h, J = random_potts(4, 3, seed=5)
    hz, Jz = zero_sum_gauge(h, J)
    conf = ex.configurations(4, 3)
    d = ex.neg_energy(conf, hz, Jz) - ex.neg_energy(conf, h, J)
    assert np.ptp(d) < 1e-12
    assert np.abs(Jz.sum(axis=2)).max() < 1e-12 and np.abs(Jz.sum(axis=3)).max() < 1e-12
    assert np.abs(hz.sum(axis=1)).max() < 1e-12


def test_exact_samples_have_the_exact_marginals():
    h, J = random_potts(4, 3, seed=7)
    M = 40000
    X = ex.sample_exact(h, J, M, seed=1)
    p1 = ex.stats(h, J).p1
    f1 = np.stack([np.bincount(X[:, i], minlength=3) / M for i in range(4)])
    # each f1 is a mean of M Bernoulli(p1) draws: standard error sqrt(p(1-p)/M); 12 values, 5 SE
    assert np.all(np.abs(f1 - p1) < 5 * np.sqrt(p1 * (1 - p1) / M))


# ---------------------------------------------------------------- ML fit vs scipy
def reference_gauge(h, J):
    """Parameters in the gauge with state 0 as reference: h_i(0) = 0, J_ij(0, ·) = J_ij(·, 0) = 0
    (same distribution).  Written here independently of boltzmann_lab.models.dca."""
    J0 = J - J[:, :, :1, :] - J[:, :, :, :1] + J[:, :, :1, :1]
    h0 = h - h[:, :1] + (J[:, :, :, 0] - J[:, :, :1, 0]).sum(axis=1)
    return h0, J0


def features(conf, q):
    """Minimal sufficient statistics: δ(σ_i, a) for a ≥ 1 and δ(σ_i, a)δ(σ_j, b) for i < j,
    a, b ≥ 1 — an identifiable (exponential-family) parametrisation of the same model."""
    n = conf.shape[1]
    cols = [(conf[:, i] == a) for i in range(n) for a in range(1, q)]
    cols += [(conf[:, i] == a) & (conf[:, j] == b) for i in range(n) for j in range(i + 1, n)
             for a in range(1, q) for b in range(1, q)]
    return np.array(cols, dtype=np.float64).T


def theta_of(h0, J0):
    n, q = h0.shape
    t = [h0[i, a] for i in range(n) for a in range(1, q)]
    t += [J0[i, j, a, b] for i in range(n) for j in range(i + 1, n) for a in range(1, q)
          for b in range(1, q)]
    return np.array(t)


@pytest.mark.parametrize("n,q,seed", [(5, 3, 1), (4, 4, 2)])
def test_exact_estimator_matches_independent_scipy_fit(n, q, seed):
    from scipy.optimize import minimize
    from scipy.special import logsumexp

    h, J = random_potts(n, q, coupling=0.8, field=0.4, seed=seed)
    X = ex.sample_exact(h, J, 5000, seed=seed + 100)
    conf = np.array(list(itertools.product(range(q), repeat=n)))
    Phi = features(conf, q)
    index = {tuple(c): k for k, c in enumerate(conf)}
    counts = np.bincount([index[tuple(x)] for x in X], minlength=len(conf))
    phibar = counts @ Phi / len(X)
    assert phibar.min() > 0      # every pair state seen: the ML estimate is finite

    def nll(t):
        a = Phi @ t
        lz = logsumexp(a)
        return lz - phibar @ t, np.exp(a - lz) @ Phi - phibar

    res = minimize(nll, np.zeros(Phi.shape[1]), jac=True, method="L-BFGS-B",
                   options={"gtol": 1e-12, "ftol": 1e-15, "maxiter": 5000})
    t_ref = res.x

    C = PottsConstraints(True, ~np.eye(n, dtype=bool))
    L = PottsLearner(X, None, q, C, estimator="exact", init="independent", optimizer="momentum",
                     learning_rate=0.5, momentum=0.9, l2_fields=0.0, strict_tolerance=1e-6)
    for _ in range(4000):
        L.step()
        if L.converged():
            break
    assert L.converged(), "the exact estimator did not reach its gradient tolerance"
    t_fit = theta_of(*reference_gauge(L.params["h"], L.params["J"]))

    # Tolerance: near the optimum the log-likelihood is quadratic with Hessian H = Cov(Phi)
    # (computed exactly here), so a point whose gradient is g lies within |g| / λ_min(H) of it.
    p = np.exp(Phi @ t_ref - logsumexp(Phi @ t_ref))
    mean = p @ Phi
    H = (Phi * p[:, None]).T @ Phi - np.outer(mean, mean)
    lam_min = np.linalg.eigvalsh(H)[0]
    g_fit = np.linalg.norm(nll(t_fit)[1])
    g_ref = np.linalg.norm(nll(t_ref)[1])
    tol = 2.0 * (g_fit + g_ref) / lam_min + 1e-10
    assert np.abs(t_fit - t_ref).max() < tol
    assert tol < 1e-3               # the check is sharp: far below any statistical error
    # the same log-likelihood (nats/sample) to second order in that distance
    assert abs(nll(t_fit)[0] - res.fun) < (g_fit + g_ref) * tol + 1e-12
    ll = L.evaluate()["train_ll"]
    assert ll == pytest.approx(-res.fun, abs=1e-6)


# ---------------------------------------------------------------- q = 2 is the Ising MaxEnt
def potts_to_binary(h, J):
    """q = 2 Potts -> binary pairwise model x = σ ∈ {0, 1} (same energy up to a constant):
    J^b = J(1,1) − J(1,0) − J(0,1) + J(0,0),  h^b = h(1) − h(0) + Σ_j [J_ij(1,0) − J_ij(0,0)]."""
    Jb = J[:, :, 1, 1] - J[:, :, 1, 0] - J[:, :, 0, 1] + J[:, :, 0, 0]
    hb = h[:, 1] - h[:, 0] + (J[:, :, 1, 0] - J[:, :, 0, 0]).sum(axis=1)
    np.fill_diagonal(Jb, 0.0)
    return hb, Jb


def test_q2_potts_likelihood_equals_ising_likelihood():
    from boltzmann_lab.exact import enumeration
    h, J = random_potts(6, 2, coupling=1.2, field=0.6, seed=4)
    X = np.random.default_rng(0).integers(0, 2, size=(300, 6))
    hb, Jb = potts_to_binary(h, J)
    ll_potts = ex.log_likelihood(X, h, J)
    ll_ising = enumeration.log_likelihood(X.astype(float), hb, Jb, "binary")
    assert ll_potts == pytest.approx(ll_ising, abs=1e-12)


def test_q2_potts_fit_is_the_ising_maxent_fit():
    from boltzmann_lab.learning.constraints import Constraints
    from boltzmann_lab.learning.maxent import MaxEntLearner
    h, J = random_potts(6, 2, coupling=1.0, seed=8)
    X = ex.sample_exact(h, J, 4000, seed=3)
    mask = ~np.eye(6, dtype=bool)
    P = PottsLearner(X, None, 2, PottsConstraints(True, mask), estimator="exact",
                     optimizer="momentum", learning_rate=0.5, l2_fields=0.0,
                     strict_tolerance=1e-6)
    I = MaxEntLearner(X.astype(float), None, "binary", Constraints(True, mask, False),
                      estimator="exact", optimizer="momentum", learning_rate=0.5,
                      strict_tolerance=1e-6)
    for learner in (P, I):
        for _ in range(4000):
            learner.step()
            if learner.converged():
                break
        assert learner.converged()
    # both stop with gradient/noise < 1e-6 (noise δ ≈ 1/sqrt(M) = 0.016): the log-likelihoods of
    # two points that close to the common optimum agree to O(|g|²) ~ 1e-15
    assert P.evaluate()["train_ll"] == pytest.approx(I.evaluate()["train_ll"], abs=1e-9)
    hb, Jb = potts_to_binary(P.params["h"], P.params["J"])
    assert np.abs(Jb - I.params["J"]).max() < 1e-5
    assert np.abs(hb - I.params["h"]).max() < 1e-5
