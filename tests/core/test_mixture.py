"""Mixture models and the ``mixture`` learner (issue 5).

References used: the two-coin example of Do & Batzoglou, Nat. Biotechnol. 26, 897 (2008) — the review's
EM notebook setting (start (0.6, 0.5), 5 experiments × 10 tosses) with the published tosses, whose EM
iterates are printed in the paper (θ¹ ≈ (0.71, 0.58), θ¹⁰ ≈ (0.80, 0.52), two decimals); exact maximum
likelihood by a brute-force grid over θ with local refinement; closed forms (single-coin MAP, the
floored collapse); normalisation by enumeration.  Statistical tolerances: 5 standard errors, the SE
derived in each test.
"""

import math

import numpy as np
import pytest
from scipy.optimize import linear_sum_assignment, minimize
from scipy.special import betaln
from scipy.stats import multivariate_normal

from boltzmann_lab.stats.numerics import logsumexp
from boltzmann_lab import config
from boltzmann_lab.build import make_learner
from boltzmann_lab.data.dataset import Dataset
from boltzmann_lab.models.mixture import PROB_EPS, MixtureModel
from boltzmann_lab.learning.mixture import MixtureLearner
from boltzmann_lab.learning.trainer import Trainer

# Do & Batzoglou (2008), Fig. 1: five experiments of ten tosses (H = 1)
DB_TOSSES = ["HTTTHHTHTH", "HHHHTHHHHH", "HTHHHHHTHH", "HTHTTTHHTT", "THHHTHHHTH"]
DB_X = np.array([[c == "H" for c in s] for s in DB_TOSSES], dtype=float)


def two_coin_learner(x, prior=None, tolerance=1e-15):
    return MixtureLearner(x, family="binomial", components=2, init="given", init_params=[0.6, 0.5],
                          fit_weights=False, prior=prior, tolerance=tolerance)


def run_to_convergence(learner, max_steps=2000):
    trainer = Trainer(learner, max_steps=max_steps, eval_every=1000)
    snap = trainer.run()
    assert snap.message.startswith("converged"), snap.message
    return trainer


def brute_force_two_coins(x, prior=None, G=401):
    """argmax over (p1, p2), p1 ≥ p2, of J = ℓ + log prior / M with equal fixed weights: a G×G grid
    of cell centres (spacing h = 1/G), then a local refinement from the best cell."""
    heads, n, M = x.sum(1), x.shape[1], len(x)

    def J(p):
        p = np.clip(p, 1e-12, 1 - 1e-12)
        lj = heads[:, None] * np.log(p) + (n - heads)[:, None] * np.log1p(-p) + math.log(0.5)
        val = logsumexp(lj, axis=1).mean()
        if prior is not None:      # normalised Beta densities, as the learner reports
            a, b = prior
            val += ((a - 1) * np.log(p) + (b - 1) * np.log1p(-p) - betaln(a, b)).sum() / M
        return val

    axis = (np.arange(G) + 0.5) / G
    P1, P2 = np.meshgrid(axis, axis, indexing="ij")
    p = np.stack([P1.ravel(), P2.ravel()], 1)
    lj = (heads[None, :, None] * np.log(p)[:, None, :]
          + (n - heads)[None, :, None] * np.log1p(-p)[:, None, :] + math.log(0.5))
    vals = logsumexp(lj, axis=2).mean(1)
    if prior is not None:
        a, b = prior
        vals += ((a - 1) * np.log(p) + (b - 1) * np.log1p(-p)).sum(1) / len(x)
    vals[p[:, 0] < p[:, 1]] = -np.inf               # one of the two symmetric labellings
    best = p[np.argmax(vals)]
    res = minimize(lambda q: -J(q), best, method="Nelder-Mead",
                   options={"xatol": 1e-11, "fatol": 1e-15, "maxiter": 4000})
    return best, res.x, J, 1.0 / G


# ------------------------------------------------------------------------------ two coins
def test_two_coins_reproduce_the_published_em_iterates():
    learner = two_coin_learner(DB_X)
    learner.step()
    np.testing.assert_allclose(learner.model.biases, [0.71, 0.58], atol=0.005)
    for _ in range(9):
        learner.step()
    np.testing.assert_allclose(learner.model.biases, [0.80, 0.52], atol=0.005)


