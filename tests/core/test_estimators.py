"""The scikit-learn-style estimators (boltzmann_lab.estimators): the parameter protocol, the one
training path, Python-worded errors, scoring against exact answers, callbacks, files."""

import io
import sys
import warnings

import numpy as np
import pytest

import boltzmann_lab as bl
from boltzmann_lab import config
from boltzmann_lab.build import make_trainer
from boltzmann_lab.data.dataset import Dataset
from boltzmann_lab.estimators import ESTIMATORS, Estimator, estimator_class
from boltzmann_lab.estimators.base import _plain
from boltzmann_lab.exact.enumeration import enumerate_stats, states
from boltzmann_lab.kinds import KINDS

ALL = [bl.RBM, bl.DBM, bl.MaxEnt, bl.GaussianMaxEnt, bl.Hopfield, bl.Mixture, bl.Potts]
BARS = bl.datasets.bars_and_stripes(size=3)            # the 14 distinct 3x3 images


def test_every_learning_kind_has_an_estimator():
    assert set(ESTIMATORS) == set(KINDS) - {"ising"}   # ising simulates, nothing is fitted
    for kind in ESTIMATORS:
        assert estimator_class(kind).kind == kind
    assert estimator_class("ising") is None


@pytest.mark.parametrize("cls", ALL)
def test_every_config_key_of_the_kind_is_a_parameter_or_left_out_on_purpose(cls):
    """A key added to a kind's record must become a parameter (or be listed with a reason)."""
    keys = {("model", k) for k in KINDS[cls.kind].model_keys}
    keys |= {("training", k) for k in {**config.TRAINING_COMMON, **KINDS[cls.kind].training_keys}}
    mapped = set(cls._config_keys.values())
    data_keys = {("data", "convention"), ("data", "validation_fraction")}
    if KINDS[cls.kind].data_units({}) == "categorical":      # q, alphabet, weights, pseudocount
        data_keys |= {("data", k) for k in config.CATEGORICAL_KEYS}
    assert mapped <= keys | data_keys
    left_out = {("model", k) if k in KINDS[cls.kind].model_keys else ("training", k)
                for k in cls._unmapped}
    assert keys - mapped == left_out, (keys - mapped) ^ left_out
    assert all(name in cls._get_param_names() for name in cls._config_keys)


# ----------------------------------------------------------------- scikit-learn's protocol
@pytest.mark.parametrize("cls", ALL)
def test_params_are_the_init_arguments_and_clone_works(cls):
    from sklearn.base import clone

    est = cls()
    params = est.get_params()
    assert params and all(not k.startswith("_") for k in params)
    assert est.set_params(**params) is est and est.get_params() == params
    copy = clone(est)
    assert type(copy) is cls and copy.get_params() == params and copy is not est
    with pytest.raises(ValueError, match="no parameter 'bogus'"):
        est.set_params(bogus=1)
    # defaults come from the config schema, so the two cannot drift apart
    for name, (section, key) in cls._config_keys.items():
        if section == "model" and name not in ("mask",):
            want = KINDS[cls.kind].model_keys[key].default
            got = params[name]
            assert (list(got) if isinstance(got, tuple) else got) == want, name


def test_clone_of_a_fitted_estimator_is_unfitted_and_repr_shows_changes():
    from sklearn.base import clone

    rbm = bl.RBM(n_hidden=3, steps=5, batch_size=14, progress=False).fit(BARS)
    assert repr(rbm) == "RBM(batch_size=14, n_hidden=3, progress=False, steps=5)"
    fresh = clone(rbm)
    assert not hasattr(fresh, "W_")
    with pytest.raises(bl.NotFittedError, match="not fitted"):
        fresh.score(BARS)


def test_grid_search_over_an_rbm():
    from sklearn.model_selection import GridSearchCV

    X = bl.datasets.bars_and_stripes(size=3, n=120, seed=0)
    search = GridSearchCV(bl.RBM(epochs=5, batch_size=20, progress=False),
                          {"n_hidden": [2, 6], "learning_rate": [0.01, 0.05]}, cv=2)
    search.fit(X)
    scores = search.cv_results_["mean_test_score"]
    assert scores.shape == (4,) and np.all(np.isfinite(scores)) and np.all(scores < 0)
    assert search.best_estimator_.score_method_ == "exact"
    assert search.best_params_ in search.cv_results_["params"]


