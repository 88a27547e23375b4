"""MaxEnt building blocks: constraint masks, pseudo-likelihood, mean field, moment bookkeeping."""

import numpy as np
import pytest

from boltzmann_lab.learning.constraints import Constraints, data_moments, lattice_mask, load_mask, pair_mask
from boltzmann_lab.learning.meanfield import naive_mean_field
from boltzmann_lab.models.pairwise import energy
from boltzmann_lab.models.pseudolikelihood import pseudo_log_likelihood
from boltzmann_lab.learning.pseudolikelihood import fit_pseudolikelihood


def _random_model(n, seed, population=True):
    rng = np.random.default_rng(seed)
    h = rng.normal(scale=0.5, size=n)
    J = np.triu(rng.normal(scale=0.5, size=(n, n)), 1)
    J = J + J.T
    V = rng.normal(scale=0.5, size=n + 1) if population else None
    return h, J, V


def _random_data(n, M, convention, seed):
    x = np.random.default_rng(seed).integers(0, 2, size=(M, n)).astype(float)
    return x if convention == "binary" else 2 * x - 1


# ------------------------------------------------------------------------------------ masks
def test_lattice_mask_periodic_4x4_has_four_neighbours_per_site():
    m = lattice_mask((4, 4), periodic=True)
    assert m.shape == (16, 16) and np.array_equal(m, m.T) and not m.diagonal().any()
    assert np.all(m.sum(axis=1) == 4) and np.triu(m, 1).sum() == 32
    assert m[0, 1] and m[0, 4] and m[0, 3] and m[0, 12] and not m[0, 5]


def test_lattice_mask_open_4x4_has_24_bonds_and_corner_has_two():
    m = lattice_mask((4, 4), periodic=False)
    assert np.triu(m, 1).sum() == 24 and m[0].sum() == 2 and m[5].sum() == 4
    assert not m[0, 3] and not m[0, 12]


