"""RBM learner: acceptance runs (bars and stripes, 2D Ising), exactness of the negative phase,
bit-for-bit resume, initialisation and the config path."""

import itertools

import numpy as np
import pytest

from boltzmann_lab.config import resolve
from boltzmann_lab.data.dataset import Dataset
from boltzmann_lab.exact.enumeration import states
from boltzmann_lab.models.rbm import RBM
from boltzmann_lab.learning.rbm import RBMLearner, make_learner
from boltzmann_lab.learning.trainer import Trainer


def bars_and_stripes_4x4():
    """All distinct 4x4 bars-and-stripes images (30: 16 + 16 minus the blank and full images)."""
    pats = set()
    for bits in itertools.product((0, 1), repeat=4):
        img = np.repeat(np.array(bits)[:, None], 4, axis=1)
        pats.add(tuple(img.ravel()))
        pats.add(tuple(img.T.ravel()))
    return np.array(sorted(pats), dtype=float)


def test_pcd_on_bars_and_stripes_reaches_minus_ln_30_within_one_nat():
    X = bars_and_stripes_4x4()
    assert len(X) == 30
    cfg = resolve({"data": {"generator": "bars_and_stripes", "validation_fraction": 0.0},
                   "model": {"kind": "rbm", "hidden": 16},
                   "training": {"method": "pcd", "k": 5, "chains": 300, "batch_size": 30,
                                "learning_rate": 0.02, "optimizer": "adam",
                                "schedule": "inverse", "decay": 0.01, "steps": 2000,
                                "eval_every": 500, "seed": 0}})
    ds = Dataset(X, np.zeros((0, 16)), "binary", (4, 4), "bars and stripes 4x4")
    learner = make_learner(cfg, ds)
    snap = Trainer(learner, max_steps=2000, eval_every=500).run()
    ll = snap.metrics["train_ll"]                       # exact: 2^16 visible states enumerated
    assert ll == pytest.approx(learner.model.log_likelihood(X), abs=1e-4)
    assert ll >= -np.log(30) - 1.0
    assert ll <= -np.log(30) + 1e-9                     # nothing beats the empirical distribution


def ising_stats(S, L):
    s = S.reshape(-1, L, L)
    e = -(s * np.roll(s, 1, 1) + s * np.roll(s, 1, 2)).sum((1, 2)) / (L * L)
    return e, np.abs(s.mean((1, 2)))


def test_rbm_on_ising_t2_reproduces_energy_and_magnetisation():
    from boltzmann_lab.sampling.ising import sample_configurations
    L = 6
    X = sample_configurations(L, 2.0, 1000, seed=0)
    learner = RBMLearner(X, n_hidden=64, visible="spin", method="pcd", k=1, chains=500,
                         batch_size=100, learning_rate=0.2, optimizer="sgd",
                         schedule="inverse", decay=0.002, seed=0)
    for _ in range(5000):
        learner.step()
    F = learner.model.sample(1000, seed=5, sweeps=1000)        # fantasy from random starts
    e, m = ising_stats(X, L)
    ef, mf = ising_stats(F, L)

    def se(a):
        return a.std(ddof=1) / np.sqrt(len(a))
    assert abs(ef.mean() - e.mean()) < 5 * np.hypot(se(e), se(ef))
    assert abs(mf.mean() - m.mean()) < 5 * np.hypot(se(m), se(mf))


@pytest.mark.parametrize("method,precision", [("pcd", "float32"), ("pcd", "float64"),
                                              ("pt", "float64")])
def test_negative_particles_sample_the_model_exactly(method, precision):
    """With the learning rate at 0 the persistent (or tempered beta=1) particles are MCMC samples
    of the fixed model: their state histogram matches p(v) by enumeration (float32 = the fused
    binary fast path, float64 = the generic unit path)."""
    rng = np.random.default_rng(0)
    W, a, b = 1.5 * rng.standard_normal((4, 3)), rng.standard_normal(4), rng.standard_normal(3)
    ref = RBM(W, a, b)
    data = ref.sample_exact(50, seed=1)[0]
    C = 2000
    lr = RBMLearner(data, n_hidden=3, method=method, chains=C, temperatures=4, batch_size=50,
                    learning_rate=0.0, optimizer="sgd", seed=2, precision=precision)
    assert lr.fast == (precision == "float32" and method == "pcd")
    for k, v in (("W", W), ("a", a), ("b", b)):
        lr.params[k][...] = v
    for _ in range(60):
        lr.step()
    x = lr.v_chain[:C]
    V = states(4, (0, 1), 0, 16)
    p = np.exp(ref.log_prob(V))
    idx = (x @ (2 ** np.arange(4))).astype(int)
    freq = np.bincount(idx, minlength=16) / C
    # binomial SE floored at one expected count (Poisson scale for p < 1/C)
    assert np.all(np.abs(freq - p) < 5 * np.sqrt(np.maximum(p, 1 / C) * (1 - p) / C))
    if method == "pt":
        assert 0 < lr.evaluate()["swap_rate"] <= 1