# ----------------------------------------------------------------- one training path
def test_fit_is_the_config_path_bit_for_bit():
    """The estimator builds the same config and drives the same Trainer: identical weights."""
    rbm = bl.RBM(n_hidden=5, steps=40, batch_size=7, seed=3, progress=False).fit(BARS)
    cfg = config.resolve({"data": {"path": "x.npy"},
                          "model": {"kind": "rbm", "hidden": 5},
                          "training": {"steps": 40, "batch_size": 7, "seed": 3}})
    trainer = make_trainer(cfg, Dataset(BARS, BARS[:0], "binary", (3, 3)))
    trainer.run()
    np.testing.assert_array_equal(rbm.W_, trainer.learner.model.W)
    assert rbm.n_steps_ == 40 and rbm.fit_message_ == "finished 40 steps"
    assert list(rbm.history_["step"]) == [r["step"] for r in trainer.history]


@pytest.mark.parametrize("make", [
    lambda: bl.RBM(n_hidden=0),
    lambda: bl.RBM(optimizer="newton"),
    lambda: bl.DBM(n_hidden=(4, 4, 4, 4)),
    lambda: bl.MaxEnt(constraints=("means", "triplets")),
    lambda: bl.Mixture(n_components=0),
    lambda: bl.Hopfield(rule="oja"),
])
def test_keyword_errors_speak_python_and_the_config_speaks_toml(make):
    est = make()
    name = next(k for k, v in est.get_params().items()
                if v != type(est)().get_params()[k])
    section, key = est._config_keys[name]
    X = BARS if est.kind != "hopfield" else 2 * BARS - 1
    with pytest.raises(ValueError) as err:
        est.fit(X)
    msg = str(err.value)
    assert msg.startswith(f"{type(est).__name__}: {name}") and f"[{section}]" not in msg
    # the same value in a run config: the schema (or the learner) names the TOML key
    raw = {"data": {"path": "x.npy"}, "model": {"kind": est.kind}, "training": {"steps": 1}}
    raw[section][key] = _plain(getattr(est, name))
    with pytest.raises(ValueError, match=rf"\[{section}\] {key}"):
        make_trainer(config.resolve(raw), Dataset(X, X[:0], "binary" if X.min() == 0 else "spin"))


def test_fit_refuses_to_run_forever_and_data_errors_are_explained():
    with pytest.raises(ValueError, match="never stops on its own; set epochs or steps"):
        bl.RBM(epochs=None).fit(BARS)
    with pytest.raises(ValueError, match="never stops"):
        bl.DBM(epochs=None, steps=None).fit(BARS)
    with pytest.raises(ValueError, match="binary .* or spin .* values, but it holds values"):
        bl.MaxEnt().fit(bl.datasets.digits()[:50])
    with pytest.raises(ValueError, match="visible_units='gaussian'"):
        bl.RBM(steps=2).fit(bl.datasets.digits()[:50])
    gauss = bl.RBM(n_hidden=2, visible_units="gaussian", steps=2, progress=False)
    assert gauss.fit(bl.datasets.digits()[:50]).convention_ == "real"
    with pytest.raises(ValueError, match="2-D array"):
        bl.MaxEnt().fit(BARS[0])
    with pytest.raises(ValueError, match="NaN"):
        bl.Mixture().fit(np.array([[0.0, np.nan]]))
    with pytest.raises(ValueError, match="X_val has 4 units"):
        bl.RBM(steps=2).fit(BARS, X_val=np.zeros((2, 4)))
    with pytest.raises(ValueError, match="not both"):
        bl.RBM(steps=2, validation_fraction=0.2).fit(BARS, X_val=BARS)


# ----------------------------------------------------------------- estimates vs exact answers
def test_maxent_reaches_the_moment_matching_fixed_point_and_the_true_couplings():
    """Exact check of the fit: the enumerated model moments match the data to within
    strict_tolerance x the sampling noise δ (the convergence rule); and the fitted J lies within
    5 standard errors of the true SK couplings, se from the exact Fisher information
    (covariance of the sufficient statistics under the model) over M samples."""
    X, truth = bl.datasets.sk(n_units=5, n=4000, seed=2, return_params=True)
    est = bl.MaxEnt(progress=False).fit(X)
    assert est.converged_ and est.score_method_ == "exact" and est.convention_ == "spin"
    M = len(X)
    st = enumerate_stats(est.h_, est.J_, "spin")
    iu, ju = np.triu_indices(5, 1)
    dmean, dsec = X.mean(0), (X.T @ X / M)[iu, ju]
    delta_mean = np.sqrt(np.maximum(1 - dmean ** 2, 1 / M) / M)
    delta_pair = np.sqrt(np.maximum(1 - dsec ** 2, 1 / M) / M)
    assert np.max(np.abs(st.mean - dmean) / delta_mean) < 0.05 + 1e-9
    assert np.max(np.abs(st.second[iu, ju] - dsec) / delta_pair) < 0.05 + 1e-9
    S = states(5, (-1.0, 1.0))
    p = np.exp(est.model_.log_prob(S))
    T = np.hstack([S, S[:, iu] * S[:, ju]])                      # sufficient statistics
    mu = p @ T
    fisher = (T - mu).T @ ((T - mu) * p[:, None])
    se = np.sqrt(np.diag(np.linalg.inv(fisher)) / M)
    err = np.concatenate([est.h_ - truth["h"], (est.J_ - truth["J"])[iu, ju]])
    assert np.all(np.abs(err) < 5 * se)
    # scores: exact log p, the same in either convention
    np.testing.assert_allclose(est.score_samples(X[:20]), est.model_.log_prob(X[:20]), rtol=1e-12)
    assert est.score((X + 1) / 2) == pytest.approx(est.score(X), rel=1e-12)


