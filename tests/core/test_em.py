"""EM machinery (boltzmann_lab.learning.em): the bound −F_q, the KL gap, and the exact EM inequalities on every family.

Identities checked exactly (to round-off): ℓ(θ) − (−F_q(θ)) = KL(q ‖ p(z|x,θ)) ≥ 0; −F_q = E_q[log p(x,z)]
+ H(q); with q the posterior at θ the bound equals ℓ(θ).  Along EM iterations: ℓ(θᵗ) ≤ −F_q(θᵗ⁺¹) ≤
ℓ(θᵗ⁺¹) (with the prior term for MAP), ℓ never decreases.  Tolerances come from ``em.round_off``:
16 ε (terms per sample + 1)(1 + |ℓ|).
"""

import math

import numpy as np
import pytest

from boltzmann_lab.stats.numerics import logsumexp
from boltzmann_lab.learning import em, em_slices
from boltzmann_lab.models.mixture import MixtureModel
from boltzmann_lab.learning.mixture import MixtureLearner
from boltzmann_lab.learning.mixture_em import MixtureEM


def test_logsumexp_is_stable_and_handles_minus_inf():
    a = np.array([[-1000.0, -1001.0], [-np.inf, -np.inf], [700.0, 710.0]])
    out = logsumexp(a, axis=1)
    assert out[0] == pytest.approx(-1000.0 + math.log1p(math.exp(-1.0)), rel=1e-15)
    assert out[1] == -np.inf
    assert out[2] == pytest.approx(710.0 + math.log1p(math.exp(-10.0)), rel=1e-15)
    with pytest.raises(FloatingPointError):
        em.e_step(a)


def test_bound_identities_for_arbitrary_q():
    rng = np.random.default_rng(0)
    L = rng.normal(0, 1, (60, 4)) * 300.0          # log-joint differences of hundreds of nats
    q = rng.dirichlet(np.ones(4), size=60)
    log_q = np.log(q)
    ll = em.log_likelihood(L)
    bound = em.neg_free_energy(L, log_q)
    kl = em.kl_gap(L, log_q)
    tol = em.round_off(ll, 4) * 300
    assert kl > 0 and bound < ll
    assert ll - bound == pytest.approx(kl, abs=tol)
    assert em.expected_complete_ll(L, log_q) + em.entropy(log_q) == pytest.approx(bound, abs=tol)
    # the E-step posterior closes the gap, even where responsibilities underflow to 0
    log_post, ll_i = em.e_step(L)
    assert np.exp(log_post).min() == 0.0              # some responsibilities underflow ...
    assert em.neg_free_energy(L, log_post) == pytest.approx(ll, abs=tol)   # ... yet the bound is exact
    assert abs(em.kl_gap(L, log_post)) <= tol
    np.testing.assert_allclose(ll_i.mean(), ll, rtol=0, atol=tol)


def test_zero_responsibility_on_impossible_component_counts_zero():
    L = np.array([[-np.inf, -2.0], [-1.0, -3.0]])
    log_q, _ = em.e_step(L)
    assert np.isfinite(em.neg_free_energy(L, log_q))
    assert em.neg_free_energy(L, log_q) == pytest.approx(em.log_likelihood(L), abs=1e-15)


def test_counts_equal_repeated_rows():
    rng = np.random.default_rng(1)
    L = rng.normal(size=(5, 3))
    counts = np.array([1, 3, 2, 1, 4])
    rep = np.repeat(L, counts, axis=0)
    log_q, _ = em.e_step(rng.normal(size=(5, 3)))
    rep_q = np.repeat(log_q, counts, axis=0)
    assert em.log_likelihood(L, counts) == pytest.approx(em.log_likelihood(rep), abs=1e-14)
    assert em.neg_free_energy(L, log_q, counts) == pytest.approx(em.neg_free_energy(rep, rep_q),
                                                                 abs=1e-14)
    assert em.kl_gap(L, log_q, counts) == pytest.approx(em.kl_gap(rep, rep_q), abs=1e-14)


