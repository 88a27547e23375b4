"""Gaussian MaxEnt: closed form, covariance selection with a pair mask, exact likelihood, sampling."""

import numpy as np
import pytest

from boltzmann_lab.config import resolve
from boltzmann_lab.data.dataset import Dataset
from boltzmann_lab.models.gaussian import GaussianModel
from boltzmann_lab.learning.gaussian import (CovarianceSelection, GaussianLearner, closed_form,
                                             make_learner)
from boltzmann_lab.learning.constraints import lattice_mask
from boltzmann_lab.learning.trainer import Trainer


def _data(n=9, M=400, seed=0):
    rng = np.random.default_rng(seed)
    A = rng.normal(size=(n, n))
    cov = A @ A.T / n + np.eye(n)
    mean = rng.normal(size=n)
    return rng.multivariate_normal(mean, cov, size=M)


def _sample_cov(x):
    return np.cov(x, rowvar=False, bias=True)


def test_closed_form_is_minus_inverse_sample_covariance():
    x = _data()
    S = _sample_cov(x)
    mean, S2, J = closed_form(x)
    np.testing.assert_allclose(S2, S, rtol=1e-12)
    np.testing.assert_allclose(J, -np.linalg.inv(S), rtol=1e-10, atol=1e-12)
    m = GaussianModel(mean, cov=S)
    # a = -J mu = Σ^{-1} mu, the review's relation
    np.testing.assert_allclose(m.a, np.linalg.solve(S, x.mean(axis=0)), rtol=1e-10)