@pytest.mark.parametrize("data", ["do_batzoglou", "generated"])
def test_two_coins_converge_to_the_exact_maximum_likelihood(data):
    if data == "generated":   # the notebook's generative setting: biases (0.8, 0.4), 5 x 10 tosses
        from boltzmann_lab.data.generators import coin_tosses
        x = coin_tosses(biases=(0.8, 0.4), experiments=5, tosses=10, seed=3).x
    else:
        x = DB_X
    learner = two_coin_learner(x)
    run_to_convergence(learner)
    theta = np.sort(learner.model.biases)[::-1]
    grid_best, refined, J, h = brute_force_two_coins(x)
    ll_em = learner.model.log_prob(x).mean()
    # EM beats every grid point and sits within one grid spacing of the best one
    assert ll_em >= J(grid_best) - 1e-12
    assert np.all(np.abs(theta - grid_best) <= h)
    # and agrees with the refined optimum: EM stopped when its gain fell below 1e-15 nats, which
    # leaves a parameter error of order sqrt(gain / curvature) ~ 1e-7 here; 1e-5 covers both ends
    np.testing.assert_allclose(theta, refined, atol=1e-5)
    assert ll_em == pytest.approx(J(refined), abs=1e-10)


@pytest.mark.parametrize("prior", [[5.0, 5.0], [2.0, 6.0], [6.0, 2.0]])
def test_map_two_coins_maximise_the_log_posterior_and_move_towards_the_prior_mean(prior):
    ml = two_coin_learner(DB_X)
    run_to_convergence(ml)
    mp = two_coin_learner(DB_X, prior=prior)
    run_to_convergence(mp)
    p_ml, p_map = ml.model.biases, mp.model.biases
    mean = prior[0] / sum(prior)
    # the mixture's mean head probability moves towards the prior mean (single biases need not:
    # with Beta(5, 5) the low coin moves up, away from 0.5, as the exact optimum below confirms)
    assert abs(p_map.mean() - mean) < abs(p_ml.mean() - mean)
    # and EM-MAP reaches the exact maximum of the log posterior (brute force)
    _, refined, J, _ = brute_force_two_coins(DB_X, prior=prior)
    np.testing.assert_allclose(np.sort(p_map)[::-1], refined, atol=1e-5)
    assert mp.step()["objective"] == pytest.approx(J(refined), abs=1e-10)


def test_single_coin_map_is_the_beta_posterior_mode():
    rng = np.random.default_rng(4)
    x = (rng.random((7, 13)) < 0.3).astype(float)
    H, N = x.sum(), x.size
    for a, b in [(1.0, 1.0), (3.0, 5.0), (50.0, 2.0)]:
        learner = MixtureLearner(x, family="binomial", components=1, prior=[a, b], seed=0)
        learner.step()
        assert learner.model.biases[0] == pytest.approx((H + a - 1) / (N + a + b - 2), rel=1e-14)


# -------------------------------------------------------------------- recovery of parameters
def _match(true, est):
    """Permutation of estimated components closest to the true ones."""
    cost = ((true[:, None, :] - est[None, :, :]) ** 2).sum(-1)
    _, cols = linear_sum_assignment(cost)
    return cols


def test_binomial_mixture_recovers_biases_and_weight_within_5_se():
    true_p, true_w = np.array([0.8, 0.35]), np.array([0.6, 0.4])
    truth = MixtureModel("binomial", true_w, np.repeat(true_p[:, None], 20, axis=1))
    x = truth.sample(2000, 11)
    learner = MixtureLearner(x, family="binomial", components=2, seed=1, tolerance=1e-13)
    run_to_convergence(learner)
    perm = _match(true_p[:, None], learner.model.biases[:, None])
    p, w = learner.model.biases[perm], learner.model.weights[perm]
    # SE from the observed information of (p1, p2, w1): the Hessian of the total log-likelihood
    # at the estimate (central differences), which includes the missing-label information loss
    def total(t):
        ww = np.array([t[2], 1 - t[2]])
        m = MixtureModel("binomial", ww, np.repeat(t[:2, None], 20, axis=1))
        return m.log_prob(x).sum()
    t0, eps = np.array([p[0], p[1], w[0]]), 1e-4
    H = np.empty((3, 3))
    for i in range(3):
        for j in range(3):
            e_i, e_j = np.eye(3)[i] * eps, np.eye(3)[j] * eps
            H[i, j] = (total(t0 + e_i + e_j) - total(t0 + e_i - e_j) - total(t0 - e_i + e_j)
                       + total(t0 - e_i - e_j)) / (4 * eps * eps)
    se = np.sqrt(np.diag(np.linalg.inv(-H)))
    z = (t0 - np.array([*true_p, true_w[0]])) / se
    assert np.all(np.abs(z) < 5), z
    assert np.all(se < 0.02)                     # the test has power: SEs are small


