"""The independent-unit baseline, the advice rules, the centred RBM gradient (a valid ascent of
the same likelihood, checked exactly on an enumerable RBM), the validation split of small finite
sets, and the CLI's advice on an absurd learning rate."""

import itertools
import json

import numpy as np
import pytest

from boltzmann_lab import config
from boltzmann_lab.learning.advice import AdviceMonitor, independent_ll
from boltzmann_lab.learning.rbm import RBMLearner, centered_gradient, uncentered_step
from boltzmann_lab.models.rbm import RBM


# ------------------------------------------------------------------------------ baseline
def test_independent_ll_is_the_product_of_marginals():
    rng = np.random.default_rng(0)
    train = (rng.random((200, 5)) < [0.1, 0.5, 0.9, 0.3, 0.0]).astype(float)
    test = (rng.random((50, 5)) < 0.5).astype(float)
    p = (train.sum(0) + 0.5) / (len(train) + 1)
    want = np.mean([np.sum(np.where(x == 1, np.log(p), np.log(1 - p))) for x in test])
    assert independent_ll(train, test) == pytest.approx(want, rel=1e-12)
    # spins: the same model of the same data
    assert independent_ll(2 * train - 1, 2 * test - 1) == pytest.approx(want, rel=1e-12)
    # uniform data over all 2^n states: n log 2 exactly in the limit, close for the full set
    full = np.array(list(itertools.product([0, 1], repeat=4)), float)
    assert independent_ll(full) == pytest.approx(-4 * np.log(2), abs=1e-12)


def test_independent_ll_of_gaussians():
    rng = np.random.default_rng(1)
    x = rng.normal([1.0, -2.0], [0.5, 3.0], (400, 2))
    m, v = x.mean(0), x.var(0)
    want = np.mean(np.sum(-0.5 * ((x - m) ** 2 / v + np.log(2 * np.pi * v)), 1))
    assert independent_ll(x) == pytest.approx(want, rel=1e-12)


# ------------------------------------------------------------------------------ advice rules
def test_advice_below_baseline_after_the_first_epoch_only_once():
    mon = AdviceMonitor()
    row = {"learning_rate": 0.5, "baseline_ll": -10.0, "train_ll": -20.0}
    assert mon.update(1, 0.1, row) is None                # first epoch: never
    assert mon.update(2, 1.0, row) is None                # one evaluation below is not enough
    tip = mon.update(3, 2.0, row)
    assert tip is not None and tip.code == "below_baseline"
    assert tip.hyper == "learning_rate" and tip.value == pytest.approx(0.05)
    assert "below the independent-unit baseline" in tip.message and "0.5" in tip.message
    assert "learning_rate = 0.05" in tip.cli_text()
    assert mon.update(4, 3.0, row) is None                # said once


def test_advice_on_swings_and_silence_on_a_good_run():
    mon = AdviceMonitor()
    for i, ll in enumerate([-12.0, -9.0, -8.0, -7.5, -7.4]):
        assert mon.update(i, 1.0 + i, {"baseline_ll": -10.0, "val_ll": ll,
                                       "learning_rate": 0.01}) is None
    tip = mon.update(9, 9.0, {"val_ll": -12.0})
    assert tip is not None and tip.code == "swings" and "fell by 4.6 nats" in tip.message


# ------------------------------------------------------------------------------ centring
def _exact_ll(W, a, b, data):
    m = RBM(W, a, b, dtype=np.float64)
    return float(-m.free_energy(data).mean() - m.log_partition())


def _exact_grad(W, a, b, data):
    """<v E[h|v]>_data - <v E[h|v]>_model etc. by enumerating the 2^nv visible states."""
    nv = len(a)
    V = np.array(list(itertools.product([0, 1], repeat=nv)), float)
    m = RBM(W, a, b, dtype=np.float64)
    logp = -m.free_energy(V) - m.log_partition()
    p = np.exp(logp)
    sig = lambda x: 1 / (1 + np.exp(-x))            # noqa: E731
    hd, hm = sig(data @ W + b), sig(V @ W + b)
    return {"W": data.T @ hd / len(data) - (V * p[:, None]).T @ hm,
            "a": data.mean(0) - p @ V, "b": hd.mean(0) - p @ hm}


@pytest.fixture
def toy():
    rng = np.random.default_rng(3)
    W = 0.5 * rng.standard_normal((5, 3))
    a, b = 0.3 * rng.standard_normal(5), 0.3 * rng.standard_normal(3)
    data = (rng.random((40, 5)) < [0.8, 0.2, 0.7, 0.5, 0.9]).astype(float)
    mu = data.mean(0)
    lam = 1 / (1 + np.exp(-(data @ W + b))).mean(0)
    return W, a, b, data, mu, lam


