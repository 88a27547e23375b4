"""DBM: exact log Z and log p(v) against brute force, the variational bound, sampling, training."""

import itertools

import numpy as np
import pytest

from boltzmann_lab.config import resolve
from boltzmann_lab.data.dataset import Dataset
from boltzmann_lab.models.dbm import DBM
from boltzmann_lab.learning.dbm import DBMLearner, make_learner
from boltzmann_lab.exact.enumeration import states
from boltzmann_lab.learning.trainer import Trainer


def tiny_dbm(sizes, seed=0, scale=1.0):
    rng = np.random.default_rng(seed)
    return DBM([scale * rng.standard_normal((sizes[l], sizes[l + 1]))
                for l in range(len(sizes) - 1)],
               [0.5 * rng.standard_normal(n) for n in sizes])


def brute_force(d):
    """log Z and log p*(v) for every v by summing exp(-E) over every joint state."""
    layers = [np.array(list(itertools.product((0.0, 1.0), repeat=n))) for n in d.sizes]
    V = layers[0]
    logp = np.full(len(V), -np.inf)
    for hs in itertools.product(*[range(len(x)) for x in layers[1:]]):
        x = [V] + [layers[l + 1][i][None, :] for l, i in enumerate(hs)]
        neg_e = sum(x[l] @ d.b[l] for l in range(len(x)))
        neg_e = neg_e + sum((x[l] @ d.W[l] * x[l + 1]).sum(1) for l in range(len(d.W)))
        logp = np.logaddexp(logp, neg_e)
    return np.logaddexp.reduce(logp), V, logp


@pytest.mark.parametrize("sizes", [[4, 3, 3], [3, 3, 2, 3]])
def test_exact_log_z_and_log_p_equal_brute_force(sizes):
    d = tiny_dbm(sizes)
    log_z, V, logp_star = brute_force(d)
    lz, how = d.log_partition_with_method()
    assert how == "exact" and lz == pytest.approx(log_z, abs=1e-10)
    np.testing.assert_allclose(d.unnormalized_log_prob(V), logp_star, atol=1e-10)
    assert np.exp(d.log_prob(V)).sum() == pytest.approx(1.0, abs=1e-12)


@pytest.mark.parametrize("sizes", [[5, 4, 3], [4, 3, 3, 2]])
def test_bound_is_below_exact_log_likelihood(sizes):
    d = tiny_dbm(sizes, seed=1, scale=1.5)
    V = states(sizes[0], (0, 1), 0, 1 << sizes[0])
    lz = d.log_partition()
    exact = d.unnormalized_log_prob(V) - lz
    for it in (1, 5, 30):
        terms, _ = d.bound_terms(V, it)
        assert np.all(terms - lz <= exact + 1e-9)
    # the bound is reasonably tight for weak couplings (mean field nearly exact)
    weak = tiny_dbm(sizes, seed=2, scale=0.1)
    lzw = weak.log_partition()
    gap = weak.unnormalized_log_prob(V) - lzw - (weak.bound_terms(V, 30)[0] - lzw)
    assert np.all(gap >= -1e-9) and gap.max() < 0.05


def test_gibbs_sampling_matches_exact_marginal():
    d = tiny_dbm([4, 3, 3], seed=3)
    V = states(4, (0, 1), 0, 16)
    p = np.exp(d.log_prob(V))
    n = 4000
    x = d.sample(n, seed=1, sweeps=40)
    freq = np.bincount((x @ (2 ** np.arange(4))).astype(int), minlength=16) / n
    # binomial SE floored at one expected count (Poisson scale for p < 1/n)
    assert np.all(np.abs(freq - p) < 5 * np.sqrt(np.maximum(p, 1 / n) * (1 - p) / n))


def test_as_rbm_is_the_same_distribution():
    d = tiny_dbm([3, 4, 2, 3], seed=4)
    r = d.as_rbm()
    assert (r.n_visible, r.n_hidden) == (3 + 2, 4 + 3)
    assert r.log_partition() == pytest.approx(d.log_partition(), abs=1e-10)