# ------------------------------------------------------------------------ EM inequalities
def _data(case, rng):
    """(learner kwargs, data) for each model family / variant."""
    if case.startswith("binomial"):
        z = rng.random(300) < 0.4
        x = (rng.random((300, 12)) < np.where(z, 0.75, 0.45)[:, None]).astype(float)
        kw = dict(family="binomial", components=3, convention="binary")
        if case == "binomial_map":
            kw["prior"] = [3.0, 2.0]
        return kw, x
    if case.startswith("bernoulli"):
        P = rng.uniform(0.1, 0.9, (3, 40))
        x = MixtureModel("bernoulli", [0.5, 0.3, 0.2], P).sample(400, rng)
        kw = dict(family="bernoulli", components=4, convention="binary")
        if case == "bernoulli_spin_map":
            x = 2 * x - 1
            kw.update(convention="spin", prior=[2.0, 2.0], fit_weights=False)
        return kw, x
    cov = "diag" if case.endswith("diag") else "full"
    means = np.array([[0.0, 0.0, 0.0], [2.0, 1.0, 0.0], [0.0, 3.0, -1.0]])
    covs = np.array([np.eye(3), np.diag([0.5, 2.0, 1.0]), [[1, .5, 0], [.5, 1, .2], [0, .2, 1]]])
    x = MixtureModel("gaussian", [0.4, 0.3, 0.3], means, covs).sample(400, rng)
    return dict(family="gaussian", components=4, convention="real", covariance=cov,
                covariance_floor=1e-3), x


CASES = ["binomial", "binomial_map", "bernoulli", "bernoulli_spin_map", "gaussian_full",
         "gaussian_diag"]


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("init", ["kmeans++", "random"])
def test_em_chain_of_inequalities(case, init):
    rng = np.random.default_rng(CASES.index(case))
    kw, x = _data(case, rng)
    learner = MixtureLearner(x, init=init, seed=3, tolerance=0.0, **kw)
    n_terms = learner._n_terms
    history = [learner.step() for _ in range(40)]
    for t, m in enumerate(history):
        tol = em.round_off(m["objective"], n_terms)
        # the bound touches the objective at θᵗ after the E-step
        assert abs(m["estep_gap"]) <= tol
        # J(θᵗ) ≤ −F_q(θᵗ⁺¹) ≤ J(θᵗ⁺¹); the gap is KL(q ‖ p(z|x,θᵗ⁺¹)) ≥ 0
        assert m["objective"] <= m["bound"] + tol
        assert m["kl_gap"] >= -tol
        assert m["objective"] + m["ll_gain"] == pytest.approx(m["bound"] + m["kl_gap"], abs=4 * tol)
        if t + 1 < len(history):
            nxt = history[t + 1]["objective"]
            assert m["bound"] <= nxt + tol                     # the bound never exceeds ℓ(θᵗ⁺¹)
            assert nxt >= m["objective"] - tol                 # ℓ never decreases
            assert nxt == pytest.approx(m["objective"] + m["ll_gain"], abs=tol)
        if "prior" not in kw:
            assert m["objective"] == m["train_ll"]
    # EM made progress at all (a test that could not fail would be worthless)
    assert history[-1]["objective"] > history[0]["objective"]


@pytest.mark.parametrize("case", ["binomial_map", "bernoulli", "gaussian_full", "gaussian_diag"])
def test_line_slice_bound_touches_at_theta_t_and_peaks_at_theta_t1(case):
    rng = np.random.default_rng(7)
    kw, x = _data(case, rng)
    learner = MixtureLearner(x, seed=1, **kw)
    for _ in range(3):
        m = learner.step()
    v = learner.views()
    s, ll, bd = v["em_theta"], v["em_ll"], v["em_bound"]
    i0 = int(np.flatnonzero(s == v["em_marks"][0])[0])
    i1 = int(np.flatnonzero(s == v["em_marks"][1])[0])
    tol = em.round_off(m["objective"], learner._n_terms)
    assert np.all(bd <= ll + tol)                              # a lower bound everywhere
    assert abs(ll[i0] - bd[i0]) <= tol                         # touching at θᵗ
    assert ll[i0] == pytest.approx(m["objective"], abs=tol)    # the same numbers as the metrics
    assert bd[i1] == pytest.approx(m["bound"], abs=tol)
    assert bd[i1] >= bd.max() - tol                            # the M-step maximum
    assert ll[i1] - bd[i1] == pytest.approx(m["kl_gap"], abs=4 * tol)
    assert s.min() < 0 < v["em_marks"][1] < s.max()            # the slice extends both ways
    # the axis label names where θᵗ⁺¹ sits (1 unless the slice was stretched near convergence)
    label = str(v["em_axis_label"])
    assert "θᵗ" in label and (v["em_marks"][1] == 1.0 or f"{v['em_marks'][1]:.2g}" in label)