def test_centred_gradient_is_the_gradient_in_centred_parameters(toy):
    W, a, b, data, mu, lam = toy
    g = centered_gradient(_exact_grad(W, a, b, data), mu, lam)
    # LL as a function of the centred parameters (W, a_c = a + W lam, b_c = b + W^T mu)
    ac, bc = a + W @ lam, b + W.T @ mu

    def ll_c(Wc, ac_, bc_):
        return _exact_ll(Wc, ac_ - Wc @ lam, bc_ - Wc.T @ mu, data)

    eps = 1e-5
    for name, arr in (("W", W), ("a", ac), ("b", bc)):
        fd = np.zeros_like(arr)
        for idx in np.ndindex(arr.shape):
            args = {"W": W.copy(), "a": ac.copy(), "b": bc.copy()}
            args[name][idx] += eps
            up = ll_c(args["W"], args["a"], args["b"])
            args[name][idx] -= 2 * eps
            down = ll_c(args["W"], args["a"], args["b"])
            fd[idx] = (up - down) / (2 * eps)
        np.testing.assert_allclose(g[name], fd, atol=1e-7)


def test_centred_step_ascends_the_same_likelihood(toy):
    W, a, b, data, mu, lam = toy
    g = _exact_grad(W, a, b, data)
    gc = centered_gradient({k: v.copy() for k, v in g.items()}, mu, lam)
    lr = 1e-3
    d = uncentered_step({k: lr * v for k, v in gc.items()}, mu, lam)
    assert sum(float(np.sum(d[k] * g[k])) for k in g) > 0       # an ascent direction
    ll0 = _exact_ll(W, a, b, data)
    ll1 = _exact_ll(W + d["W"], a + d["a"], b + d["b"], data)
    assert ll1 > ll0
    # first order: the gain is the directional derivative g.d
    assert ll1 - ll0 == pytest.approx(sum(float(np.sum(d[k] * g[k])) for k in g), rel=1e-2)


def test_centred_training_raises_the_exact_likelihood():
    rng = np.random.default_rng(5)
    proto = np.array([[1, 1, 1, 0, 0, 0], [0, 0, 0, 1, 1, 1]], float)
    X = proto[rng.integers(0, 2, 300)]
    X = np.abs(X - (rng.random(X.shape) < 0.05))      # two noisy prototypes
    lr = RBMLearner(X, n_hidden=4, method="cd", batch_size=32, learning_rate=0.02,
                    centering=True, seed=0)
    m = lr.model
    ll0 = float(-m.free_energy(X).mean() - m.log_partition())
    for _ in range(600):
        lr.step()
    ll1 = float(-m.free_energy(X).mean() - m.log_partition())
    assert ll1 > ll0 + 1.0 and ll1 > independent_ll(X) + 1.0


# ------------------------------------------------------------------------------ data split
def test_no_validation_split_of_a_small_finite_set():
    from boltzmann_lab.data.prepare import load_dataset
    bs = load_dataset(config.resolve({"data": {"generator": "bars_and_stripes"},
                                      "model": {"kind": "rbm"}}))
    assert len(bs.train) == 30 and len(bs.val) == 0 and "finite set" in bs.meta["validation"]
    many = load_dataset(config.resolve({"data": {"generator": "bars_and_stripes", "samples": 600},
                                        "model": {"kind": "rbm"}}))
    assert len(many.val) == 60                         # patterns repeat: a real sample


# ------------------------------------------------------------------------------ CLI
def test_cli_prints_advice_once_and_metrics_carry_the_baseline(tmp_path, capsys):
    from boltzmann_lab.app.cli import main
    cfg = tmp_path / "run.toml"
    cfg.write_text('[data]\ngenerator = "bars_and_stripes"\n[model]\nkind = "rbm"\nhidden = 8\n'
                   '[training]\nlearning_rate = 30.0\nsteps = 12\neval_every = 1\n')
    code = main(["train", str(cfg), "--out", str(tmp_path / "out")])
    _, err = capsys.readouterr()
    assert code == 0
    assert err.count("advice:") == 1
    assert "independent-unit baseline" in err or "fell by" in err
    assert "learning_rate = 3" in err
    rows = [json.loads(line) for line in (tmp_path / "out" / "metrics.jsonl").read_text()
            .splitlines()]
    with_ll = [r for r in rows if "train_ll" in r]
    assert with_ll and all(r["baseline_ll"] == pytest.approx(-30 * 0 - 11.090354888959125 + 0,
                                                             abs=0.05) for r in with_ll)
