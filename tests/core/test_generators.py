"""Generators: shapes, conventions, seeds, recorded true parameters, and statistics within 5 SE."""

import sys

import numpy as np
import pytest

from boltzmann_lab.data import generators as g
from boltzmann_lab.data.cache import cache_dir
from boltzmann_lab.data.loaders import LoadError


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("BOLTZMANN_LAB_CACHE", str(tmp_path / "cache"))


def _within(est, true, se, k=5.0):
    est, true, se = map(np.asarray, (est, true, se))
    assert np.all(np.abs(est - true) <= k * np.maximum(se, 1e-12)), (est, true, se)


# ------------------------------------------------------------------------------ bars and stripes
def _is_bar_or_stripe(img):
    rows_const = np.all(img == img[:, :1], axis=1).all()
    cols_const = np.all(img == img[:1, :], axis=0).all()
    return rows_const or cols_const


@pytest.mark.parametrize("size,count", [(2, 6), (3, 14), (4, 30), (5, 62)])
def test_bars_and_stripes_distinct_patterns(size, count):
    r = g.bars_and_stripes(size)
    assert r.x.shape == (count, size * size) and r.image_shape == (size, size)
    assert len(np.unique(r.x, axis=0)) == count
    assert all(_is_bar_or_stripe(v.reshape(size, size)) for v in r.x)
    assert r.convention == "binary" and set(np.unique(r.x)) <= {0.0, 1.0}
    assert r.meta["ideal_ll"] == pytest.approx(-np.log(count))


def test_bars_and_stripes_samples_uniform_and_seeded():
    a = g.bars_and_stripes(4, samples=3000, seed=5)
    assert np.array_equal(a.x, g.bars_and_stripes(4, samples=3000, seed=5).x)
    assert not np.array_equal(a.x, g.bars_and_stripes(4, samples=3000, seed=6).x)
    assert all(_is_bar_or_stripe(v.reshape(4, 4)) for v in a.x[:200])
    counts = np.bincount(a.labels.astype(int), minlength=30)
    p = 1 / 30
    _within(counts / 3000, p, np.sqrt(p * (1 - p) / 3000))


# ------------------------------------------------------------------------------ patterns
def test_random_patterns_bias_and_seed():
    r = g.patterns(n=400, count=50, style="random", bias=0.3, seed=2)
    assert r.x.shape == (50, 400) and r.convention == "spin" and r.image_shape == (20, 20)
    assert set(np.unique(r.x)) == {-1.0, 1.0}
    frac = (r.x == 1).mean()
    _within(frac, 0.3, np.sqrt(0.3 * 0.7 / r.x.size))
    assert np.array_equal(r.x, g.patterns(n=400, count=50, bias=0.3, seed=2).x)


def test_letter_patterns():
    r = g.patterns(n=100, count=26, style="letters")
    assert r.x.shape == (26, 100) and r.image_shape == (10, 10)
    assert len(np.unique(r.x, axis=0)) == 26 and set(np.unique(r.x)) == {-1.0, 1.0}
    assert r.meta["letters"][:3] == ["A", "B", "C"]
    img = r.x[8].reshape(10, 10)           # "I": a vertical bar in the middle columns
    assert (img[2:8, 4:6] == 1).all() and (img[0] == -1).all()
    with pytest.raises(LoadError, match="square"):
        g.patterns(n=50, count=3, style="letters")
    with pytest.raises(LoadError, match="26 letters"):
        g.patterns(n=100, count=27, style="letters")


# ------------------------------------------------------------------------------ mixtures
def test_bernoulli_mixture_matches_its_parameters():
    r = g.mixture(n=9, components=3, samples=6000, seed=3)
    w, means = r.meta["weights"], r.meta["means"]
    assert r.x.shape == (6000, 9) and r.image_shape == (3, 3) and r.convention == "binary"
    assert w.shape == (3,) and np.isclose(w.sum(), 1) and means.shape == (3, 9)
    z = r.labels.astype(int)
    _within(np.bincount(z, minlength=3) / 6000, w, np.sqrt(w * (1 - w) / 6000))
    for k in range(3):
        xk = r.x[z == k]
        _within(xk.mean(axis=0), means[k], np.sqrt(means[k] * (1 - means[k]) / len(xk)))