def test_bernoulli_mixture_recovers_probabilities_within_5_se():
    rng = np.random.default_rng(21)
    P = rng.uniform(0.05, 0.95, (3, 80))
    w = np.array([0.5, 0.3, 0.2])
    x = MixtureModel("bernoulli", w, P).sample(3000, 22)
    learner = MixtureLearner(x, family="bernoulli", components=3, seed=5, tolerance=1e-12)
    run_to_convergence(learner)
    perm = _match(P, learner.model.probs)
    Pe, we = learner.model.probs[perm], learner.model.weights[perm]
    resp = learner.model.responsibilities(x)[:, perm]
    # labels are practically observed (posteriors one-hot), so the complete-data SE applies:
    # SE(p_kj) = sqrt(p(1-p)/N_k), SE(w_k) = sqrt(w(1-w)/M)
    assert resp.max(1).mean() > 0.999
    Nk = resp.sum(0)
    z = (Pe - P) / np.sqrt(P * (1 - P) / Nk[:, None])
    assert np.abs(z).max() < 5, np.abs(z).max()
    assert np.all(np.abs(we - w) / np.sqrt(w * (1 - w) / len(x)) < 5)


@pytest.mark.parametrize("covariance", ["full", "diag"])
def test_gaussian_mixture_recovers_means_and_covariances_within_5_se(covariance):
    means = np.array([[0.0, 0.0], [10.0, 1.0], [-1.0, 12.0]])
    if covariance == "full":
        covs = np.array([[[1.0, 0.4], [0.4, 0.8]], [[2.0, -0.6], [-0.6, 1.0]],
                         [[0.5, 0.1], [0.1, 1.5]]])
        fit_covs = lambda m: m.covs
    else:
        covs = np.array([[1.0, 0.8], [2.0, 1.0], [0.5, 1.5]])
        fit_covs = lambda m: np.stack([np.diag(c) for c in m.covs])
    w = np.array([0.4, 0.35, 0.25])
    truth = MixtureModel("gaussian", w, means, covs, covariance=covariance)
    x = truth.sample(4000, 31)
    learner = MixtureLearner(x, family="gaussian", components=3, convention="real",
                             covariance=covariance, seed=2, tolerance=1e-12)
    run_to_convergence(learner)
    m = learner.model
    perm = _match(means, m.means)
    resp = m.responsibilities(x)[:, perm]
    assert resp.max(1).mean() > 0.999            # labels practically observed: complete-data SEs
    Nk = resp.sum(0)
    S = covs if covariance == "full" else np.stack([np.diag(c) for c in covs])
    Se = fit_covs(m)[perm]
    for k in range(3):
        se_mu = np.sqrt(np.diag(S[k]) / Nk[k])
        assert np.all(np.abs(m.means[perm][k] - means[k]) / se_mu < 5)
        # Var(S_ij) = (S_ii S_jj + S_ij^2) / N for Gaussian data
        se_S = np.sqrt((np.outer(np.diag(S[k]), np.diag(S[k])) + S[k] ** 2) / Nk[k])
        mask = np.ones((2, 2), bool) if covariance == "full" else np.eye(2, dtype=bool)
        assert np.all(np.abs(Se[k] - S[k])[mask] / se_S[mask] < 5)
    assert np.all(np.abs(m.weights[perm] - w) / np.sqrt(w * (1 - w) / len(x)) < 5)