@pytest.mark.parametrize("method", ["cd", "pcd", "pt"])
def test_state_dict_resumes_bit_for_bit(method):
    X = bars_and_stripes_4x4()
    kw = dict(n_hidden=8, method=method, chains=20, temperatures=3, batch_size=7, k=2,
              learning_rate=0.05, optimizer="adam", seed=3, l2=1e-3)
    a = RBMLearner(X, **kw)
    for _ in range(9):                # crosses an epoch boundary (ceil(30/7) = 5 steps/epoch)
        a.step()
    a.views()
    state = a.state_dict()
    for _ in range(8):
        a.step()
    b = RBMLearner(X, **kw)
    b.load_state_dict(state)
    for _ in range(8):
        b.step()
    for k in a.params:
        np.testing.assert_array_equal(a.params[k], b.params[k])
    np.testing.assert_array_equal(a.v_chain, b.v_chain)
    np.testing.assert_array_equal(a.views()["fantasy"], b.views()["fantasy"])


def test_initialisation_minibatches_and_hypers():
    X = bars_and_stripes_4x4()
    lr = RBMLearner(X, n_hidden=50, batch_size=8, seed=0)
    assert lr.steps_per_epoch == 4                       # ceil(30 / 8)
    m = X.mean(0)
    np.testing.assert_allclose(lr.model.a, np.log(m / (1 - m)), rtol=1e-6)
    assert np.all(lr.model.b == 0)
    # W ~ N(0, 0.01^2): the SE of a sample standard deviation is sigma / sqrt(2 N)
    assert abs(lr.model.W.std() - 0.01) < 5 * 0.01 / np.sqrt(2 * lr.model.W.size)
    seen = []
    for _ in range(4):
        before = lr.batches.pos
        lr.step()
        seen.extend(lr.batches.perm[before:lr.batches.pos])
    assert sorted(seen) == list(range(30))               # one epoch visits every row once
    met = lr.step()
    assert set(met) == {"recon_error", "learning_rate"}
    lr.set_hyper("learning_rate", 0.001)
    assert lr.step()["learning_rate"] == 0.001
    with pytest.raises(KeyError, match="no adjustable"):
        lr.set_hyper("temperature", 1.0)
    v = lr.views()
    assert set(v) >= {"data", "reconstruction", "fantasy", "filters", "state"}
    assert v["filters"].shape == (16, 50)


def test_evaluate_metrics_exact_and_pseudo():
    rng = np.random.default_rng(0)
    X = (rng.random((200, 30)) < 0.3).astype(float)
    small = RBMLearner(X[:150], X[150:], n_hidden=6, seed=0)
    small.step()
    out = small.evaluate()
    assert out["train_ll"] == pytest.approx(small.model.log_likelihood(X[:150]), abs=1e-6)
    assert out["val_ll"] == pytest.approx(small.model.log_likelihood(X[150:]), abs=1e-6)
    assert out["free_energy_gap"] == pytest.approx(
        small.model.free_energy(X[150:]).mean() - small.model.free_energy(X[:50]).mean())
    big = RBMLearner(X[:150], X[150:], n_hidden=40, seed=0)   # 2^30 / 2^40 states: not exact
    big.step()
    out = big.evaluate()
    assert "train_ll" not in out
    assert out["train_pll"] == pytest.approx(big.model.pll(X[:150]), abs=1e-9)


def test_stochastic_pll_is_unbiased():
    from boltzmann_lab.learning.rbm import stochastic_pll
    rng = np.random.default_rng(1)
    m = RBM(0.5 * rng.standard_normal((20, 5)))
    x = (rng.random((400, 20)) < 0.5).astype(float)
    exact = m.pll(x)
    est = [stochastic_pll(m, x, np.random.default_rng(s)) for s in range(40)]
    assert abs(np.mean(est) - exact) < 5 * np.std(est) / np.sqrt(len(est))