def test_gaussian_mixture_matches_its_parameters():
    r = g.gaussian_mixture(n=2, components=3, samples=6000, seed=4)
    assert r.convention == "real" and r.x.shape == (6000, 2)
    covs = r.meta["covs"]
    assert np.allclose(covs, np.transpose(covs, (0, 2, 1)))
    assert np.all(np.linalg.eigvalsh(covs) > 0)
    z = r.labels.astype(int)
    for k in range(3):
        xk = r.x[z == k]
        _within(xk.mean(axis=0), r.meta["means"][k], np.sqrt(np.diag(covs[k]) / len(xk)))


def test_gaussian_graph_has_the_lattice_precision_and_its_covariance():
    r = g.gaussian_graph(L=3, coupling=0.2, samples=20000, seed=1)
    theta = r.meta["precision"]
    assert r.convention == "real" and r.x.shape == (20000, 9) and r.image_shape == (3, 3)
    # a 3 x 3 open lattice has 2 * 3 * 2 = 12 bonds; units 0 and 1 are neighbours, 0 and 4 not
    assert r.meta["edges"] == 12 and theta[0, 1] == -0.2 and theta[0, 4] == 0.0
    assert np.all(np.linalg.eigvalsh(theta) > 0)
    sigma = np.linalg.inv(theta)
    S = r.x.T @ r.x / len(r.x)                   # zero mean: second moments estimate sigma
    # var of x_i x_j for a zero-mean Gaussian: sigma_ii sigma_jj + sigma_ij^2
    se = np.sqrt((np.outer(np.diag(sigma), np.diag(sigma)) + sigma ** 2) / len(r.x))
    _within(S, sigma, se)
    _within(r.x.mean(axis=0), 0.0, np.sqrt(np.diag(sigma) / len(r.x)))
    with pytest.raises(Exception, match="positive definite"):
        g.gaussian_graph(L=3, coupling=0.25)


def test_coin_tosses():
    r = g.coin_tosses()
    assert r.x.shape == (5, 10) and r.convention == "binary"
    assert list(r.meta["biases"]) == [0.8, 0.4] and np.allclose(r.meta["weights"], 0.5)
    assert np.array_equal(r.meta["heads"], r.x.sum(axis=1))
    big = g.coin_tosses(biases=[0.9, 0.2], weights=[0.25, 0.75], experiments=4000, tosses=5,
                        seed=1)
    z = big.labels.astype(int)
    _within((z == 0).mean(), 0.25, np.sqrt(0.25 * 0.75 / 4000))
    for k, b in enumerate([0.9, 0.2]):
        xk = big.x[z == k]
        _within(xk.mean(), b, np.sqrt(b * (1 - b) / xk.size))
    with pytest.raises(LoadError, match="biases"):
        g.coin_tosses(biases=[1.5])
    with pytest.raises(LoadError, match="weights"):
        g.coin_tosses(biases=[0.5, 0.5], weights=[0.2, 0.2])


# ------------------------------------------------------------------------------ SK (exact)
def test_sk_samples_match_exact_moments_and_are_cached(monkeypatch):
    from boltzmann_lab.exact.enumeration import enumerate_stats

    r = g.sk(n=6, beta=1.0, field=0.3, samples=20000, seed=7)
    h, J = r.meta["h"], r.meta["J"]
    assert r.convention == "spin" and r.x.shape == (20000, 6)
    assert np.allclose(J, J.T) and np.all(np.diag(J) == 0) and h.shape == (6,)
    ex = enumerate_stats(h, J, "spin")
    m = len(r.x)
    _within(r.x.mean(axis=0), ex.mean, np.sqrt((1 - ex.mean ** 2) / m))
    second = r.x.T @ r.x / m
    iu = np.triu_indices(6, 1)
    _within(second[iu], ex.second[iu], np.sqrt((1 - ex.second[iu] ** 2) / m))
    # the cache answers the second call: sampling is not run again
    assert any(cache_dir().glob("sk-*.npz"))

    def boom(*a, **k):
        raise AssertionError("sample_exact must not run on a cache hit")

    monkeypatch.setattr("boltzmann_lab.exact.enumeration.sample_exact", boom)
    again = g.sk(n=6, beta=1.0, field=0.3, samples=20000, seed=7)
    assert np.array_equal(again.x, r.x)


