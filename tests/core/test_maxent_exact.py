"""MaxEnt fits against exact answers: data drawn exactly (enumeration) from known models."""

import numpy as np
import pytest

from boltzmann_lab.data.conventions import pairwise_spin_to_binary
from boltzmann_lab.exact.enumeration import enumerate_stats, log_prob, sample_exact
from boltzmann_lab.data.generators import sk_couplings
from boltzmann_lab.learning.maxent import MaxEntLearner
from boltzmann_lab.stats.couplings import coupling_error
from boltzmann_lab.learning.constraints import Constraints, lattice_mask, pair_mask
from boltzmann_lab.learning.pseudolikelihood import fit_pseudolikelihood


def fit(learner, max_steps=5000):
    for _ in range(max_steps):
        learner.step()
        if learner.converged():
            return learner
    raise AssertionError(f"no convergence in {max_steps} steps")


def all_states(n, convention):
    x = ((np.arange(2 ** n)[:, None] >> np.arange(n)) & 1).astype(float)
    return x if convention == "binary" else 2 * x - 1


def sk(n, beta, seed):
    return sk_couplings(n, beta, 0.0, seed)


gamma = coupling_error


@pytest.fixture(scope="module")
def sk20():
    """SK couplings, n = 20, beta = 1, h = 0, M = 10^4 exact samples (REFERENCES.md table)."""
    h, J = sk(20, 1.0, seed=1)
    x = sample_exact(h, J, "spin", 10_000, seed=2)
    return h, J, x


@pytest.fixture(scope="module")
def sk20_exact(sk20):
    h, J, x = sk20
    C = Constraints(True, pair_mask("all", 20), False)
    return fit(MaxEntLearner(x, None, "spin", C, estimator="exact"))


def test_exact_gradient_fit_of_sk_recovers_couplings(sk20, sk20_exact):
    h, J, x = sk20
    g = gamma(sk20_exact.params["J"], J)
    # REFERENCES.md: exact maximum likelihood reaches γ ≈ 0.086 at n = 20, β = 1, M = 10^4
    assert g <= 0.10
    # converged means the moments match the data within a small fraction of the sampling noise
    assert sk20_exact._residual < 0.05


def test_pseudolikelihood_fit_of_sk_is_within_5_percent_of_exact(sk20, sk20_exact):
    h, J, x = sk20
    g_exact = gamma(sk20_exact.params["J"], J)
    C = Constraints(True, pair_mask("all", 20), False)
    L = fit(MaxEntLearner(x, None, "spin", C, estimator="pseudolikelihood",
                          init="pseudolikelihood"))
    g_pl = gamma(L.params["J"], J)
    assert abs(g_pl / g_exact - 1) <= 0.05


def test_mcmc_boltzmann_learning_of_sk_is_within_15_percent_of_exact(sk20, sk20_exact):
    h, J, x = sk20
    g_exact = gamma(sk20_exact.params["J"], J)
    C = Constraints(True, pair_mask("all", 20), False)
    # persistent chains from zero parameters; lr(t) = 0.5 / (1 + 0.01 t) damps the MCMC noise
    L = MaxEntLearner(x, None, "spin", C, estimator="mcmc", optimizer="sgd", learning_rate=0.5,
                      schedule="inverse", decay=0.01, chains=1000, sweeps=5, seed=3)
    for _ in range(3000):
        L.step()
        if L.converged():     # error / (data + estimate noise) < 1, certified at fixed parameters
            break
    assert L.converged()
    assert abs(gamma(L.params["J"], J) / g_exact - 1) <= 0.15


def test_mean_field_is_a_worse_start_than_pseudolikelihood_at_beta_1(sk20):
    # REFERENCES.md: naive mean field fails at β >= 1; used only as an initialisation
    h, J, x = sk20
    C = Constraints(True, pair_mask("all", 20), False)
    mf = MaxEntLearner(x, None, "spin", C, estimator="exact", init="mean_field")
    pl = MaxEntLearner(x, None, "spin", C, estimator="exact", init="pseudolikelihood")
    assert gamma(mf.params["J"], J) > gamma(pl.params["J"], J)
    assert gamma(mf.params["J"], J) < 1.0   # but a sensible start


