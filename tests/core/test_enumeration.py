"""Exact enumeration against brute force (itertools), conventions, stability and exact sampling."""

import itertools

import numpy as np
import pytest
from scipy import stats
from scipy.special import logsumexp

from boltzmann_lab.exact import enumeration as en
from boltzmann_lab.data.conventions import pairwise_binary_to_spin, pairwise_spin_to_binary
from boltzmann_lab.kernels import enumerate as kern
from boltzmann_lab.models.pairwise import energy


def random_model(n, rng, scale=1.0, with_v=False):
    J = rng.normal(scale=scale, size=(n, n))
    J = np.triu(J, 1)
    J = J + J.T
    h = rng.normal(scale=scale, size=n)
    V = rng.normal(scale=scale, size=n + 1) if with_v else None
    return h, J, V


def all_states(n, convention):
    x = np.array(list(itertools.product([0.0, 1.0], repeat=n)))
    return 2 * x - 1 if convention == "spin" else x


def brute(h, J, convention, V=None):
    """log Z, mean, second, P(K) and the per-state probabilities by a direct loop over states."""
    n = len(h)
    X = all_states(n, convention)
    neg_e = np.array([h @ x + sum(J[i, j] * x[i] * x[j] for i in range(n) for j in range(i + 1, n))
                      for x in X])
    K = (X > 0).sum(axis=1)
    if V is not None:
        neg_e -= V[K]
    lz = logsumexp(neg_e)
    p = np.exp(neg_e - lz)
    return lz, p @ X, (X * p[:, None]).T @ X, np.bincount(K, weights=p, minlength=n + 1), X, p


@pytest.mark.parametrize("convention", ["binary", "spin"])
@pytest.mark.parametrize("with_v", [False, True])
@pytest.mark.parametrize("n", [1, 2, 5, 8, 10])
def test_matches_brute_force(n, convention, with_v):
    rng = np.random.default_rng(100 * n + with_v)
    h, J, V = random_model(n, rng, with_v=with_v)
    lz, mean, second, p_k, X, p = brute(h, J, convention, V)
    st = en.enumerate_stats(h, J, convention, V)
    assert st.log_z == pytest.approx(lz, abs=1e-12)
    np.testing.assert_allclose(st.mean, mean, atol=1e-12)
    np.testing.assert_allclose(st.second, second, atol=1e-12)
    np.testing.assert_allclose(st.p_k, p_k, atol=1e-12)
    assert en.log_z(h, J, convention, V) == pytest.approx(lz, abs=1e-12)
    np.testing.assert_allclose(en.log_prob(X, h, J, convention, V), np.log(p), atol=1e-10)
    idx = rng.integers(0, len(X), size=7)
    assert en.log_likelihood(X[idx], h, J, convention, V) == pytest.approx(np.log(p[idx]).mean(),
                                                                          abs=1e-10)


@pytest.mark.parametrize("convention", ["binary", "spin"])
def test_many_blocks_and_huge_couplings(monkeypatch, convention):
    """Small blocks force the online log-sum-exp rescaling; J ~ 1e3 would overflow a naive sum."""
    monkeypatch.setattr(kern, "BLOCK_ELEMENTS", 16)
    rng = np.random.default_rng(7)
    for scale in (1.0, 1e3):
        h, J, V = random_model(9, rng, scale=scale, with_v=True)
        lz, mean, second, p_k, _, _ = brute(h, J, convention, V)
        st = en.enumerate_stats(h, J, convention, V)
        assert np.isfinite(st.log_z)
        assert st.log_z == pytest.approx(lz, rel=1e-12, abs=1e-12)
        np.testing.assert_allclose(st.mean, mean, atol=1e-9)
        np.testing.assert_allclose(st.second, second, atol=1e-9)
        np.testing.assert_allclose(st.p_k, p_k, atol=1e-9)


def test_log_z_finite_for_large_couplings_n16():
    rng = np.random.default_rng(3)
    h, J, V = random_model(16, rng, scale=1e3, with_v=True)
    X = all_states(16, "spin")
    neg_e = -energy(X, h, J, V)
    st = en.enumerate_stats(h, J, "spin", V)
    assert np.isfinite(st.log_z) and np.all(np.isfinite(st.second))
    assert st.log_z == pytest.approx(logsumexp(neg_e), rel=1e-13)
    p = np.exp(neg_e - logsumexp(neg_e))
    np.testing.assert_allclose(st.mean, p @ X, atol=1e-9)
    assert abs(st.p_k.sum() - 1.0) < 1e-12


