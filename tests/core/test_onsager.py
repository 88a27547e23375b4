"""Exact 2D Ising results: infinite-lattice closed forms against the reference table, and the
finite-lattice (Kaufman) partition function against brute-force enumeration."""

import math

import numpy as np
import pytest

from boltzmann_lab.exact import onsager

# REFERENCES.md table: T, u(T), m(T) (5 decimals, so the tolerance is the rounding, 5e-6 + eps)
TABLE = [(1.0, -1.99716, 0.99928), (1.5, -1.95112, 0.98650), (2.0, -1.74556, 0.91132),
         (onsager.T_C, -1.41421, 0.0), (2.5, -1.10608, 0.0), (3.0, -0.81731, 0.0),
         (4.0, -0.55727, 0.0)]


def test_critical_temperature():
    assert onsager.T_C == pytest.approx(2.269185314213022, abs=1e-12)


@pytest.mark.parametrize("T,u,m", TABLE)
def test_reference_table(T, u, m):
    assert abs(onsager.energy_per_spin(T) - u) <= 5.1e-6
    assert abs(onsager.magnetization(T) - m) <= 5.1e-6


def test_array_input_and_coupling_scaling():
    T = np.array([1.5, 2.0, 3.0])
    u = onsager.energy_per_spin(T)
    assert u.shape == (3,)
    # u(T; J) = J u(T/J; 1); the antiferromagnet has the same energy on the bipartite lattice
    assert np.allclose(onsager.energy_per_spin(2 * T, J=2.0), 2 * u, atol=1e-13)
    assert np.allclose(onsager.energy_per_spin(T, J=-1.0), u, atol=1e-13)
    assert np.allclose(onsager.magnetization(2 * T, J=2.0), onsager.magnetization(T))


def test_ellipk_known_values():
    assert onsager.ellipk(0.0) == pytest.approx(math.pi / 2, abs=1e-15)
    # K(1/2) = Gamma(1/4)^2 / (4 sqrt(pi))
    assert onsager.ellipk(0.5) == pytest.approx(math.gamma(0.25) ** 2 / (4 * math.sqrt(math.pi)),
                                                rel=1e-14)
    # K(m) ~ ln(4 / sqrt(1 - m)) as m -> 1
    m = 1 - 1e-12
    assert onsager.ellipk(m) == pytest.approx(math.log(4 / math.sqrt(1 - m)), rel=1e-10)


def test_energy_continuous_through_tc():
    eps = 1e-9
    u = [onsager.energy_per_spin(onsager.T_C + d) for d in (-eps, 0.0, eps)]
    assert u[1] == pytest.approx(-math.sqrt(2), abs=1e-12)
    assert max(abs(u[0] - u[1]), abs(u[2] - u[1])) < 1e-6


def test_specific_heat_is_derivative_and_peaks_at_tc():
    T = 3.0
    d = 1e-3
    num = (onsager.energy_per_spin(T + d) - onsager.energy_per_spin(T - d)) / (2 * d)
    assert onsager.specific_heat(T) == pytest.approx(num, rel=1e-5)
    c = onsager.specific_heat(np.array([1.5, 2.2, 2.26, 2.28, 2.4, 3.0]))
    assert c[2] > c[1] > c[0] and c[3] > c[4] > c[5]


def test_magnetization_zero_above_tc_and_rejects_antiferromagnet():
    assert onsager.magnetization(onsager.T_C) == 0.0
    assert onsager.magnetization(2.27) == 0.0
    assert onsager.magnetization(2.26) > 0.3       # steep (exponent 1/8) just below T_c
    with pytest.raises(ValueError, match="ferromagnet"):
        onsager.magnetization(2.0, J=-1.0)
    with pytest.raises(ValueError, match="temperature"):
        onsager.energy_per_spin(-1.0)


def _brute_force(m, n, T):
    """log Z, energy per spin and specific heat per spin of the periodic m x n lattice."""
    N = m * n
    states = ((np.arange(2 ** N)[:, None] >> np.arange(N)) & 1) * 2 - 1
    s = states.reshape(-1, m, n)
    E = -((s * np.roll(s, 1, 1)).sum((1, 2)) + (s * np.roll(s, 1, 2)).sum((1, 2))).astype(float)
    w = -E / T
    top = w.max()
    z = np.exp(w - top)
    log_z = math.log(z.sum()) + top
    p = z / z.sum()
    e = (p * E).sum()
    return log_z, e / N, ((p * E * E).sum() - e * e) / (T * T * N)


@pytest.mark.parametrize("m,n", [(4, 4), (3, 4), (4, 3), (2, 2), (2, 5)])
@pytest.mark.parametrize("T", [0.7, 2.0, onsager.T_C, 3.0, 10.0])
def test_finite_lattice_matches_enumeration(m, n, T):
    log_z, e, c = _brute_force(m, n, T)
    assert onsager.finite_log_z(n, T, M=m) == pytest.approx(log_z, abs=1e-11)
    assert onsager.finite_energy_per_spin(n, T, M=m) == pytest.approx(e, abs=1e-9)
    assert onsager.finite_specific_heat(n, T, M=m) == pytest.approx(c, abs=1e-6)


def test_finite_lattice_approaches_onsager_away_from_tc():
    T = np.array([1.5, 2.0, 3.0])
    for L in (32, 64):
        assert np.allclose(onsager.finite_energy_per_spin(L, T), onsager.energy_per_spin(T),
                           atol=1e-6)
    # at T_c the finite-size shift is O(1/L) and shrinks with L
    d32 = onsager.finite_energy_per_spin(32, onsager.T_C) - onsager.energy_per_spin(onsager.T_C)
    d64 = onsager.finite_energy_per_spin(64, onsager.T_C) - onsager.energy_per_spin(onsager.T_C)
    assert d32 < d64 < 0 and d64 / d32 == pytest.approx(0.5, abs=0.05)
    # the specific heat of a finite lattice is finite at T_c and close to Onsager's away from it
    assert onsager.finite_specific_heat(64, 3.0) == pytest.approx(onsager.specific_heat(3.0),
                                                                  abs=1e-4)