def test_lattice_ferromagnet_fit_has_zero_non_neighbours_and_neighbours_within_error():
    L_side, Jnn, M = 4, 0.4, 10_000
    mask = lattice_mask((L_side, L_side), periodic=True)
    n = mask.shape[0]
    h_true, J_true = np.zeros(n), Jnn * mask
    x = sample_exact(h_true, J_true, "spin", M, seed=11)
    C = Constraints(True, mask, False)
    L = fit(MaxEntLearner(x, None, "spin", C, estimator="exact"))
    J = L.params["J"]
    assert np.all(J[~mask] == 0.0)           # exactly, not approximately
    # Standard errors from the Fisher information = covariance of the sufficient statistics
    # (x_i and x_i x_j on the bonds) under the model, SE = sqrt(diag(I^-1) / M).
    X = all_states(n, "spin")
    p = np.exp(log_prob(X, h_true, J_true, "spin"))
    iu, ju = np.nonzero(np.triu(mask, 1))
    T = np.hstack([X, X[:, iu] * X[:, ju]])
    mu = p @ T
    info = (T * p[:, None]).T @ T - np.outer(mu, mu)
    se = np.sqrt(np.diag(np.linalg.inv(info)) / M)
    theta_fit = np.concatenate([L.params["h"], J[iu, ju]])
    theta_true = np.concatenate([h_true, J_true[iu, ju]])
    z = (theta_fit - theta_true) / se
    assert np.max(np.abs(z)) < 4.5            # 48 parameters
    assert np.mean(z ** 2) < 2.0              # chi^2/dof ~ 1 +- 0.2


def test_k_pairwise_reproduces_population_distribution():
    n, M = 10, 10_000
    rng = np.random.default_rng(21)
    h = rng.normal(-0.3, 0.3, n)
    J = np.triu(rng.normal(0, 0.15, (n, n)), 1)
    J = J + J.T
    V = 0.8 * (-1.0) ** np.arange(n + 1)      # parity wiggle: no pairwise model makes this
    x = sample_exact(h, J, "binary", M, seed=22, V=V)
    p_true = enumerate_stats(h, J, "binary", V).p_k
    se = np.sqrt(np.maximum(p_true * (1 - p_true), 1 / M) / M)

    C = Constraints(True, pair_mask("all", n), True)
    L = fit(MaxEntLearner(x, None, "binary", C, estimator="exact"))
    fitted = L.model
    p_fit = enumerate_stats(fitted.h, fitted.J, "binary", fitted.V).p_k
    assert np.max(np.abs(p_fit - p_true) / se) < 4.5
    # the fitted V carries the wiggle with the right sign
    dV = np.diff(L.params["V"])
    assert np.all(np.sign(dV[1:-1]) == np.sign(np.diff(V)[1:-1]))
    # without the population constraint, P(K) is missed by many standard errors
    C2 = Constraints(True, pair_mask("all", n), False)
    L2 = fit(MaxEntLearner(x, None, "binary", C2, estimator="exact"))
    p2 = enumerate_stats(L2.params["h"], L2.params["J"], "binary").p_k
    assert np.max(np.abs(p2 - p_true) / se) > 10


def test_unconstrained_parameters_stay_exactly_zero():
    n = 6
    h, J = sk(n, 1.0, seed=3)
    x = sample_exact(h + 0.3, J, "binary", 2000, seed=4)
    mask = lattice_mask((n,), periodic=False)
    L = fit(MaxEntLearner(x, None, "binary", Constraints(False, mask, True), estimator="exact"))
    assert np.all(L.params["h"] == 0.0) and np.all(L.params["J"][~mask] == 0.0)
    L = fit(MaxEntLearner(x, None, "binary", Constraints(True, np.zeros((n, n), bool), False),
                          estimator="exact"))
    assert np.all(L.params["J"] == 0.0)
    # means only: the exact answer is the independent model, h = logit(mean)
    m = x.mean(axis=0)
    # (converged to 0.05 sampling SE in the means: within 0.1 SE of logit, 1/sqrt(M m (1-m)))
    se = 1 / np.sqrt(2000 * m * (1 - m))
    assert np.all(np.abs(L.params["h"] - np.log(m / (1 - m))) < 0.1 * se)


