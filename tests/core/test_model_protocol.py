"""One model protocol across kinds (boltzmann_lab.models.protocol), checked for every kind in one
parametrised test against exact answers: normalisation by brute-force summation over all states
(discrete kinds) or closed-form densities (real kinds)."""

import numpy as np
import pytest

from boltzmann_lab.data.conventions import CONVENTIONS
from boltzmann_lab.exact.enumeration import states
from boltzmann_lab.io import modelio
from boltzmann_lab.kinds import KINDS
from boltzmann_lab.models.dbm import DBM
from boltzmann_lab.models.gaussian import GaussianModel
from boltzmann_lab.models.hopfield import HopfieldModel
from boltzmann_lab.models.ising import IsingModel
from boltzmann_lab.models.mixture import MixtureModel
from boltzmann_lab.models.pairwise import PairwiseModel
from boltzmann_lab.models.protocol import SCORE_METHODS
from boltzmann_lab.models.rbm import RBM
from boltzmann_lab.stats.numerics import logsumexp
from tests.core.pairwise_models import random_pairwise


def _maxent():
    h, J, V = random_pairwise(6, seed=1, with_v=True)
    return PairwiseModel(h, J, "binary", V)


def _rbm():
    rng = np.random.default_rng(2)
    return RBM(rng.normal(0, 0.5, (6, 4)), rng.normal(0, 0.3, 6), rng.normal(0, 0.3, 4),
               visible="spin")


def _dbm():
    rng = np.random.default_rng(3)
    sizes = [5, 4, 3]
    return DBM([rng.normal(0, 0.7, (sizes[i], sizes[i + 1])) for i in range(2)],
               [rng.normal(0, 0.3, n) for n in sizes])


def _hopfield():
    xi = np.where(np.random.default_rng(4).random((2, 7)) < 0.5, -1.0, 1.0)
    m = HopfieldModel.from_patterns(xi, "storkey")
    return HopfieldModel(m.patterns, 0.5 * m.J, h=np.full(7, 0.1), rule="custom")


def _mixture():
    rng = np.random.default_rng(5)
    return MixtureModel("bernoulli", [0.3, 0.7], rng.uniform(0.1, 0.9, (2, 5)))


def _gaussian():
    A = np.random.default_rng(6).normal(size=(3, 3))
    return GaussianModel([0.5, -1.0, 2.0], cov=A @ A.T + 0.5 * np.eye(3))


def _ising():
    return IsingModel(L=4, T=2.5, J=1.0, H=0.0)


def _potts():
    from boltzmann_lab.data.categorical_generators import random_potts
    from boltzmann_lab.models.potts import PottsModel
    return PottsModel(*random_potts(4, 3, coupling=1.2, seed=7), alphabet="-AB")


#: one small model per kind; a new kind must add its own here
FACTORIES = {"maxent": _maxent, "gaussian": _gaussian, "rbm": _rbm, "dbm": _dbm,
             "hopfield": _hopfield, "mixture": _mixture, "ising": _ising, "potts": _potts}


def test_every_kind_is_covered():
    assert set(FACTORIES) == set(KINDS)


def _all_states(model):
    n = model.n_visible if hasattr(model, "n_visible") else model.n
    if model.convention == "categorical":
        from boltzmann_lab.exact.potts import configurations
        return configurations(n, model.q)
    values = (-1.0, 1.0) if model.convention == "spin" else (0.0, 1.0)
    return states(n, values)