def test_ais_log_z_for_a_dbm_that_is_not_enumerable():
    """Force the AIS path and compare with the exact value."""
    d = tiny_dbm([10, 8, 8], seed=5, scale=0.5)
    exact = d.log_partition()
    lz_ais, how = d.log_partition_with_method("ais", ais_betas=3000, ais_runs=50, seed=0)
    assert how == "ais"
    # the same AIS run on the equivalent RBM gives the estimate's standard error: within 5 SE
    from boltzmann_lab.sampling.ais import ais
    rbm = d.as_rbm()
    res = ais(rbm, n_betas=3000, n_runs=50, seed=0, base_bias=np.zeros(rbm.n_visible),
              reverse=False)
    assert res.log_z == lz_ais
    assert abs(lz_ais - exact) < 5 * res.log_z_se


def bars_and_stripes_3x3():
    pats = set()
    for bits in itertools.product((0, 1), repeat=3):
        img = np.repeat(np.array(bits)[:, None], 3, axis=1)
        pats.add(tuple(img.ravel()))
        pats.add(tuple(img.T.ravel()))
    return np.array(sorted(pats), float)


def test_training_improves_the_bound_and_exact_likelihood():
    X = bars_and_stripes_3x3()                    # 14 patterns, 9 pixels
    cfg = resolve({"data": {"generator": "bars_and_stripes", "validation_fraction": 0.0},
                   "model": {"kind": "dbm", "hidden": [8, 6]},
                   "training": {"pretrain_epochs": 200, "chains": 200, "batch_size": 14,
                                "learning_rate": 0.02, "optimizer": "adam",
                                "schedule": "inverse", "decay": 0.005, "steps": 2000,
                                "eval_every": 2000, "seed": 0}})
    lr = make_learner(cfg, Dataset(X, X[:0], "binary", (3, 3)))
    first = lr.evaluate()
    snap = Trainer(lr, max_steps=2000, eval_every=2000).run()
    last = snap.metrics
    # a 9-pixel DBM is enumerable: train_ll is exact and the bound lies below it
    assert last["train_bound"] <= last["train_ll"] + 1e-9
    assert last["train_bound"] > first["train_bound"] + 0.5
    assert last["train_ll"] > first["train_ll"]
    assert last["train_ll"] > -np.log(14) - 1.5     # optimum -ln 14 = -2.64


@pytest.mark.parametrize("variant", [dict(pretrain_epochs=1),
                                     dict(pretrain_epochs=0, method="pt", centering=True,
                                          temperatures=4)])
def test_state_dict_resumes_bit_for_bit_and_protocol(variant):
    """Plain chains after pretraining, and tempered centred chains (swap counts, offsets)."""
    X = bars_and_stripes_3x3()
    kw = dict(hidden=(5, 4), chains=10, batch_size=5, seed=2, **variant)
    a = DBMLearner(X, **kw)
    for _ in range(4):
        a.step()
    state = a.state_dict()
    for _ in range(5):
        a.step()
    b = DBMLearner(X, **kw)
    b.load_state_dict(state)
    for _ in range(5):
        b.step()
    for k in a.params:
        np.testing.assert_array_equal(a.params[k], b.params[k])
    for ca, cb in zip(a.chains, b.chains):
        np.testing.assert_array_equal(ca, cb)
    assert len(a.fantasy_particles()) == 10 and a.n_persistent_chains() == 10
    meta, arrays = a.model.to_arrays()
    assert set(arrays) == {"W0", "W1", "b0", "b1", "b2"}
    m2 = DBM.from_arrays(meta, arrays)
    res = m2.evaluate(X)
    # the best estimate is the exact value when it is affordable; the bound lies below it
    assert res["ll_method"] == "exact" and res["ll_bound"] <= res["ll"] + 1e-9
    assert set(a.views()) >= {"data", "reconstruction", "fantasy", "filters", "state"}
    with pytest.raises(ValueError, match="2 or 3"):
        DBMLearner(X, hidden=(4,), pretrain_epochs=0)