def test_plane_slice_for_two_coins():
    heads = np.array([5, 9, 8, 4, 7])
    x = (np.arange(10)[None, :] < heads[:, None]).astype(float)
    learner = MixtureLearner(x, family="binomial", components=2, init="given",
                             init_params=[0.6, 0.5], fit_weights=False)
    m = learner.step()
    v = learner.views()
    tol = em.round_off(m["objective"], learner._n_terms)
    llg, bdg = v["em_ll_grid"], v["em_bound_grid"]
    assert llg.shape == bdg.shape == (61, 61)
    assert np.all(bdg <= llg + tol)
    np.testing.assert_allclose(v["em_points"][0], [0.6, 0.5])
    np.testing.assert_allclose(v["em_points"][1], learner.model.biases)
    assert m["bound"] >= bdg.max() - tol            # θᵗ⁺¹ maximises the bound over the whole box
    # ℓ on the grid against a direct evaluation at one cell: row b is θ₂ = axis1[b], column a is
    # θ₁ = axis0[a] (a row-major image with θ₁ along x)
    a, b = 17, 40
    p = np.array([v["em_axis0"][a], v["em_axis1"][b]])
    mm = MixtureModel("binomial", [0.5, 0.5], np.repeat(p[:, None], 10, axis=1))
    assert llg[b, a] == pytest.approx(mm.log_prob(x).mean(), abs=tol)
    np.testing.assert_array_equal(v["em_grid_x"], v["em_axis0"])
    # the path of iterates grows by one point per step
    learner.step()
    path = learner.views()["em_path"]
    assert path.shape == (3, 2)
    np.testing.assert_allclose(path[0], [0.6, 0.5])
    np.testing.assert_array_equal(path[-1], learner.model.biases)


def test_no_underflow_with_784_dimensional_bernoulli_vectors():
    rng = np.random.default_rng(5)
    p = rng.uniform(1e-4, 1 - 1e-4, 784)
    x = (rng.random((50, 784)) < p).astype(float)
    exact = np.mean(x @ np.log(p) + (1 - x) @ np.log1p(-p))      # one component, closed form
    assert exact < -200                                         # exp(exact) would underflow in products
    two = MixtureModel("bernoulli", [0.3, 0.7], np.stack([p, p]))
    assert two.log_prob(x).mean() == pytest.approx(exact, rel=1e-13)
    # EM on such data: responsibilities are one-hot to machine precision, the bound stays exact
    P = np.stack([p, 1 - p, rng.uniform(0.2, 0.8, 784)])
    data = MixtureModel("bernoulli", [0.4, 0.3, 0.3], P).sample(300, 6)
    learner = MixtureLearner(data, family="bernoulli", components=3, seed=2)
    for _ in range(5):
        m = learner.step()
        assert all(np.isfinite(list(m.values())))
        assert abs(m["estep_gap"]) <= em.round_off(m["objective"], learner._n_terms)
    log_q, _ = em.e_step(learner.em.log_joint(learner._f))
    assert np.exp(log_q).min() == 0.0 and np.exp(log_q).max() == 1.0


