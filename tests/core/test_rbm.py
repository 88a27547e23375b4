"""RBM model: exact free energies / log Z against brute force, unit conditionals, sampling."""

import itertools

import numpy as np
import pytest

from boltzmann_lab.models.rbm import RBM
from boltzmann_lab.models.units import Binary, Gaussian, Spin, make_units


def all_states(n, values):
    return np.array(list(itertools.product(values, repeat=n)), dtype=float)


def tiny(visible, hidden, nv=5, nh=4, seed=0, scale=0.8, **kw):
    rng = np.random.default_rng(seed)
    return RBM(scale * rng.standard_normal((nv, nh)), rng.standard_normal(nv) * 0.5,
               rng.standard_normal(nh) * 0.5, visible=visible, hidden=hidden, **kw)


@pytest.mark.parametrize("visible,hidden", [("binary", "binary"), ("spin", "spin"),
                                            ("binary", "spin"), ("spin", "binary")])
def test_exact_log_z_and_ll_equal_brute_force(visible, hidden):
    for nv, nh in ((5, 4), (3, 7)):   # enumerates hidden in one case, visible in the other
        m = tiny(visible, hidden, nv, nh)
        V = all_states(nv, make_units(visible).values)
        H = all_states(nh, make_units(hidden).values)
        E = np.array([[m.energy(v, h)[0] for h in H] for v in V])       # (2^nv, 2^nh)
        log_z = np.logaddexp.reduce(-E.ravel())
        assert m.log_partition() == pytest.approx(log_z, abs=1e-10)
        # the free energy sums h out exactly
        np.testing.assert_allclose(-m.free_energy(V), np.logaddexp.reduce(-E, axis=1), atol=1e-10)
        np.testing.assert_allclose(-m.hidden_free_energy(H), np.logaddexp.reduce(-E, axis=0),
                                   atol=1e-10)
        lp = m.log_prob(V)
        assert np.exp(lp).sum() == pytest.approx(1.0, abs=1e-12)
        data = V[[0, 3, 3, 5]]
        assert m.log_likelihood(data) == pytest.approx(np.mean(np.logaddexp.reduce(-E, axis=1)[[0, 3, 3, 5]]) - log_z)


@pytest.mark.parametrize("visible", ["binary", "spin"])
def test_gaussian_hidden_marginal_is_pairwise_model(visible):
    """Integrating out Gaussian hidden units gives J = W diag(sigma^2) W^T (boltzmann_lab.models.units)."""
    sigma = np.array([0.5, 1.0, 1.7])
    m = tiny(visible, "gaussian", 6, 3, sigma_h=sigma, scale=0.4)
    W, a, b = m.W, m.a, m.b
    J = W @ np.diag(sigma ** 2) @ W.T
    h = a + W @ (sigma ** 2 * b)
    V = all_states(6, make_units(visible).values)
    # pairwise energy with the diagonal written out: -h.v - 1/2 v^T J v (v_i^2 terms included)
    neg_e = V @ h + 0.5 * np.einsum("mi,ij,mj->m", V, J, V)
    logp_pair = neg_e - np.logaddexp.reduce(neg_e)
    np.testing.assert_allclose(m.log_prob(V), logp_pair, atol=1e-10)


def test_gaussian_hidden_free_energy_is_the_integral():
    """One Gaussian hidden unit: compare exp(-F(v)) with numerical integration over h."""
    from scipy.integrate import quad
    m = tiny("binary", "gaussian", 3, 1, sigma_h=0.7)
    for v in all_states(3, (0, 1)):
        val, _ = quad(lambda h: np.exp(-m.energy(v, [h])[0]), -30, 30, limit=200)
        assert -m.free_energy(v)[0] == pytest.approx(np.log(val), abs=1e-8)


