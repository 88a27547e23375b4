"""The 2D q-state Potts simulation against exact results: q = 2 is the Ising model (Kaufman's exact
finite-L energy, at T_c too), low- and high-temperature series for q = 3, and the transition at
T_c = 1/ln(1 + √q).  Tolerances: 4 standard errors of the time average (binning estimate, which
includes the autocorrelation) plus a bound on the neglected series terms."""

import math

import numpy as np
import pytest

from boltzmann_lab.stats.autocorr import binning_error
from boltzmann_lab.models.potts_lattice import (PottsLattice, critical_temperature, high_t_energy,
                                                ising_energy, low_t_energy)


def run(L, q, T, sweeps, burn, seed, algorithm="heatbath", start="random"):
    lat = PottsLattice(L, q, T, seed, algorithm=algorithm, start=start)
    lat.run(burn)
    e, m = lat.run(sweeps)
    return e, m


@pytest.mark.parametrize("T,algorithm", [(0.8, "heatbath"), (critical_temperature(2), "heatbath"),
                                         (1.6, "metropolis")])
def test_q2_is_the_ising_model_exactly(T, algorithm):
    L = 16
    e, _ = run(L, 2, T, 20000, 1000, seed=1, algorithm=algorithm)
    exact = ising_energy(T, L=L)           # Kaufman's exact value for this finite lattice
    assert abs(e.mean() - exact) < 4 * binning_error(e)


def test_q3_low_temperature_series():
    T = 0.4                                # T_c(3) = 0.995; x = e^-2.5, x^8 ~ 2e-9
    e, m = run(32, 3, T, 6000, 500, seed=2, start="ordered")
    series = low_t_energy(T, 3)
    x = math.exp(-1.0 / T)
    bound = 100 * x ** 8
    assert abs(e.mean() - series) < 4 * binning_error(e) + bound
    # and the MC sees the excitations the series counts: u + 2 ≈ 8 x^4 = 3.6e-4, not 0
    assert e.mean() + 2.0 > 0.5 * 8 * x ** 4
    assert m.mean() > 0.99


def test_q3_high_temperature_series():
    T = 4.0                                # t = 0.087: the neglected O(t^6 dt/dβ) is < 1e-5
    e, m = run(32, 3, T, 6000, 500, seed=3)
    t = (math.exp(1 / T) - 1) / (math.exp(1 / T) + 2)
    bound = 50 * t ** 6
    assert abs(e.mean() - high_t_energy(T, 3)) < 4 * binning_error(e) + bound
    # the O(t^4) correction itself is resolved (it is 2e-3 here), not just the tree term
    tree = -2 * math.exp(1 / T) / (math.exp(1 / T) + 2)
    assert abs(e.mean() - tree) > 4 * binning_error(e)


@pytest.mark.parametrize("q", [3, 5])
def test_transition_sits_at_the_exact_critical_temperature(q):
    Tc = critical_temperature(q)
    assert Tc == pytest.approx(1 / math.log(1 + math.sqrt(q)))
    # below T_c a random start orders (coarsening L=32 takes ~10³ sweeps); above T_c an ordered
    # start melts: m is the order parameter (q max_a ρ_a − 1)/(q − 1)
    _, m_low = run(32, q, 0.85 * Tc, 1000, 3000, seed=4)
    _, m_high = run(32, q, 1.15 * Tc, 1000, 3000, seed=5, start="ordered")
    assert m_low.mean() > 0.6
    assert m_high.mean() < 0.25