def test_generic_protocol_works_without_vectorised_grid():
    """line_slice falls back to one model per point when log_joint_many is missing."""
    rng = np.random.default_rng(2)
    kw, x = _data("binomial", rng)
    learner = MixtureLearner(x, seed=0, **kw)
    learner.step()
    em0, log_q, em1 = learner._iteration()

    class Plain:
        def __init__(self, inner):
            self.inner = inner

        def log_joint(self, f):
            return self.inner.log_joint(f)

        def log_prior(self):
            return self.inner.log_prior()

        def free_vector(self):
            return self.inner.free_vector()

        def with_free_vector(self, v):
            return Plain(self.inner.with_free_vector(v))

    d = em1.free_vector() - em0.free_vector()
    s = np.linspace(-0.5, 1.5, 9)
    a = em_slices.line_slice(em0, d, learner._f, log_q, s, learner._counts)
    b = em_slices.line_slice(Plain(em0), d, learner._f, log_q, s, learner._counts)
    np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)
    assert isinstance(em0, MixtureEM)


def test_feasible_interval_is_the_covariance_domain_when_the_floor_binds():
    rng = np.random.default_rng(4)
    t = rng.normal(size=(150, 1))
    x = np.hstack([t, 2 * t, rng.normal(size=(150, 1))])       # rank-2 scatter in 3-D
    x[75:] += 5.0
    learner = MixtureLearner(x, family="gaussian", components=2, convention="real",
                             covariance_floor=1e-6, seed=0)
    for _ in range(3):
        learner.step()
    em0, log_q, em1 = learner._iteration()
    assert np.linalg.eigvalsh(em1.model.covs).min() == pytest.approx(1e-6, rel=1e-6)   # binding
    v0 = em0.free_vector()
    d = em1.free_vector() - v0
    lo, hi = em0.feasible_interval(v0, d, -5.0, 5.0, inside=(0.0, 1.0))
    assert lo <= 0.0 and hi >= 1.0

    def min_eig(s):
        v = em0.with_free_vector(v0 + s * d).model
        return np.linalg.eigvalsh(v.covs).min()

    for s_end, step in ((lo, -1e-3), (hi, 1e-3)):
        assert min_eig(s_end) >= 1e-6 * (1 - 1e-6)                 # inside at the ends ...
        if -5.0 < s_end + step < 5.0:
            assert min_eig(s_end + step) < 1e-6                      # ... and not beyond
    v = learner.views()                  # the drawn slice keeps θᵗ⁺¹ although it is on the boundary
    assert v["em_marks"][1] in v["em_theta"]
    assert np.all(v["em_bound"] <= v["em_ll"] + em.round_off(v["em_ll"].min(), 6))


@pytest.mark.parametrize("case", CASES)
def test_m_step_maximises_the_bound_in_every_direction(case):
    """No feasible perturbation of θᵗ⁺¹ raises −F_q (+ prior): the M-step is the maximiser."""
    rng = np.random.default_rng(40 + CASES.index(case))
    kw, x = _data(case, rng)
    learner = MixtureLearner(x, seed=1, **kw)
    learner.step()
    learner.step()
    em0, log_q, em1 = learner._iteration()
    f, c = learner._f, learner._counts
    best = em_slices.objective_and_bound(em1, f, log_q, c)[1]
    v1 = em1.free_vector()
    tol = em.round_off(best, learner._n_terms)
    for delta in (1e-2, 1e-4):
        for _ in range(20):
            u = rng.normal(size=v1.shape)
            if em1.fit_weights:                 # stay on the simplex: weights move by a zero-sum u
                k = learner.model.K
                u[-k:] -= u[-k:].mean()
            if kw["family"] == "gaussian" and kw.get("covariance", "full") == "full":
                kn, n = learner.model.K * learner.model.n, learner.model.n
                C = u[kn:kn + learner.model.K * n * n].reshape(-1, n, n)
                u[kn:kn + C.size] = (0.5 * (C + C.transpose(0, 2, 1))).ravel()   # symmetric
            u *= delta / np.linalg.norm(u)
            for sign in (1.0, -1.0):
                lo, hi = em1.feasible_interval(v1, sign * u, 0.0, 1.0)
                if hi <= 0:
                    continue
                moved = em1.with_free_vector(v1 + hi * sign * u)
                assert em_slices.objective_and_bound(moved, f, log_q, c)[1] <= best + tol