def test_gaussian_visible_log_z_by_enumerating_hidden_and_closed_form():
    from scipy.integrate import dblquad
    # Gaussian visible x binary hidden: check one visible, two hidden against quadrature
    m = tiny("gaussian", "binary", 1, 2, sigma_v=0.8)
    H = all_states(2, (0, 1))
    z = sum(quad_1d(lambda v, h=h: np.exp(-m.energy([v], h)[0])) for h in H)
    assert m.log_partition() == pytest.approx(np.log(z), abs=1e-8)
    # Gaussian x Gaussian: closed form vs 2-D quadrature
    g = RBM([[0.3]], [0.2], [-0.1], visible="gaussian", hidden="gaussian", sigma_v=1.2,
            sigma_h=0.9)
    z, _ = dblquad(lambda h, v: np.exp(-g.energy([v], [h])[0]), -25, 25, -25, 25)
    assert g.log_partition() == pytest.approx(np.log(z), abs=1e-7)


def quad_1d(f):
    from scipy.integrate import quad
    return quad(f, -40, 40, limit=200)[0]


def test_unit_conditionals_match_their_log_partition():
    """mean = d log_partition / d phi, and the samplers draw with that mean."""
    phi = np.linspace(-3, 3, 7)
    eps = 1e-6
    for u in (Binary(), Spin(), Gaussian(1.3)):
        num = (u.log_partition(phi + eps) - u.log_partition(phi - eps)) / (2 * eps)
        np.testing.assert_allclose(u.mean(phi), num, atol=1e-6)
    # sampling: mean over many draws within 5 SE of the conditional mean
    from boltzmann_lab.kernels.rng import seed_states
    n = 20000
    P = np.tile(phi, (n, 1))
    for u, var in ((Binary(), None), (Spin(), None), (Gaussian(0.6), 0.36)):
        mean, x = u.sample(P.copy(), seed_states(n, 3))
        m = u.mean(phi)
        sd = np.sqrt(var) if var else np.sqrt(np.maximum(x.var(0), 1e-12))
        np.testing.assert_allclose(mean[0], m, atol=1e-12)
        assert np.all(np.abs(x.mean(0) - m) < 5 * sd / np.sqrt(n) + 1e-12)
        u.check(x if u.discrete else x, "samples")


def test_gibbs_samples_follow_the_exact_marginal():
    m = tiny("binary", "binary", 4, 3, scale=1.0)
    V = all_states(4, (0, 1))
    p = np.exp(m.log_prob(V))
    x = m.sample(4000, seed=1, sweeps=30)
    idx = (x @ (2 ** np.arange(4)[::-1])).astype(int)   # itertools order: first unit = top bit
    freq = np.bincount(idx, minlength=16) / len(x)
    # binomial SE, floored at one expected count (p < 1/n: Poisson scale) instead of a guess
    se = np.sqrt(np.maximum(p, 1 / len(x)) * (1 - p) / len(x))
    assert np.all(np.abs(freq - p) < 5 * se)


def test_sample_exact_and_reproducibility():
    m = tiny("spin", "binary", 4, 6)
    v1, _ = m.sample_exact(100, seed=5)
    v2, _ = m.sample_exact(100, seed=5)
    np.testing.assert_array_equal(v1, v2)
    np.testing.assert_array_equal(m.sample(10, seed=2, sweeps=5), m.sample(10, seed=2, sweeps=5))


def test_pll_equals_brute_force_conditionals():
    m = tiny("binary", "binary", 5, 3)
    V = all_states(5, (0, 1))
    lp = m.log_prob(V)
    table = dict(zip(map(tuple, V), lp))
    x = V[[1, 7, 12, 30]]
    want = 0.0
    for v in x:
        for i in range(5):
            f = v.copy(); f[i] = 1 - f[i]
            want += table[tuple(v)] - np.logaddexp(table[tuple(v)], table[tuple(f)])
    assert m.pll(x) == pytest.approx(want / len(x), abs=1e-10)