def test_rbm_scores_transform_and_samples():
    rbm = bl.RBM(n_hidden=4, steps=200, batch_size=14, seed=1, progress=False).fit(2 * BARS - 1)
    assert rbm.convention_ == "spin" and rbm.score_method_ == "exact"
    S = states(9, (-1.0, 1.0))
    assert np.exp(rbm.score_samples(S)).sum() == pytest.approx(1.0, abs=1e-9)    # normalised
    assert rbm.score(BARS) == pytest.approx(rbm.score(2 * BARS - 1), rel=1e-12)  # 0/1 converted
    W, b = np.asarray(rbm.W_, float), np.asarray(rbm.b_, float)
    np.testing.assert_allclose(rbm.transform(BARS), 1 / (1 + np.exp(-(b + (2 * BARS - 1) @ W))),
                               rtol=1e-6)
    x = rbm.sample(10, seed=4)
    assert x.shape == (10, 9) and set(np.unique(x)) <= {-1.0, 1.0}
    np.testing.assert_array_equal(x, rbm.sample(10, seed=4))
    ev = rbm.evaluate(BARS)
    assert ev["ll"] == pytest.approx(rbm.score(BARS)) and ev["ll_method"] == "exact"
    h = rbm.history_
    assert len({len(v) for v in h.values()}) == 1 and {"step", "train_ll"} <= set(h)


def test_gaussian_maxent_is_the_sample_gaussian():
    X = np.random.default_rng(0).normal(size=(400, 3)) @ np.array([[1, 0.3, 0], [0, 1, 0.2],
                                                                    [0, 0, 1.0]])
    g = bl.GaussianMaxEnt(progress=False).fit(X)
    np.testing.assert_allclose(g.mean_, X.mean(0), atol=1e-12)
    np.testing.assert_allclose(g.cov_, np.cov(X, rowvar=False, bias=True), atol=1e-10)
    from scipy.stats import multivariate_normal
    want = multivariate_normal(X.mean(0), np.cov(X, rowvar=False, bias=True)).logpdf(X)
    np.testing.assert_allclose(g.score_samples(X), want, rtol=1e-9)
    mask = ~np.eye(3, dtype=bool)
    mask[0, 2] = mask[2, 0] = False
    sparse = bl.GaussianMaxEnt(pairs="mask", mask=mask, progress=False).fit(X)
    assert sparse.J_[0, 2] == 0.0 and sparse.converged_


def test_mixture_and_its_posterior():
    X, truth = bl.datasets.coin_tosses(biases=(0.85, 0.25), n=300, tosses=20, seed=1,
                                       return_params=True)
    em = bl.Mixture(family="binomial", n_components=2, progress=False).fit(X)
    assert em.converged_ and em.family_ == "binomial"
    order = np.argsort(em.means_[:, 0])[::-1]
    # each bias is estimated from ~150 x 20 tosses: se = sqrt(p(1-p)/3000) < 0.01
    np.testing.assert_allclose(em.means_[order, 0], truth["biases"], atol=5 * 0.01)
    post = em.transform(X)
    np.testing.assert_allclose(post.sum(1), 1.0)
    coin_of_component = np.empty(2, int)
    coin_of_component[order] = [0, 1]                 # truth: coin 0 is the 0.85 one
    assert np.mean(coin_of_component[em.predict(X)] == truth["coins"]) > 0.95
    assert em.score(X) == pytest.approx(em.model_.evaluate(X)["ll"])