def test_load_mask_validates_shape_symmetry_and_refuses_pickles(tmp_path):
    good = lattice_mask((3, 3), False)
    p = tmp_path / "m.npy"
    np.save(p, good)
    assert np.array_equal(load_mask(str(p), 9), good)
    with pytest.raises(ValueError, match="shape"):
        load_mask(str(p), 10)
    bad = good.copy()
    bad[0, 5] = True
    np.save(p, bad)
    with pytest.raises(ValueError, match="symmetric"):
        load_mask(str(p), 9)
    np.save(p, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(ValueError, match="refused and not read"):
        load_mask(str(p), 9)
    with pytest.raises(ValueError, match="no such file"):
        load_mask(str(tmp_path / "missing.npy"), 9)


def test_pair_mask_lattice_needs_an_image_shape():
    with pytest.raises(ValueError, match="image"):
        pair_mask("lattice", 16, None)
    assert pair_mask("all", 4).sum() == 12


def test_constraints_from_config_counts_observables():
    C = Constraints.from_config({"constraints": ["means", "pairs", "population"], "pairs": "lattice",
                                 "periodic": True}, 16, (4, 4))
    assert C.n_pairs == 32 and C.n_observables == 16 + 32 + 17
    C2 = Constraints.from_config({"constraints": ["means"]}, 5)
    assert C2.n_pairs == 0 and not C2.population


def test_data_moments_population_counts_on_units_in_both_conventions():
    xb = _random_data(6, 50, "binary", 0)
    mb, ms = data_moments(xb, "binary"), data_moments(2 * xb - 1, "spin")
    np.testing.assert_array_equal(mb.p_k, ms.p_k)
    np.testing.assert_allclose(mb.p_k, np.bincount(xb.sum(1).astype(int), minlength=7) / 50)


# ---------------------------------------------------------------------------- pseudo-likelihood
@pytest.mark.parametrize("convention", ["binary", "spin"])
def test_pseudo_likelihood_equals_brute_force_conditionals(convention):
    n = 5
    h, J, V = _random_model(n, 1)
    x = _random_data(n, 40, convention, 2)
    ref = np.zeros(len(x))
    on, off = (1.0, 0.0) if convention == "binary" else (1.0, -1.0)
    for i in range(n):
        xo, xf = x.copy(), x.copy()
        xo[:, i], xf[:, i] = on, off
        e_on, e_off = energy(xo, h, J, V), energy(xf, h, J, V)
        ref += -energy(x, h, J, V) - np.logaddexp(-e_on, -e_off)
    np.testing.assert_allclose(pseudo_log_likelihood(x, h, J, convention, V, per_sample=True),
                               ref, rtol=1e-12, atol=1e-12)
    assert pseudo_log_likelihood(x, h, J, convention, V) == pytest.approx(ref.mean(), rel=1e-12)


@pytest.mark.parametrize("convention", ["binary", "spin"])
def test_pseudo_likelihood_gradient_matches_finite_differences(convention):
    n = 5
    h, J, V = _random_model(n, 3)
    x = _random_data(n, 30, convention, 4)
    _, g = pseudo_log_likelihood(x, h, J, convention, V, grad=True)
    eps = 1e-6
    f = lambda hh, JJ, VV: pseudo_log_likelihood(x, hh, JJ, convention, VV)  # noqa: E731
    for i in range(n):
        d = np.zeros(n)
        d[i] = eps
        assert g["h"][i] == pytest.approx((f(h + d, J, V) - f(h - d, J, V)) / (2 * eps), abs=1e-7)
    for i, j in [(0, 1), (1, 4), (2, 3)]:
        D = np.zeros((n, n))
        D[i, j] = D[j, i] = eps
        fd = (f(h, J + D, V) - f(h, J - D, V)) / (2 * eps)
        assert g["J"][i, j] == pytest.approx(fd, abs=1e-7) and g["J"][j, i] == g["J"][i, j]
    for k in range(n + 1):
        d = np.zeros(n + 1)
        d[k] = eps
        assert g["V"][k] == pytest.approx((f(h, J, V + d) - f(h, J, V - d)) / (2 * eps), abs=1e-7)


def test_pseudo_likelihood_blocks_give_the_same_answer(monkeypatch):
    import boltzmann_lab.models.pseudolikelihood as pl
    h, J, V = _random_model(6, 5)
    x = _random_data(6, 101, "spin", 6)
    a = pseudo_log_likelihood(x, h, J, "spin", V, grad=True)
    monkeypatch.setattr(pl, "_BLOCK_ELEMENTS", 60)   # 10 rows per block
    b = pseudo_log_likelihood(x, h, J, "spin", V, grad=True)
    assert a[0] == pytest.approx(b[0], rel=1e-12)
    for k in a[1]:
        np.testing.assert_allclose(a[1][k], b[1][k], rtol=1e-10, atol=1e-14)
    assert np.array_equal(b[1]["J"], b[1]["J"].T)


def test_pseudo_likelihood_fit_keeps_unconstrained_parameters_exactly_zero():
    x = _random_data(6, 200, "binary", 7)
    mask = lattice_mask((6,), False)
    h, J, V = fit_pseudolikelihood(x, "binary", mask, fields=False, population=False)
    assert np.all(h == 0) and V is None
    assert np.all(J[~mask] == 0) and np.any(J[mask] != 0)


# ---------------------------------------------------------------------------------- mean field
@pytest.mark.parametrize("convention", ["binary", "spin"])
def test_mean_field_couplings_are_minus_inverse_correlations(convention):
    x = _random_data(5, 500, convention, 8)
    h, J = naive_mean_field(x, convention)
    C = np.cov(x, rowvar=False, bias=True)
    Ci = np.linalg.inv(C)
    off = ~np.eye(5, dtype=bool)
    np.testing.assert_allclose(J[off], -Ci[off], rtol=1e-4)
    assert np.all(J.diagonal() == 0)


def test_mean_field_conventions_describe_the_same_couplings():
    # C_binary = C_spin / 4 and J_binary = 4 J_spin: the transform of boltzmann_lab.data.conventions
    from boltzmann_lab.data.conventions import pairwise_spin_to_binary
    xb = _random_data(5, 500, "binary", 9)
    hs, Js = naive_mean_field(2 * xb - 1, "spin")
    hb, Jb = naive_mean_field(xb, "binary")
    np.testing.assert_allclose(Jb, pairwise_spin_to_binary(hs, Js)[1], rtol=1e-4, atol=1e-8)


def test_mean_field_fields_solve_the_self_consistency_and_mask_is_exact():
    x = _random_data(6, 400, "spin", 10)
    mask = lattice_mask((6,), True)
    h, J = naive_mean_field(x, "spin", mask)
    m = x.mean(axis=0)
    np.testing.assert_allclose(np.tanh(h + J @ m), m, atol=1e-9)
    assert np.all(J[~mask] == 0)