def test_full_mask_iteration_reproduces_the_closed_form_in_one_sweep():
    x = _data()
    n = x.shape[1]
    full = ~np.eye(n, dtype=bool)
    cs = CovarianceSelection(_sample_cov(x), full, shortcut=False)   # the iteration itself
    assert cs.sweep() < 1e-12
    np.testing.assert_allclose(-cs.precision, closed_form(x)[2], rtol=1e-9, atol=1e-12)
    L = GaussianLearner(x, None, full)                                # the learner's shortcut
    L.step()
    assert L.converged()
    np.testing.assert_allclose(L.params["J"], closed_form(x)[2], rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("periodic", [False, True])
def test_masked_solution_matches_constrained_covariances_and_zero_precision_elsewhere(periodic):
    x = _data(n=12, M=500, seed=3)
    mask = lattice_mask((3, 4), periodic)
    S = _sample_cov(x)
    L = GaussianLearner(x, None, mask, tolerance=1e-12)
    for _ in range(500):
        L.step()
        if L.converged():
            break
    assert L.converged()
    J = L.params["J"]
    off = ~mask & ~np.eye(12, dtype=bool)
    assert np.all(J[off] == 0.0)                      # exactly zero, not just small
    cov = L.model.cov
    on = mask | np.eye(12, dtype=bool)
    np.testing.assert_allclose(cov[on], S[on], rtol=0, atol=1e-9 * np.diag(S).max())
    # the unconstrained covariances are *not* the sample ones (the constraint is real)
    assert np.abs(cov[off] - S[off]).max() > 1e-3


def test_masked_solution_has_the_largest_entropy_among_matching_gaussians():
    # any other Gaussian with the same constrained covariances has larger log det^-1 ... i.e.
    # smaller entropy (1/2) log det Σ; perturb the unconstrained covariances and compare
    x = _data(n=6, M=300, seed=5)
    mask = lattice_mask((6,), False)
    L = GaussianLearner(x, None, mask, tolerance=1e-13)
    for _ in range(500):
        L.step()
        if L.converged():
            break
    cov = L.model.cov
    logdet = np.linalg.slogdet(cov)[1]
    rng = np.random.default_rng(0)
    off = ~mask & ~np.eye(6, dtype=bool)
    compared = 0
    for _ in range(20):
        D = rng.normal(scale=0.05, size=(6, 6))
        D = np.triu(D, 1)
        D = (D + D.T) * off
        sign, ld = np.linalg.slogdet(cov + D)
        if sign > 0:
            assert ld < logdet
            compared += 1
    assert compared >= 10          # the comparison really ran (most perturbations stay valid)


def test_log_likelihood_is_the_exact_gaussian_density():
    from scipy.stats import multivariate_normal
    x = _data()
    mean, S, J = closed_form(x)
    m = GaussianModel(mean, cov=S)
    ref = multivariate_normal(mean, S).logpdf(x)
    np.testing.assert_allclose(m.log_prob(x), ref, rtol=1e-10)
    # and it is exp(-E)/Z with E = -a.x - x.J.x/2
    np.testing.assert_allclose(-m.energy(x) - m.log_z(), ref, rtol=1e-10)


def test_samples_have_the_model_covariance_within_standard_error():
    x = _data(n=5)
    mean, S, J = closed_form(x)
    m = GaussianModel(mean, J=J)
    N = 40000
    s = m.sample(N, seed=7)
    C = _sample_cov(s)
    # Var of a sample covariance entry (Gaussian): (Σ_ii Σ_jj + Σ_ij^2) / N
    d = np.diag(S)
    se = np.sqrt((np.outer(d, d) + S ** 2) / N)
    assert np.max(np.abs(C - S) / se) < 5
    assert np.max(np.abs(s.mean(0) - mean) / np.sqrt(d / N)) < 5


def test_model_arrays_round_trip():
    x = _data(n=4)
    m = GaussianModel(*closed_form(x)[:2])
    meta, arrays = m.to_arrays()
    m2 = GaussianModel.from_arrays(meta, arrays)
    np.testing.assert_allclose(m2.log_prob(x), m.log_prob(x), rtol=1e-12)
    assert m2.kind == "gaussian" and m2.convention == "real"


def test_learner_from_config_trains_to_convergence_with_exact_likelihoods():
    x = _data(n=9, M=600, seed=2)
    ds = Dataset(x[:500], x[500:], "real", image_shape=(3, 3))
    cfg = resolve({"data": {"path": "unused.npy"},
                   "model": {"kind": "gaussian", "pairs": "lattice", "periodic": False}})
    trainer = Trainer(make_learner(cfg, ds), max_steps=200)
    snap = trainer.run()
    assert snap.message.startswith("converged")
    ev = trainer.learner.evaluate()
    model = trainer.learner.model
    assert ev["train_ll"] == pytest.approx(model.log_likelihood(ds.train), rel=1e-12)
    assert ev["val_ll"] == pytest.approx(model.log_likelihood(ds.val), rel=1e-12)
    v = snap.views
    assert v["fantasy"].shape == (16, 9) and v["corr_data"].shape == v["corr_model"].shape


def test_singular_data_is_a_clear_error():
    x = _data(n=4)
    x[:, 2] = 1.0                          # a constant feature
    with pytest.raises(ValueError, match="zero variance|ridge"):
        GaussianLearner(x, None, ~np.eye(4, dtype=bool))
    # with a ridge it works
    L = GaussianLearner(x, None, ~np.eye(4, dtype=bool), ridge=1e-3)
    L.step()
    assert np.all(np.isfinite(L.params["J"]))


def test_covariance_selection_on_independent_mask_gives_diagonal_precision():
    x = _data(n=5)
    cs = CovarianceSelection(_sample_cov(x), np.zeros((5, 5), bool))
    cs.sweep()
    P = cs.precision
    np.testing.assert_allclose(P, np.diag(1 / np.diag(_sample_cov(x))), rtol=1e-12)


def test_model_file_round_trip(tmp_path):
    from boltzmann_lab.io.modelio import load_model, save_model
    x = _data(n=4)
    m = GaussianModel(*closed_form(x)[:2])
    save_model(tmp_path / "g.npz", m)
    m2 = load_model(tmp_path / "g.npz")
    np.testing.assert_allclose(m2.log_prob(x), m.log_prob(x), rtol=1e-12)


# ----------------------------------------------------------------- L1: the graphical lasso
def _sparse_data(n=10, M=300, seed=3):
    """Samples of a Gaussian whose precision is a chain (tridiagonal): most pairs are zero."""
    rng = np.random.default_rng(seed)
    theta = np.eye(n) * 2.0 + np.diag(np.full(n - 1, -0.6), 1) + np.diag(np.full(n - 1, -0.6), -1)
    return rng.multivariate_normal(np.zeros(n), np.linalg.inv(theta), size=M)


def _fit(x, l1, mask=None):
    n = x.shape[1]
    mask = np.ones((n, n), bool) if mask is None else mask
    L = GaussianLearner(x, None, mask, tolerance=1e-12, l1=l1)
    Trainer(L, max_steps=5000, eval_every=5000).run()
    return L


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("alpha", [0.02, 0.1])
def test_l1_is_the_graphical_lasso_of_scikit_learn(alpha):
    """Our Λ maximises ℓ − Λ Σ_{i<j} |J_ij|; scikit-learn's graphical_lasso minimises
    f(Θ) = −log det Θ + tr(SΘ) + α Σ_{i≠j} |Θ_ij| (both triangles), i.e. −2ℓ + 2Λ Σ_{i<j}: α = Λ.
    The problem is convex: our optimum must score at least as well on scikit-learn's own
    objective (to its round-off), have the same exact zeros, and lie close to its Θ (the
    objective is flat near the optimum, and scikit-learn stops at a dual gap of ~1e-5)."""
    sk = pytest.importorskip("sklearn.covariance")
    x = _sparse_data()
    S = np.cov(x, rowvar=False, bias=True)
    _, theta_sk = sk.graphical_lasso(S, alpha=alpha, tol=1e-10, max_iter=1000, mode="cd")
    theta = -_fit(x, alpha).params["J"]

    def f(T):
        return (-np.linalg.slogdet(T)[1] + np.trace(S @ T)
                + alpha * (np.abs(T).sum() - np.abs(np.diag(T)).sum()))

    assert f(theta) <= f(theta_sk) + 1e-10
    np.testing.assert_allclose(theta, theta_sk, atol=1e-3 * np.abs(theta_sk).max())
    zero_sk = np.abs(theta_sk) < 1e-12
    assert zero_sk.sum() > 0 and np.count_nonzero(theta[zero_sk]) == 0


def test_l1_zeroes_pairs_and_l1_zero_is_the_unpenalised_fit():
    x = _sparse_data()
    n = x.shape[1]
    J0 = _fit(x, 0.0).params["J"]
    J1 = _fit(x, 0.05).params["J"]
    iu = np.triu_indices(n, 1)
    assert np.count_nonzero(J0[iu]) == len(iu[0])                 # no exact zeros without L1
    assert np.count_nonzero(J1[iu]) < 0.6 * len(iu[0])             # most weak pairs vanish
    np.testing.assert_allclose(J0, -np.linalg.inv(np.cov(x, rowvar=False, bias=True)), rtol=1e-9)


def test_l1_changes_live_and_respects_a_mask():
    x = _sparse_data()
    n = x.shape[1]
    mask = lattice_mask((n,), periodic=False)                     # chain neighbours only
    L = GaussianLearner(x, None, mask, tolerance=1e-12)
    t = Trainer(L, max_steps=5000, eval_every=5000)
    t.run()
    assert np.count_nonzero(L.params["J"][~mask & ~np.eye(n, dtype=bool)]) == 0
    L.set_hyper("l1", 0.5)                                        # strong: every pair vanishes
    assert L.converged() is None
    Trainer(L, max_steps=5000, eval_every=5000).run()
    off = ~np.eye(n, dtype=bool)
    assert np.count_nonzero(L.params["J"][off]) == 0
    # then Θ is diagonal with Θ_ii = 1/S_ii (the penalty does not touch the diagonal)
    S = np.cov(x, rowvar=False, bias=True)
    np.testing.assert_allclose(-np.diag(L.params["J"]), 1.0 / np.diag(S), rtol=1e-9)
    with pytest.raises(ValueError, match="l1"):
        L.set_hyper("l1", -1.0)


def test_l1_from_config_and_session_state_round_trip():
    x = _sparse_data()
    cfg = resolve({"data": {"generator": "gaussian_mixture"}, "model": {"kind": "gaussian"},
                   "training": {"l1": 0.05}})
    L = make_learner(cfg, Dataset(x, x[:0], "real"))
    assert L.cs.l1 == 0.05
    for _ in range(3):
        L.step()
    state = L.state_dict()
    L2 = make_learner(resolve({"data": {"generator": "gaussian_mixture"},
                               "model": {"kind": "gaussian"}}), Dataset(x, x[:0], "real"))
    L2.load_state_dict(state)
    L.step()
    L2.step()
    np.testing.assert_array_equal(L.params["J"], L2.params["J"])


def test_edge_recovery_counts_against_the_generators_truth():
    """With the generator's precision known, edges_found / false_edges count the non-zero
    couplings on and off the true graph; the preset's penalty keeps every lattice coupling."""
    from boltzmann_lab.build import make_trainer
    from boltzmann_lab.data.generators import lattice_precision
    from boltzmann_lab.presets import load_preset
    tr = make_trainer(resolve(load_preset("gaussian-glasso")))
    snap = None
    for snap in tr:
        pass
    m = snap.metrics
    theta = -tr.learner.params["J"]
    truth = np.triu(lattice_precision(4, 0.24), 1) != 0
    nonzero = np.triu(theta, 1) != 0
    assert m["edges_found"] == np.count_nonzero(nonzero & truth) == truth.sum() == 24
    assert m["false_edges"] == np.count_nonzero(nonzero & ~truth)
    assert m["n_nonzero"] == m["edges_found"] + m["false_edges"] < 120   # L1 removed some
    # unpenalised, every pair of the fitted precision is non-zero (S^-1 of finite data)
    tr.learner.set_hyper("l1", 0.0)
    assert tr.learner.step()["n_nonzero"] == 120