def test_dbm_and_hopfield():
    dbm = bl.DBM(n_hidden=(5, 3), pretrain_epochs=2, steps=20, batch_size=14, progress=False)
    dbm.fit(BARS)
    assert dbm.score_method_ == "exact"
    assert np.exp(dbm.score_samples(states(9, (0.0, 1.0)))).sum() == pytest.approx(1.0, abs=1e-9)
    assert dbm.transform(BARS).shape == (14, 3)
    memories = bl.datasets.patterns(n=4, n_units=64, seed=3)
    net = bl.Hopfield(rule="pseudoinverse").fit((memories + 1) / 2)        # binary is converted
    np.testing.assert_array_equal(net.patterns_, memories)
    cues = memories.copy()
    cues[:, :6] *= -1
    np.testing.assert_array_equal(net.recall(cues), memories)
    rec = net.recall(cues[0], return_trajectory=True)
    assert rec.overlaps[-1][0] == 1.0 and rec.energy[-1] <= rec.energy[0]
    assert net.history_["stable_patterns"][0] == 1.0 and net.score_method_ == "pseudo"


# ----------------------------------------------------------------- fitting behaviour
def test_callback_sees_every_step_and_can_stop():
    seen = []

    def callback(snap):
        seen.append((snap.step, "fantasy" in snap.views))
        return snap.step == 3

    rbm = bl.RBM(n_hidden=3, steps=50, progress=False).fit(BARS, callback=callback)
    assert seen == [(1, True), (2, True), (3, True)]
    assert rbm.n_steps_ == 3 and rbm.fit_message_.startswith("stopped by the callback")


def test_interrupt_keeps_the_last_good_parameters():
    def callback(snap):
        if snap.step == 12:
            raise KeyboardInterrupt

    rbm = bl.RBM(n_hidden=3, steps=50, eval_every=5, progress=False)
    with pytest.raises(KeyboardInterrupt):
        rbm.fit(BARS, callback=callback)
    assert rbm.fit_message_.startswith("interrupted") and rbm.W_.shape == (9, 3)


def test_validation_data_and_convergence_warning():
    rbm = bl.RBM(n_hidden=3, steps=20, eval_every=5, progress=False).fit(BARS, X_val=BARS[:5])
    assert np.isfinite(rbm.history_["val_ll"]).sum() >= 4
    with pytest.warns(bl.ConvergenceWarning, match="no convergence within 3 steps"):
        bl.MaxEnt(max_steps=3, progress=False).fit(2 * BARS - 1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        bl.MaxEnt(progress=False).fit(2 * BARS - 1)       # converges: no warning


def test_progress_bar_without_tqdm(monkeypatch):
    from boltzmann_lab.estimators import progress

    monkeypatch.setitem(sys.modules, "tqdm.auto", None)        # as if tqdm were not installed
    bar = progress.progress_bar(True, 5, "RBM")
    assert isinstance(bar, progress._Text)
    bar.stream = io.StringIO()
    from boltzmann_lab.learning.trainer import Snapshot
    bar.update(Snapshot(step=5, epoch=1.0, kind="rbm", metrics={"train_ll": -3.25}, done=True))
    bar.close()
    assert bar.stream.getvalue() == "\rRBM: step 5/5  train_ll=-3.25\n"


# ----------------------------------------------------------------- files
@pytest.mark.parametrize("make,X", [
    (lambda: bl.RBM(n_hidden=3, steps=5, progress=False), BARS),
    (lambda: bl.MaxEnt(progress=False), 2 * BARS - 1),
    (lambda: bl.Mixture(n_components=2, progress=False), BARS),
    (lambda: bl.Hopfield(rule="storkey"), 2 * BARS - 1),
])
def test_save_and_load_give_back_a_fitted_estimator(make, X, tmp_path):
    est = make().fit(X)
    path = est.save(tmp_path / "model.npz")
    back = bl.load(path)
    assert type(back) is type(est) and isinstance(back, Estimator)
    assert back.score(X) == pytest.approx(est.score(X), rel=1e-6)
    assert back.score_method_ == est.score_method_ and back.fit_message_ == "loaded"
    np.save(tmp_path / "data.npy", X)
    np.testing.assert_array_equal(bl.load(tmp_path / "data.npy"), X)


def test_load_names_the_file_and_returns_bare_models_for_kinds_without_estimators(tmp_path):
    from boltzmann_lab.io.modelio import save_model
    from boltzmann_lab.models.ising import IsingModel

    path = save_model(tmp_path / "ising.npz", IsingModel(4, 2.0))
    assert isinstance(bl.load(path), IsingModel)
    with pytest.raises(ValueError, match="nothing.npy"):
        bl.load(tmp_path / "nothing.npy")
    with pytest.raises(TypeError):
        bl.RBM(3, 5)                               # hyperparameters after the first: keywords
    with pytest.raises(ValueError, match="wraps 'rbm' models"):
        bl.RBM.from_model(IsingModel(4, 2.0))