# ----------------------------------------------------------------------- covariance floor
@pytest.mark.parametrize("covariance", ["full", "diag"])
def test_covariance_floor_prevents_collapse_exactly(covariance):
    rng = np.random.default_rng(8)
    bulk = rng.normal(0, 1, (100, 1))
    x = np.vstack([bulk, [[50.0]]])                  # an isolated point: ML would collapse on it
    results = {}
    for floor in (1e-2, 1e-4):
        learner = MixtureLearner(x, family="gaussian", components=2, convention="real",
                                 covariance=covariance, covariance_floor=floor, init="given",
                                 init_params=[0.0, 40.0], tolerance=1e-14)
        run_to_convergence(learner, max_steps=200)
        m = learner.model
        var = m.covs.reshape(2)
        # the lone point's component sits on it with variance exactly = floor; the other is the
        # ML fit of the bulk (its posterior on the outlier is exp(-1250), i.e. exactly 0)
        assert m.means[1, 0] == 50.0 and var[1] == floor
        assert m.means[0, 0] == pytest.approx(bulk.mean(), rel=1e-12)
        assert var[0] == pytest.approx(bulk.var(), rel=1e-12)
        np.testing.assert_allclose(m.weights, [100 / 101, 1 / 101], rtol=1e-12)
        results[floor] = m.log_prob(x).mean()
        assert np.isfinite(results[floor])
    # only the outlier's density (2π floor)^(-1/2) depends on the floor: Δℓ = ½ log(f1/f2) / M
    assert results[1e-4] - results[1e-2] == pytest.approx(0.5 * math.log(100) / 101, rel=1e-10)


def test_full_covariance_floor_lifts_only_the_degenerate_direction():
    rng = np.random.default_rng(9)
    t = rng.normal(size=200)
    line = np.stack([t, 2 * t], 1)                   # rank-1 scatter: one zero eigenvalue
    learner = MixtureLearner(line, family="gaussian", components=1, convention="real",
                             covariance_floor=1e-3)
    learner.step()
    vals = np.linalg.eigvalsh(learner.model.covs[0])
    assert vals[0] == pytest.approx(1e-3, rel=1e-9)
    assert vals[1] == pytest.approx(np.linalg.eigvalsh(np.cov(line.T, bias=True))[1], rel=1e-12)
    assert np.isfinite(learner.model.log_prob(line)).all()


# -------------------------------------------------------------------------- model protocol
def _models():
    rng = np.random.default_rng(12)
    P = rng.uniform(0.05, 0.95, (3, 4))
    yield MixtureModel("bernoulli", [0.2, 0.5, 0.3], P)
    yield MixtureModel("bernoulli", [0.2, 0.5, 0.3], 2 * P - 1, convention="spin")
    yield MixtureModel("binomial", [0.7, 0.3], np.repeat([[0.8], [0.4]], 5, axis=1))
    yield MixtureModel("gaussian", [0.6, 0.4], [[0.0, 1.0], [2.0, -1.0]],
                       [[[1.0, 0.3], [0.3, 0.5]], [[0.4, 0.0], [0.0, 2.0]]])
    yield MixtureModel("gaussian", [0.6, 0.4], [[0.0, 1.0], [2.0, -1.0]], [[1.0, 0.5], [0.4, 2.0]],
                       covariance="diag")


@pytest.mark.parametrize("model", list(_models()), ids=lambda m: f"{m.family}-{m.convention}-"
                                                             f"{m.covariance}")
def test_model_round_trip_sampling_and_exact_normalisation(model):
    meta, arrays = model.to_arrays()
    back = MixtureModel.from_arrays({**meta, "convention": model.convention}, arrays)
    assert back.family == model.family and back.convention == model.convention
    for k, v in arrays.items():
        np.testing.assert_array_equal(getattr(back, k), v)
    x = model.sample(20000, seed=3)
    assert x.shape == (20000, model.n)
    np.testing.assert_array_equal(model.sample(5, seed=3), model.sample(5, seed=3))
    mean_model = model.weights @ model.means
    if model.family == "gaussian":
        var = np.var(x, axis=0)
        ev = model.evaluate(x[:100])
        # exact reference: scipy densities
        covs = model.covs if model.covariance == "full" else [np.diag(c) for c in model.covs]
        ref = np.log(sum(w * multivariate_normal(mu, c).pdf(x[:100])
                         for w, mu, c in zip(model.weights, model.means, covs)))
        assert ev["ll"] == pytest.approx(ref.mean(), rel=1e-12)
    else:
        lo = 0.0 if model.convention == "binary" else -1.0
        assert set(np.unique(x)) <= {lo, 1.0}
        var = (1 - lo) ** 2 * 0.25 - (mean_model - (1 + lo) / 2) ** 2      # of a two-valued unit
        # exact normalisation: the probabilities of all 2^n states sum to one
        states = ((np.arange(2 ** model.n)[:, None] >> np.arange(model.n)) & 1).astype(float)
        states = states if lo == 0 else 2 * states - 1
        assert np.exp(model.log_prob(states)).sum() == pytest.approx(1.0, abs=1e-12)
        ev = model.evaluate(states)
        assert ev["ll_method"] == "exact"
        if model.family == "binomial":
            h = ((states - lo) / (1 - lo)).sum(1)
            logc = np.array([math.log(math.comb(model.n, int(v))) for v in h])
            assert ev["ll_counts"] == pytest.approx(ev["ll"] + logc.mean(), rel=1e-12)
    # sample means within 5 SE of the model's means
    assert np.all(np.abs(x.mean(0) - mean_model) < 5 * np.sqrt(var / len(x)))


