"""PairwiseModel (kind maxent): energy, protocol round trip, conversion, sampling, evaluation."""

import itertools

import numpy as np
import pytest

from boltzmann_lab.exact import enumeration as en
from boltzmann_lab.models.pairwise import PairwiseModel, energy
from boltzmann_lab.models.pseudolikelihood import pseudo_log_likelihood

from .pairwise_models import random_pairwise




def test_energy_definition():
    h = np.array([0.5, -1.0, 2.0])
    J = np.array([[0, 1.5, -0.5], [1.5, 0, 0.25], [-0.5, 0.25, 0]])
    V = np.array([0.0, 0.1, 0.2, 0.7])
    x = np.array([[1.0, 0, 1], [-1, 1, 1]])
    # row 0 (binary, K=2): -(0.5 + 2) - (-0.5) + V[2]; row 1 (spin, K=2): -(-0.5 - 1 + 2)
    # - (1.5*-1 + -0.5*-1 + 0.25*1) + V[2]
    expected = [-2.5 + 0.5 + 0.2, -0.5 - (-1.5 + 0.5 + 0.25) + 0.2]
    np.testing.assert_allclose(energy(x, h, J, V), expected)
    np.testing.assert_allclose(energy(x[0], h, J), [-2.0])


@pytest.mark.parametrize("with_v", [False, True])
def test_to_convention_keeps_the_distribution(with_v):
    h, J, V = random_pairwise(6, seed=1, with_v=with_v)
    m = PairwiseModel(h, J, "binary", V)
    s = m.to_convention("spin")
    assert s.convention == "spin" and (s.V is None) == (not with_v)
    X = np.array(list(itertools.product([0.0, 1.0], repeat=6)))
    np.testing.assert_allclose(m.log_prob(X), s.log_prob(2 * X - 1), atol=1e-12)
    # energies differ by a constant only
    diff = m.energy(X) - s.energy(2 * X - 1)
    np.testing.assert_allclose(diff, diff[0], atol=1e-12)
    back = s.to_convention("binary")
    np.testing.assert_allclose(back.h, h, atol=1e-12)
    np.testing.assert_allclose(back.J, J, atol=1e-12)


def test_arrays_round_trip():
    h, J, V = random_pairwise(5, seed=2, with_v=True)
    m = PairwiseModel(h, J, "spin", V)
    meta, arrays = m.to_arrays()
    assert set(arrays) == {"h", "J", "population"}
    m2 = PairwiseModel.from_arrays(dict(meta, convention="spin"), arrays)
    assert m2.kind == "maxent" and m2.convention == "spin"
    for a, b in ((m.h, m2.h), (m.J, m2.J), (m.V, m2.V)):
        assert np.array_equal(a, b)
    meta, arrays = PairwiseModel(h, J, "binary").to_arrays()
    assert set(arrays) == {"h", "J"}
    with pytest.raises(ValueError, match="convention"):
        PairwiseModel.from_arrays({}, arrays)


def test_evaluate_exact_and_pseudo():
    h, J, V = random_pairwise(8, seed=3, with_v=True)
    m = PairwiseModel(h, J, "spin", V)
    x = m.sample(300, seed=4)
    out = m.evaluate(x)
    assert out["ll_method"] == "exact"
    assert out["ll"] == pytest.approx(en.log_likelihood(x, h, J, "spin", V), abs=1e-12)
    # pseudo-likelihood against a direct conditional computation
    ref = 0.0
    for row in x:
        for i in range(8):
            up, down = row.copy(), row.copy()
            up[i], down[i] = 1.0, -1.0
            e_up, e_down = energy(up, h, J, V)[0], energy(down, h, J, V)[0]
            e_own = e_up if row[i] > 0 else e_down
            ref += -e_own - np.logaddexp(-e_up, -e_down)
    assert out["pll"] == pytest.approx(ref / len(x), abs=1e-10)
    assert pseudo_log_likelihood(x, h, J, "spin", V) == pytest.approx(ref / len(x), abs=1e-10)

    big = PairwiseModel(*random_pairwise(30, seed=5)[:2], "binary")
    xb = (np.random.default_rng(0).random((5, 30)) < 0.5).astype(float)
    res = big.evaluate(xb)
    assert res["ll_method"] == "pseudo" and res["ll"] == res["pll"]


def test_exact_sample_matches_moments():
    h, J, V = random_pairwise(10, seed=6, with_v=True)
    m = PairwiseModel(h, J, "binary", V)
    M = 4000
    x = m.sample(M, seed=1)
    exact = en.enumerate_stats(h, J, "binary", V)
    se = np.sqrt(exact.mean * (1 - exact.mean) / M)   # independent exact samples
    assert np.all(np.abs(x.mean(axis=0) - exact.mean) < 5 * se)
    assert np.array_equal(x, m.sample(M, seed=1))


def test_mcmc_sample_for_large_n():
    """n = 21 > 20 takes the MCMC path; weak couplings so thinned samples are nearly independent."""
    h, J, _ = random_pairwise(21, seed=7, coupling=0.3)
    m = PairwiseModel(h, J, "spin")
    M = 2000
    x = m.sample(M, seed=2, burn_in=50, thin=5, chains=500)
    assert x.shape == (M, 21) and set(np.unique(x)) <= {-1.0, 1.0}
    exact = en.enumerate_stats(h, J, "spin")
    # rows come in rounds of one sample per chain: the chains are independent, so the spread of
    # the per-chain means gives an SE that holds whatever the autocorrelation within a chain
    per_chain = x.reshape(M // 500, 500, 21).mean(axis=0)
    se = per_chain.std(axis=0, ddof=1) / np.sqrt(500)
    assert np.all(np.abs(per_chain.mean(axis=0) - exact.mean) < 5 * se)