def test_sk_couplings_variance():
    n = 200
    _, J = g.sk_couplings(n, beta=2.0, field=0.0, seed=0)
    vals = J[np.triu_indices(n, 1)]
    var = 4.0 / n
    # SE of a sample variance of N(0, var) values: var * sqrt(2 / (N - 1))
    _within(vals.var(), var, var * np.sqrt(2 / (len(vals) - 1)))


# ------------------------------------------------------------------------------ Ising
def test_ising_plumbing_with_fake_sampler(monkeypatch):
    calls = []

    def fake(L, T, n_samples, seed, algorithm="auto"):
        calls.append((L, T, n_samples, seed, algorithm))
        return np.where(np.random.default_rng(seed).random((n_samples, L * L)) < 0.5, 1.0, -1.0)

    monkeypatch.setattr("boltzmann_lab.sampling.ising.sample_configurations", fake)
    r = g.ising(L=4, temperatures=[1.0, 2.27, 3.0], samples=5, seed=1)
    assert r.x.shape == (15, 16) and r.image_shape == (4, 4) and r.convention == "spin"
    assert list(r.labels) == [1.0] * 5 + [2.27] * 5 + [3.0] * 5
    assert r.meta["phases"] == ["ordered", "critical", "disordered"]
    assert len({c[3] for c in calls}) == 3          # an independent seed per temperature
    again = g.ising(L=4, temperatures=[1.0, 2.27, 3.0], samples=5, seed=1)
    assert len(calls) == 3 and np.array_equal(again.x, r.x)     # cached
    one = g.ising(L=4, temperature=1.5, samples=2, seed=1)
    assert one.meta["temperature"] == 1.5 and one.meta["phase"] == "ordered"
    assert g.REVIEW_TEMPERATURES[0] == 0.25 and g.REVIEW_TEMPERATURES[-1] == 4.0
    assert len(g.REVIEW_TEMPERATURES) == 16


def test_ising_real_sampler_small():
    r = g.ising(L=6, temperatures=[1.2, 5.0], samples=40, seed=2)
    assert set(np.unique(r.x)) == {-1.0, 1.0}
    m = np.abs(r.x.mean(axis=1))
    # deep in the ordered phase |m| is near 1; far above T_c it is O(1/L)
    assert m[:40].mean() > 0.9 and m[40:].mean() < 0.5
    # the energies are those of the exact 6 x 6 torus (Kaufman); the SE of the mean of 40
    # independent draws follows from the exact specific heat: var(e) = C T^2 / N
    from boltzmann_lab.exact import onsager
    s = r.x.reshape(-1, 6, 6)
    e = -(s * np.roll(s, 1, 1) + s * np.roll(s, 1, 2)).sum((1, 2)) / 36
    for T, part in ((1.2, e[:40]), (5.0, e[40:])):
        se = np.sqrt(onsager.finite_specific_heat(6, T) * T * T / 36 / len(part))
        _within(part.mean(), onsager.finite_energy_per_spin(6, T), se)


# ------------------------------------------------------------------------------ digits
def test_digits_are_bundled_and_need_no_scikit_learn(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn", None)   # importing scikit-learn would fail
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    r = g.digits()
    assert r.x.shape == (1797, 64) and r.image_shape == (8, 8)
    assert r.x.min() == 0.0 and r.x.max() == 1.0 and set(np.unique(r.labels)) == set(range(10))
    # every digit class is present in realistic numbers (the UCI set has 174-183 per class)
    counts = np.bincount(r.labels.astype(int))
    assert counts.min() >= 170 and counts.max() <= 190


def test_generate_dispatch_uses_config_keys():
    from boltzmann_lab.config import resolve

    cfg = resolve({"data": {"generator": "bars_and_stripes", "size": 3, "samples": 7, "seed": 2},
                   "model": {"kind": "rbm"}})
    r = g.generate(cfg["data"])
    assert r.x.shape == (7, 9)
    for name in g.GENERATORS:
        assert name in __import__("boltzmann_lab.config").config.GENERATOR_KEYS