def test_model_rejects_bad_input():
    with pytest.raises(ValueError, match="weights"):
        MixtureModel("bernoulli", [0.5, 0.6], np.full((2, 3), 0.5))
    with pytest.raises(ValueError, match="shape"):
        MixtureModel("gaussian", [1.0], np.zeros((1, 2)), np.ones((1, 3)), covariance="diag")
    with pytest.raises(ValueError, match="missing array"):
        MixtureModel.from_arrays({"family": "gaussian"}, {"weights": np.ones(1),
                                                          "means": np.zeros((1, 2))})
    with pytest.raises(ValueError, match="binary"):
        MixtureModel("bernoulli", [1.0], np.full((1, 2), 0.5)).log_prob(np.array([[0.3, 1.0]]))
    with pytest.raises(ValueError, match="shape"):
        MixtureModel("bernoulli", [1.0], np.full((1, 2), 0.5)).log_prob(np.ones((2, 3)))


# --------------------------------------------------------------------------------- learner
def _cfg(**model):
    return config.resolve({"data": {"generator": "coin_tosses"},
                           "model": {"kind": "mixture", **model}, "training": {"steps": 50}})


def test_make_learner_from_config_picks_the_family_and_reports_metrics():
    ds = Dataset(train=DB_X, val=DB_X[:2], convention="binary",
                 meta={"generator": "coin_tosses"})
    learner = make_learner(_cfg(components=2, init="given", init_params=[0.6, 0.5],
                                fit_weights=False), ds)
    assert learner.family == "binomial" and learner.steps_per_epoch == 1
    snaps = list(Trainer(learner, max_steps=50, eval_every=5))
    snap = snaps[-1]
    assert snap.message.startswith("converged")
    assert set(snaps[0].metrics) >= {"train_ll", "bound", "kl_gap", "val_ll", "objective"}
    assert len(snaps) > 1
    # θ¹ by one EM step written out (equal fixed weights, so the binomial coefficients and the
    # weights cancel in the responsibilities): r_i ∝ θ^h (1-θ)^(n-h), θ_k = Σ r_ik h_i / Σ r_ik n
    heads, tosses = DB_X.sum(1), DB_X.shape[1]
    theta0 = np.array([0.6, 0.5])
    lik = theta0[None, :] ** heads[:, None] * (1 - theta0[None, :]) ** (tosses - heads[:, None])
    r = lik / lik.sum(1, keepdims=True)
    theta1 = (r * heads[:, None]).sum(0) / (r.sum(0) * tosses)
    np.testing.assert_allclose(theta1, [0.71, 0.58], atol=0.005)     # the published θ¹
    assert snaps[0].metrics["val_ll"] == pytest.approx(
        MixtureModel("binomial", [0.5, 0.5], np.repeat(theta1[:, None], 10, axis=1))
        .log_prob(DB_X[:2]).mean(), abs=1e-12)
    assert {"em_theta", "em_ll", "em_bound", "em_marks", "em_ll_grid", "means", "weights",
            "biases"} <= set(snap.views)
    real = Dataset(train=np.random.default_rng(0).normal(size=(30, 2)), val=np.zeros((0, 2)),
                   convention="real")
    assert make_learner(_cfg(components=2), real).family == "gaussian"
    spins = Dataset(train=np.sign(np.random.default_rng(0).normal(size=(30, 9))),
                    val=np.zeros((0, 9)), convention="spin", image_shape=(3, 3))
    lr = make_learner(_cfg(components=2), spins)
    assert lr.family == "bernoulli"
    lr.step()
    v = lr.views()
    np.testing.assert_array_equal(v["means"], lr.model.means)        # means shown as images
    # fantasy particles are samples of the mixture, in its convention (spins here)
    assert v["fantasy"].shape[1] == 9 and set(np.unique(v["fantasy"])) <= {-1.0, 1.0}
    assert lr.model.convention == "spin"
    np.testing.assert_array_equal(lr.views()["fantasy"], v["fantasy"])   # views are deterministic