def test_make_learner_converts_conventions_and_rejects_real_data():
    X = bars_and_stripes_4x4()
    cfg = resolve({"data": {"generator": "bars_and_stripes"},
                   "model": {"kind": "rbm", "hidden": 4, "visible_units": "spin"},
                   "training": {"seed": 0}})
    ds = Dataset(X, X[:5], "binary", (4, 4))
    lr = make_learner(cfg, ds)
    assert lr.convention == "spin" and set(np.unique(lr.train)) == {-1.0, 1.0}
    cfg["model"]["visible_units"] = "binary"
    with pytest.raises(ValueError, match="real-valued"):
        make_learner(cfg, Dataset(X * 0.5, X[:0], "real"))
    cfg["model"]["visible_units"] = "auto"
    g = make_learner(cfg, Dataset(X * 0.5, X[:0], "real"))
    assert g.model.visible.name == "gaussian"
    g.step()


def test_fast_path_gradient_matches_generic_path_in_expectation():
    """The fused float32 step and the generic float64 step estimate the same gradient: with
    lr = 0 and many chains, the mean negative statistics agree within their standard errors."""
    rng = np.random.default_rng(3)
    W, a, b = rng.standard_normal((6, 4)), 0.5 * rng.standard_normal(6), rng.standard_normal(4)
    ref = RBM(W, a, b)
    V = states(6, (0, 1), 0, 64)
    p = np.exp(ref.log_prob(V))
    want = (V * p[:, None]).T @ ref.hidden.mean(V @ W + b)          # exact E_model[v h^T]
    data = ref.sample_exact(40, seed=0)[0]
    est = {}
    for prec in ("float32", "float64"):
        lr = RBMLearner(data, n_hidden=4, method="pcd", chains=4000, batch_size=40,
                        learning_rate=0.0, optimizer="sgd", seed=5, precision=prec)
        for k, v in (("W", W), ("a", a), ("b", b)):
            lr.params[k][...] = v
        for _ in range(30):
            lr.step()
        vn = lr.v_chain.astype(float)
        ph = ref.hidden.mean(vn @ W + b)
        prod = vn[:, :, None] * ph[:, None, :]
        est[prec] = (prod.mean(0), prod.std(0) / np.sqrt(len(vn)))
    for prec, (mean, se) in est.items():
        assert np.all(np.abs(mean - want) < 5 * se), prec     # SE over 4000 independent chains


def test_fan_in_rate_scaling_from_the_config():
    """rate_scaling = "fan_in" (the default) divides the configured rate by (n_visible / 64)^1.25
    above 64 visible units, live changes included; "none" and small layers keep it as given."""
    rng = np.random.default_rng(0)
    X = (rng.random((40, 256)) < 0.5).astype(float)
    base = {"data": {"generator": "bars_and_stripes"},
            "model": {"kind": "rbm", "hidden": 4},
            "training": {"seed": 0, "learning_rate": 0.02, "schedule": "constant"}}
    cfg = resolve(base)
    assert cfg["training"]["rate_scaling"] == "fan_in"
    big = make_learner(cfg, Dataset(X, X[:0], "binary"))
    assert big.step()["learning_rate"] == pytest.approx(0.02 * 0.25 ** 1.25)
    big.set_hyper("learning_rate", 0.004)
    assert big.step()["learning_rate"] == pytest.approx(0.004 * 0.25 ** 1.25)
    small = make_learner(cfg, Dataset(X[:, :16], X[:0, :16], "binary"))
    assert small.step()["learning_rate"] == pytest.approx(0.02)
    base["training"]["rate_scaling"] = "none"
    plain = make_learner(resolve(base), Dataset(X, X[:0], "binary"))
    assert plain.step()["learning_rate"] == pytest.approx(0.02)


def test_default_negative_phase_is_tempered_with_32_chains_per_temperature():
    """method = "pt" by default with 32 chains per temperature (CD with Gaussian hidden units);
    PCD keeps 100 chains, and a value the config sets wins (resolved configs write it out)."""
    base = {"data": {"generator": "bars_and_stripes"}, "model": {"kind": "rbm", "hidden": 4}}
    t = resolve(base)["training"]
    assert (t["method"], t["chains"], t["temperatures"]) == ("pt", 32, 10)
    assert resolve({**base, "training": {"method": "pcd"}})["training"]["chains"] == 100
    assert resolve({**base, "training": {"chains": 7}})["training"]["chains"] == 7
    X = bars_and_stripes_4x4()
    lr = make_learner(resolve(base), Dataset(X, X[:0], "binary"))
    assert lr.v_chain.shape == (32 * 10, 16) and lr.R == 10
    # Gaussian hidden units (the Hopfield RBM) default to CD-1; a method set explicitly wins
    hop = {**base, "model": {**base["model"], "hidden_units": "gaussian"}}
    assert (resolve(hop)["training"]["method"], resolve(hop)["training"]["chains"]) == ("cd", 100)
    t = resolve({**hop, "training": {"method": "pt"}})["training"]
    assert (t["method"], t["chains"]) == ("pt", 32)