@pytest.mark.parametrize("kind", sorted(FACTORIES))
def test_model_protocol(kind, tmp_path):
    model = FACTORIES[kind]()
    assert model.kind == kind and model.convention in CONVENTIONS + ("real", "categorical")

    # log_partition: a float, the value log_partition_with_method reports with its method
    lz, how = model.log_partition_with_method()
    assert isinstance(model.log_partition(), float) and model.log_partition() == lz
    assert how == "exact" and model.score_method in SCORE_METHODS

    # log_prob is normalised: brute force over all states, or the closed-form density
    if model.convention == "real":
        from scipy.stats import multivariate_normal
        x = model.sample(50, seed=1)
        want = multivariate_normal(model.mean, model.cov).logpdf(x)
        np.testing.assert_allclose(model.log_prob(x), want, rtol=1e-10, atol=1e-10)
    else:
        S = _all_states(model)
        assert logsumexp(model.log_prob(S)) == pytest.approx(0.0, abs=1e-9)

    # sample(n, seed=0): shape, convention, reproducible, seed-dependent
    x = model.sample(300, seed=7)
    n = x.shape[1]
    assert x.shape == (300, n)
    if model.convention == "categorical":
        assert np.array_equal(x, np.round(x)) and x.min() >= 0 and x.max() < model.q
    elif model.convention != "real":
        lo = -1.0 if model.convention == "spin" else 0.0
        assert np.all((x == lo) | (x == 1.0))
    np.testing.assert_array_equal(x, model.sample(300, seed=7))
    assert not np.array_equal(x, model.sample(300, seed=8))
    assert model.sample(5).shape == (5, n)                       # seed defaults to 0

    # score = mean(score_samples) = evaluate's ll, with the same method name
    s = model.score_samples(x)
    assert s.shape == (300,)
    if model.score_method == "exact":
        np.testing.assert_allclose(s, model.log_prob(x), rtol=1e-12, atol=1e-12)
    assert model.score(x) == pytest.approx(float(np.mean(s)), rel=1e-12)
    ev = model.evaluate(x)
    assert ev["ll"] == pytest.approx(model.score(x), rel=1e-9)
    assert ev["ll_method"] == model.score_method

    # the model file keeps the distribution
    back = modelio.load_model(modelio.save_model(tmp_path / f"{kind}.npz", model))
    assert back.score(x) == pytest.approx(model.score(x), rel=1e-6)


def test_score_methods_switch_where_log_z_is_intractable():
    rng = np.random.default_rng(0)
    h, J, _ = random_pairwise(30, seed=2)
    big = PairwiseModel(h, J, "spin")
    x = big.sample(200, seed=1)
    assert big.score_method == "pseudo"
    assert big.score(x) == pytest.approx(big.pll(x), rel=1e-12)
    assert big.evaluate(x)["ll_method"] == "pseudo"
    xi = np.where(rng.random((3, 30)) < 0.5, -1.0, 1.0)
    hop = HopfieldModel.from_patterns(xi)
    assert hop.score_method == "pseudo" and hop.score(xi) == pytest.approx(hop.pll(xi))
    assert RBM.random(30, 30).score_method == "ais"
    assert DBM.random([30, 30, 30]).score_method == "bound"
    assert IsingModel(L=8, T=2.0, H=0.1).score_method == "none"
    with pytest.raises(ValueError, match="field"):
        IsingModel(L=8, T=2.0, H=0.1).log_partition()


def test_rbm_score_with_ais_agrees_with_the_closed_form():
    """26 x 26 units cannot be enumerated, so score uses forward AIS.  With W = 0 the units are
    independent: log Z = sum_i log(1 + e^a_i) + sum_j log(1 + e^b_j) exactly.  AIS's own standard
    error (the same seeded run) sets the tolerance: |estimate - exact| < 5 se."""
    from boltzmann_lab.sampling.ais import ais

    rng = np.random.default_rng(1)
    a, b = rng.normal(0, 1, 26), rng.normal(0, 1, 26)
    m = RBM(np.zeros((26, 26)), a, b)
    exact = float(np.logaddexp(0, a).sum() + np.logaddexp(0, b).sum())
    x = m.sample(100, seed=2)
    lz, how = m.log_partition_with_method(seed=3, data=x)
    assert how == "ais" and m.score_method == "ais"
    res = ais(m, n_betas=10000, n_runs=100, seed=3, data=x, reverse=False)
    assert lz == res.log_z
    assert abs(lz - exact) < 5 * res.log_z_se + 1e-9
    np.testing.assert_allclose(m.score_samples(x, seed=3), -m.free_energy(x) - lz, rtol=1e-12)