def test_config_errors_name_the_problem():
    ds = Dataset(train=DB_X, val=DB_X[:0], convention="binary", meta={"generator": "coin_tosses"})
    with pytest.raises(config.ConfigError, match="init_params"):
        make_learner(_cfg(components=2, init="given", init_params=[0.6, 0.5, 0.4]), ds)
    with pytest.raises(config.ConfigError, match="prior"):
        make_learner(_cfg(components=2, prior=[0.5, 2.0]), ds)
    real = Dataset(train=np.zeros((4, 2)), val=np.zeros((0, 2)), convention="real")
    with pytest.raises(config.ConfigError, match="binary or spin"):
        make_learner(_cfg(family="bernoulli"), real)


@pytest.mark.parametrize("family", ["gaussian", "binomial"])
def test_state_dict_resumes_bit_for_bit(family):
    rng = np.random.default_rng(3)
    if family == "gaussian":
        kw = dict(family="gaussian", components=3, convention="real", seed=4, tolerance=0.0)
        x = rng.normal(size=(200, 2)) + rng.integers(0, 3, 200)[:, None] * 2.0
    else:
        kw = dict(family="binomial", components=2, fit_weights=False, seed=4, tolerance=0.0)
        x = DB_X
    a = MixtureLearner(x, **kw)
    for _ in range(3):
        a.step()
    state = {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in a.state_dict().items()}
    after_a = [a.step() for _ in range(4)]
    views_a = a.views()
    b = MixtureLearner(x, **kw)
    b.load_state_dict(state)
    after_b = [b.step() for _ in range(4)]
    assert after_a == after_b
    for k in a.params:
        np.testing.assert_array_equal(a.params[k], b.params[k])
    views_b = b.views()
    for k in views_a:
        np.testing.assert_array_equal(views_a[k], views_b[k])


def test_restarts_keep_the_best_run():
    rng = np.random.default_rng(6)
    P = rng.uniform(0.1, 0.9, (5, 10))
    x = MixtureModel("bernoulli", np.full(5, 0.2), P).sample(300, 7)
    learner = MixtureLearner(x, family="bernoulli", components=5, init="random", restarts=4,
                             seed=2, tolerance=1e-9, max_iter=300)
    assert len(learner.restart_results) == 4
    assert len(set(np.round(learner.restart_results, 6))) > 1     # the restarts did differ
    for _ in range(300):                     # replay the chosen run (run_em's stopping rule)
        m = learner.step()
        if m["ll_gain"] < 1e-9:
            break
    assert m["objective"] + m["ll_gain"] == max(learner.restart_results)   # the replay is exact


def test_rollback_refreshes_the_cached_e_step():
    learner = two_coin_learner(DB_X)
    learner.step()
    learner.params["means"][...] = np.repeat([[0.9], [0.2]], 10, axis=1)
    learner.params_changed()
    m = learner.step()
    ref = MixtureModel("binomial", [0.5, 0.5], np.repeat([[0.9], [0.2]], 10, axis=1))
    assert m["train_ll"] == pytest.approx(ref.log_prob(DB_X).mean(), abs=1e-13)


def test_probabilities_stay_inside_the_clipped_domain():
    x = np.zeros((20, 6))
    x[:10, :3] = 1.0                                   # columns that are always 0 in a cluster
    learner = MixtureLearner(x, family="bernoulli", components=2, seed=0)
    for _ in range(20):
        learner.step()
    p = learner.model.probs
    assert p.min() == PROB_EPS and p.max() == 1 - PROB_EPS
    assert np.isfinite(learner.model.log_prob(1 - x)).all()      # unseen patterns: finite ℓ