@pytest.mark.parametrize("constraints", [("means", "pairs"), ("means", "pairs", "population")])
def test_fits_in_both_conventions_give_the_same_distribution(constraints):
    n = 6
    h, J = sk(n, 1.0, seed=5)
    xs = sample_exact(h + 0.2, J, "spin", 3000, seed=6)
    xb = (xs + 1) / 2
    C = Constraints("means" in constraints, pair_mask("all", n), "population" in constraints)
    Ls = fit(MaxEntLearner(xs, None, "spin", C, estimator="exact", strict_tolerance=1e-3))
    Lb = fit(MaxEntLearner(xb, None, "binary", C, estimator="exact", strict_tolerance=1e-3))
    ms, mb = Ls.model, Lb.model
    lp_s = log_prob(all_states(n, "spin"), ms.h, ms.J, "spin", ms.V)
    lp_b = log_prob(all_states(n, "binary"), mb.h, mb.J, "binary", mb.V)
    # same state order (binary x <-> spin 2x-1); both reach the unique optimum
    np.testing.assert_allclose(lp_s, lp_b, atol=2e-3)
    # converting the fitted spin model gives the same distribution exactly
    hb, Jb, _ = pairwise_spin_to_binary(ms.h, ms.J)
    lp_conv = log_prob(all_states(n, "binary"), hb, Jb, "binary", ms.V)
    np.testing.assert_allclose(lp_conv, lp_s, atol=1e-10)
    if hasattr(ms, "to_convention"):
        mc = ms.to_convention("binary")
        np.testing.assert_allclose(log_prob(all_states(n, "binary"), mc.h, mc.J, "binary", mc.V),
                                   lp_s, atol=1e-10)


def test_pseudolikelihood_learner_reaches_the_lbfgs_optimum():
    n = 8
    h, J = sk(n, 0.8, seed=7)
    x = sample_exact(h, J, "spin", 2000, seed=8)
    C = Constraints(True, pair_mask("all", n), False)
    L = fit(MaxEntLearner(x, None, "spin", C, estimator="pseudolikelihood", learning_rate=0.02,
                          strict_tolerance=0.01), max_steps=20000)
    h_pl, J_pl, _ = fit_pseudolikelihood(x, "spin", C.pairs)
    # parameters agree to a small fraction of their statistical error (~1/sqrt(M) = 0.02)
    assert np.max(np.abs(L.params["J"] - J_pl)) < 2e-3
    assert np.max(np.abs(L.params["h"] - h_pl)) < 2e-3


def test_nan_parameters_propagate_instead_of_raising():
    n = 5
    x = sample_exact(*sk(n, 1.0, 9), "spin", 500, seed=9)
    L = MaxEntLearner(x, None, "spin", Constraints(True, pair_mask("all", n), False))
    L.params["J"][0, 1] = L.params["J"][1, 0] = np.nan
    m = L.step()
    assert np.isnan(L.params["h"]).all() and not np.isfinite(m["normalized_error"])


def test_bad_inputs_are_clear_errors():
    x = np.random.default_rng(0).integers(0, 2, (50, 30)).astype(float)
    with pytest.raises(ValueError, match="at most 24"):
        MaxEntLearner(x, None, "binary", Constraints(True, pair_mask("all", 30), False))
    with pytest.raises(ValueError, match="binary"):
        MaxEntLearner(x * 0.5, None, "binary", Constraints(True, pair_mask("all", 30), False),
                      estimator="mcmc")
