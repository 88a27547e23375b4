"""Hopfield network == RBM with Gaussian hidden units (REFERENCES.md, Mehta et al. sec. 16).

Summing out Gaussian hidden units gives J = W diag(sigma^2) W^T: the two models have the same
visible distribution (checked on every one of the 2^n states by enumeration), and their samplers
(single-spin dynamics vs block Gibbs) reach the same equilibrium with different autocorrelation
times.
"""

import numpy as np
import pytest

from boltzmann_lab.exact.enumeration import states
from boltzmann_lab.models.hopfield import HopfieldModel
from boltzmann_lab.models.hopfield_rbm import compare_samplers, hopfield_to_rbm, rbm_to_hopfield
from boltzmann_lab.models.rbm import RBM


def all_states(n):
    return states(n, (-1.0, 1.0))


def normalised(logw):
    return logw - np.logaddexp.reduce(logw)


def patterns(P, n, seed):
    return 2.0 * np.random.default_rng(seed).integers(0, 2, size=(P, n)) - 1.0


@pytest.mark.parametrize("rule,scale", [("hebbian", 1.0), ("hebbian", 2.5), ("storkey", 1.0),
                                        ("pseudoinverse", 3.0)])
def test_hopfield_to_rbm_same_visible_distribution(rule, scale):
    n = 10
    base = HopfieldModel.from_patterns(patterns(3, n, 0), rule)
    h = 0.2 * np.random.default_rng(1).normal(size=n)
    m = HopfieldModel(base.patterns, scale * base.J, h, rule)
    rbm = hopfield_to_rbm(m)
    assert rbm.visible.name == "spin" and rbm.hidden.name == "gaussian"
    if rule == "hebbian":                       # one hidden unit per pattern, weights = patterns
        np.testing.assert_array_equal(rbm.W, m.patterns.T)
    S = all_states(n)
    lp_hop = normalised(-m.energy(S))
    lp_rbm = normalised(-rbm.free_energy(S))
    np.testing.assert_allclose(lp_rbm, lp_hop, atol=1e-10)
    np.testing.assert_allclose(rbm.log_prob(S), m.log_prob(S), atol=1e-10)   # both exact log Z


@pytest.mark.parametrize("visible", ["spin", "binary"])
def test_rbm_to_hopfield_same_visible_distribution(visible):
    rng = np.random.default_rng(2)
    n, k = 9, 4
    rbm = RBM(0.4 * rng.normal(size=(n, k)), 0.3 * rng.normal(size=n), 0.5 * rng.normal(size=k),
              visible=visible, hidden="gaussian", sigma_h=rng.uniform(0.5, 1.5, size=k))
    m = rbm_to_hopfield(rbm)
    S = all_states(n)
    V = S if visible == "spin" else (S + 1) / 2          # the Hopfield net describes s = 2v - 1
    np.testing.assert_allclose(normalised(-m.energy(S)), normalised(-rbm.free_energy(V)),
                               atol=1e-10)
    # J = (1/n) sum_mu xi^mu xi^mu^T off the diagonal with the returned real-valued patterns
    J = m.patterns.T @ m.patterns / n
    np.fill_diagonal(J, 0.0)
    np.testing.assert_allclose(m.J, J, atol=1e-12)
    # and back again
    back = hopfield_to_rbm(m)
    np.testing.assert_allclose(normalised(-back.free_energy(S)), normalised(-m.energy(S)),
                               atol=1e-10)


def test_rbm_to_hopfield_rejects_binary_hidden():
    with pytest.raises(ValueError, match="Gaussian hidden"):
        rbm_to_hopfield(RBM(np.zeros((3, 2)), visible="spin", hidden="binary"))


def test_samplers_reach_same_equilibrium_with_different_autocorrelation():
    """Heat-bath sweeps (Hopfield) and block Gibbs (RBM) on the same distribution: n = 12, two
    Hebbian patterns at inverse temperature 2 (retrieval phase).  Both means agree with the exact
    enumeration within 5 SE (SE from each sampler's own tau); tau is printed for the report."""
    n = 12
    base = HopfieldModel.from_patterns(patterns(2, n, 0))
    m = HopfieldModel(base.patterns, 2.0 * base.J, None, "hebbian")
    res = compare_samplers(m, chains=32, sweeps=2000, burn_in=200, seed=0)
    for name, exact in res["exact"].items():
        for which in ("hopfield", "rbm"):
            mean, se, tau = res[which][name]
            print(f"{name:7s} {which:8s} mean {mean:.4f} exact {exact:.4f} "
                  f"({(mean - exact) / se:+.1f} SE)  tau {tau:.1f}")
            assert abs(mean - exact) < 5 * se
            assert 0.5 < tau < 200
    # Measured with this seed: tau(m^2) ~ 15 Hopfield sweeps vs ~ 33 block-Gibbs steps.  The
    # relative error of each tau is ~ sqrt(2 (2W + 1) / N) ~ 10 % here, so a factor-2 gap is
    # robust: block Gibbs moves the overlaps only through the noisy hidden units.
    for name in res["exact"]:
        if name != "energy":
            assert res["rbm"][name][2] > 1.3 * res["hopfield"][name][2]