def test_conventions_give_same_distribution():
    rng = np.random.default_rng(11)
    n = 7
    h, J, V = random_model(n, rng, with_v=True)
    hs, Js, c = pairwise_binary_to_spin(h, J)
    X = all_states(n, "binary")
    lp_b = en.log_prob(X, h, J, "binary", V)
    lp_s = en.log_prob(2 * X - 1, hs, Js, "spin", V)
    np.testing.assert_allclose(lp_b, lp_s, atol=1e-12)   # V is the same function of K in both
    assert en.log_z(h, J, "binary", V) == pytest.approx(en.log_z(hs, Js, "spin", V) - c, abs=1e-12)
    hb, Jb, _ = pairwise_spin_to_binary(hs, Js)
    np.testing.assert_allclose(hb, h, atol=1e-12)
    np.testing.assert_allclose(Jb, J, atol=1e-12)
    st_b = en.enumerate_stats(h, J, "binary", V)
    st_s = en.enumerate_stats(hs, Js, "spin", V)
    np.testing.assert_allclose(st_s.mean, 2 * st_b.mean - 1, atol=1e-12)
    np.testing.assert_allclose(st_s.p_k, st_b.p_k, atol=1e-12)


def chi2_pvalue(samples, X, p):
    """Pearson chi-square p-value of sample counts against exact state probabilities."""
    codes = {tuple(x): k for k, x in enumerate(X)}
    counts = np.bincount([codes[tuple(s)] for s in samples], minlength=len(X))
    expected = p * len(samples)
    return stats.chisquare(counts, expected).pvalue


@pytest.mark.parametrize("convention", ["binary", "spin"])
@pytest.mark.parametrize("small_blocks", [False, True])
def test_exact_sampler_frequencies(monkeypatch, convention, small_blocks):
    if small_blocks:
        monkeypatch.setattr(kern, "BLOCK_ELEMENTS", 4)
    rng = np.random.default_rng(5)
    h, J, V = random_model(5, rng, scale=0.5, with_v=True)
    _, _, _, _, X, p = brute(h, J, convention, V)
    s = en.sample_exact(h, J, convention, 20000, seed=42, V=V)
    assert s.shape == (20000, 5) and s.dtype == np.float64
    # seeded, so deterministic; a correct sampler fails this with probability 1e-4
    assert chi2_pvalue(s, X, p) > 1e-4


def test_exact_sampler_seeding_and_zero_probability_states():
    rng = np.random.default_rng(6)
    h, J, _ = random_model(12, rng)
    a = en.sample_exact(h, J, "binary", 50, seed=1)
    assert np.array_equal(a, en.sample_exact(h, J, "binary", 50, seed=1))
    assert not np.array_equal(a, en.sample_exact(h, J, "binary", 50, seed=2))
    # a field of 1e3 makes every state but all-ones underflow to probability 0
    s = en.sample_exact(np.full(6, 1e3), np.zeros((6, 6)), "spin", 100, seed=0)
    assert np.all(s == 1.0)
    assert en.sample_exact(h, J, "binary", 0, seed=0).shape == (0, 12)


def test_bad_input_messages():
    h, J, _ = random_model(4, np.random.default_rng(0))
    with pytest.raises(ValueError, match="at most 24"):
        en.log_z(np.zeros(25), np.zeros((25, 25)), "spin")
    with pytest.raises(ValueError, match="convention"):
        en.log_z(h, J, "ising")
    with pytest.raises(ValueError, match="symmetric"):
        en.log_z(h, J + np.triu(np.ones((4, 4)), 1), "spin")
    with pytest.raises(ValueError, match="diagonal"):
        en.log_z(h, J + np.eye(4), "spin")
    with pytest.raises(ValueError, match="shape"):
        en.log_z(h, J, "spin", V=np.zeros(4))
    with pytest.raises(ValueError, match="may only hold"):
        en.log_prob(np.zeros((2, 4)), h, J, "spin")
