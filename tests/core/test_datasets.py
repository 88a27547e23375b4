"""bl.datasets: arrays from the built-in generators (the same ones the [data] config uses)."""

import numpy as np
import pytest

import boltzmann_lab as bl
from boltzmann_lab.data import generators


def test_digits_raw_and_binarised():
    raw = generators.digits()
    x, params = bl.datasets.digits(return_params=True)
    np.testing.assert_array_equal(x, raw.x)
    assert x.shape == (1797, 64) and x.min() == 0.0 and x.max() == 1.0
    np.testing.assert_array_equal(params["labels"], raw.labels)
    assert params["image_shape"] == (8, 8)
    b = bl.datasets.digits(binarize=True)
    np.testing.assert_array_equal(b, (raw.x > 0.5).astype(float))
    s = bl.datasets.digits(binarize="stochastic", seed=1, convention="spin")
    assert set(np.unique(s)) == {-1.0, 1.0}
    # stochastic binarisation is Bernoulli(pixel): the on-fraction matches the mean pixel within
    # 5 standard errors, se = sqrt(sum p(1-p)) / N
    p = raw.x.ravel()
    se = np.sqrt(np.sum(p * (1 - p))) / p.size
    assert abs(np.mean(s > 0) - p.mean()) < 5 * se
    with pytest.raises(ValueError, match="binarize"):
        bl.datasets.digits(binarize="yes")


def test_generators_with_their_true_parameters():
    x, params = bl.datasets.sk(n_units=6, n=500, seed=3, return_params=True)
    raw = generators.sk(n=6, samples=500, seed=3)
    np.testing.assert_array_equal(x, raw.x)
    np.testing.assert_array_equal(params["J"], raw.meta["J"])
    np.testing.assert_array_equal(params["h"], raw.meta["h"])
    x, params = bl.datasets.mixture(n=50, n_units=4, n_components=2, seed=1, return_params=True)
    assert x.shape == (50, 4) and params["means"].shape == (2, 4)
    assert set(np.unique(params["labels"])) <= {0.0, 1.0}
    x, params = bl.datasets.gaussian_mixture(n=30, n_units=2, seed=1, return_params=True)
    assert x.shape == (30, 2) and params["covs"].shape == (3, 2, 2)
    x, params = bl.datasets.coin_tosses(n=7, tosses=12, seed=2, return_params=True)
    assert x.shape == (7, 12)
    np.testing.assert_array_equal(params["heads"], x.sum(1))
    np.testing.assert_array_equal(params["biases"], [0.8, 0.4])


def test_lattices_patterns_and_bars():
    x = bl.datasets.ising(L=4, T=3.0, n=20, seed=1)
    assert x.shape == (20, 16) and set(np.unique(x)) <= {-1.0, 1.0}
    np.testing.assert_array_equal(x, generators.ising(L=4, temperature=3.0, samples=20, seed=1).x)
    x, params = bl.datasets.ising(L=4, temperatures=[1.0, 4.0], n=5, return_params=True)
    assert x.shape == (10, 16) and list(params["labels"]) == [1.0] * 5 + [4.0] * 5
    assert params["phases"] == ["ordered", "disordered"]
    bars, params = bl.datasets.bars_and_stripes(size=3, return_params=True)
    assert bars.shape == (14, 9) and params["ideal_ll"] == pytest.approx(-np.log(14))
    assert bl.datasets.bars_and_stripes(size=3, n=40, seed=1, convention="spin").min() == -1.0
    letters = bl.datasets.patterns(n=3, n_units=49, style="letters")
    assert letters.shape == (3, 49)
    np.testing.assert_array_equal(bl.datasets.patterns(n=5, n_units=20, seed=4),
                                  generators.patterns(n=20, count=5, seed=4).x)
