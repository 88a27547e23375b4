"""Converting a pairwise model between {0,1} and ±1 gives exactly the same distribution."""

import itertools

import numpy as np

from boltzmann_lab.data.conventions import (convert_data, pairwise_binary_to_spin,
                                            pairwise_spin_to_binary)


def _energies(h, J, states):
    return -states @ h - 0.5 * np.einsum("mi,ij,mj->m", states, J, states)


def _random_model(n, rng):
    J = rng.normal(size=(n, n))
    J = np.triu(J, 1)
    J = J + J.T
    return rng.normal(size=n), J


def test_binary_to_spin_preserves_every_energy_up_to_the_stated_constant():
    rng = np.random.default_rng(3)
    h, J = _random_model(6, rng)
    x = np.array(list(itertools.product([0, 1], repeat=6)), dtype=float)
    h_s, J_s, c = pairwise_binary_to_spin(h, J)
    np.testing.assert_allclose(_energies(h, J, x), _energies(h_s, J_s, 2 * x - 1) + c, atol=1e-12)


def test_spin_to_binary_preserves_every_energy_up_to_the_stated_constant():
    rng = np.random.default_rng(4)
    h, J = _random_model(6, rng)
    s = np.array(list(itertools.product([-1, 1], repeat=6)), dtype=float)
    h_b, J_b, c = pairwise_spin_to_binary(h, J)
    np.testing.assert_allclose(_energies(h, J, s), _energies(h_b, J_b, (s + 1) / 2) + c, atol=1e-12)


def test_round_trip_is_the_identity():
    rng = np.random.default_rng(5)
    h, J = _random_model(5, rng)
    h2, J2, _ = pairwise_spin_to_binary(*pairwise_binary_to_spin(h, J)[:2])
    np.testing.assert_allclose(h2, h, atol=1e-12)
    np.testing.assert_allclose(J2, J, atol=1e-12)


def test_data_conversion():
    x = np.array([[0, 1, 1]])
    np.testing.assert_array_equal(convert_data(x, "binary", "spin"), [[-1, 1, 1]])
    np.testing.assert_array_equal(convert_data(convert_data(x, "binary", "spin"), "spin", "binary"), x)