def test_fill_in_samples_the_exact_conditional():
    """Clamped sampling of the unknown visibles matches p(v_unknown | v_known) by enumeration."""
    m = tiny("binary", "binary", 6, 3, scale=1.2)
    known = np.array([1, 1, 1, 0, 0, 0], bool)
    given = np.array([1.0, 0.0, 1.0])
    V = all_states(6, (0, 1))
    rows = np.all(V[:, :3] == given, axis=1)
    p = np.exp(m.log_prob(V[rows]))
    p /= p.sum()
    marg = p @ V[rows][:, 3:]                      # exact P(v_i = 1 | known) for the unknown units
    n = 3000
    start = np.zeros((n, 6)); start[:, :3] = given
    x = m.fill_in(start, known, sweeps=20, seed=4, mean=False)
    np.testing.assert_array_equal(x[:, :3], np.broadcast_to(given, (n, 3)))
    se = np.sqrt(marg * (1 - marg) / n)
    assert np.all(np.abs(x[:, 3:].mean(0) - marg) < 5 * se)
    # denoising keeps the model's typical patterns: starting from model samples it does not drift
    v0 = m.sample(2000, seed=7, sweeps=20)
    dn = m.denoise(v0, sweeps=3, seed=1)
    p_all = np.exp(m.log_prob(V))
    marg_all = p_all @ V
    assert np.all(np.abs(dn.mean(0) - marg_all) < 5 * np.sqrt(marg_all * (1 - marg_all) / 2000))
    # the conditional-mean version averages to the same marginals (smaller noise)
    xm = m.fill_in(start, known, sweeps=20, seed=5, mean=True)
    assert np.all(np.abs(xm[:, 3:].mean(0) - marg) < 5 * se)


def test_model_protocol_round_trip_and_bad_input():
    m = tiny("binary", "gaussian", 5, 3, sigma_h=[0.5, 1, 2])
    meta, arrays = m.to_arrays()
    m2 = RBM.from_arrays(meta, arrays)
    V = all_states(5, (0, 1))
    np.testing.assert_allclose(m2.free_energy(V), m.free_energy(V))
    res = m.evaluate(V[:10])
    assert res["ll_method"] == "exact"
    assert res["ll"] == pytest.approx(m.log_likelihood(V[:10]))
    with pytest.raises(ValueError, match="only"):
        m.evaluate(V[:3] * 2)
    with pytest.raises(ValueError, match="shape"):
        m.free_energy(np.ones((2, 4)))


def test_fast_float32_kernels():
    """The vectorised float32 sigmoid is within 2e-7 of the exact one and the Bernoulli draws
    have the right frequencies (5 SE)."""
    from boltzmann_lab.kernels.rbm import fast_sigmoid_bernoulli
    from boltzmann_lab.kernels.rng import seed_states
    rng = np.random.default_rng(0)
    pre = np.concatenate([rng.normal(0, 6, (50, 101)), np.full((1, 101), -100.0),
                          np.full((1, 101), 100.0)]).astype(np.float32)
    bias = rng.normal(0, 1, 101).astype(np.float32)
    exact = 1 / (1 + np.exp(-(pre.astype(np.float64) + bias)))
    out = np.empty_like(pre)
    x = np.empty_like(pre)
    fast_sigmoid_bernoulli(pre.copy(), bias, seed_states(len(pre), 0), out, np.float32(2.0), x,
                           True)
    assert np.max(np.abs(out / 2 - exact)) < 2e-7
    n = 20000
    p = np.tile(np.float32([0.0, 1e-3, 0.1, 0.5, 0.9, 1.0]), (n, 1))
    logit = np.log(np.clip(p, 1e-30, None)) - np.log(np.clip(1 - p, 1e-30, None))
    x = np.empty_like(p)
    fast_sigmoid_bernoulli(logit.astype(np.float32), np.zeros(6, np.float32),
                           seed_states(n, 1), np.empty_like(p), np.float32(1.0), x, True)
    f = x.mean(0)
    se = np.sqrt(p[0] * (1 - p[0]) / n)
    assert np.all(np.abs(f - p[0]) < 5 * se + 1e-6)
