"""AIS: forward and reverse estimates bracket the exact log Z (enumeration of the hidden layer)."""

import numpy as np
import pytest

from boltzmann_lab.sampling.ais import ais, default_betas
from boltzmann_lab.models.rbm import RBM


def model_64x16(hidden="binary", seed=1):
    # strong couplings (|W| ~ 1 with 64 inputs per hidden unit) give a rugged, multimodal p(v)
    rng = np.random.default_rng(seed)
    return RBM(rng.standard_normal((64, 16)), 0.3 * rng.standard_normal(64),
               0.3 * rng.standard_normal(16), hidden=hidden)


@pytest.mark.parametrize("hidden", ["binary", "spin"])
def test_ais_brackets_exact_log_z_64x16(hidden):
    m = model_64x16(hidden)
    exact = m.log_partition()            # enumerates the 16 hidden units
    data = m.sample_exact(300, seed=2)[0]
    res = ais(m, seed=3, data=data)      # default settings: 10000 betas, 100 runs
    assert res.reverse_start == "exact"
    # stochastic bracket: forward is a lower bound, reverse an upper bound (in expectation);
    # allow 4 standard errors of each estimate
    assert res.log_z - 4 * res.log_z_se <= exact <= res.log_z_reverse + 4 * res.log_z_reverse_se
    # and each estimate is unbiased to within 5 of its own standard errors
    assert abs(res.log_z - exact) < 5 * res.log_z_se
    assert abs(res.log_z_reverse - exact) < 5 * res.log_z_reverse_se
    # the default schedule is precise enough to be useful (measured: SE ~ 0.005-0.01 nats)
    assert res.log_z_se < 0.05 and res.log_z_reverse_se < 0.05


def test_ais_gaussian_hidden_and_spin_visible():
    rng = np.random.default_rng(4)
    m = RBM(0.3 * rng.standard_normal((12, 5)), 0.2 * rng.standard_normal(12),
            0.2 * rng.standard_normal(5), visible="spin", hidden="gaussian", sigma_h=0.8)
    exact = m.log_partition()            # enumerates the 12 spins
    res = ais(m, n_betas=2000, n_runs=50, seed=0)
    assert abs(res.log_z - exact) < 5 * res.log_z_se
    assert abs(res.log_z_reverse - exact) < 5 * res.log_z_reverse_se


def test_few_betas_still_unbiased_in_z_and_bracketing():
    """With a crude schedule the spread grows but the bracket still holds."""
    m = model_64x16(seed=5)
    exact = m.log_partition()
    res = ais(m, n_betas=100, n_runs=200, seed=1)
    assert res.log_z - 4 * res.log_z_se <= exact <= res.log_z_reverse + 4 * res.log_z_reverse_se


def test_schedule_and_bad_input():
    b = default_betas(1000)
    assert b[0] == 0 and b[-1] == 1 and np.all(np.diff(b) > 0) and len(b) == 1000
    m = model_64x16()
    with pytest.raises(ValueError, match="increase"):
        ais(m, betas=[0.0, 0.7, 0.5, 1.0])
    with pytest.raises(ValueError, match="2 runs"):
        ais(m, n_runs=1)


def test_rbm_evaluate_uses_ais_when_layers_are_large():
    rng = np.random.default_rng(0)
    m = RBM(0.5 * rng.standard_normal((30, 21)), hidden="binary")
    x = m.sample(50, seed=1, sweeps=50)
    out = m.evaluate(x, ais_betas=3000, ais_runs=50, method="ais")
    assert out["ll_method"] == "ais"
    exact = m.log_partition()                       # 2^21 states: enumerable for the check
    assert abs(out["log_z"] - exact) < 5 * out["log_z_se"]
    ll_exact = -m.free_energy(x).mean() - exact
    assert abs(out["ll"] - ll_exact) < 5 * out["log_z_se"]      # ll = mean(-F) - log Z_ais
    # the reverse estimate is the same data term over the reverse (upper-bound) log Z
    assert out["ll_reverse"] == pytest.approx(out["ll"] + out["log_z"] - out["log_z_reverse"],
                                              abs=1e-9)
    assert out["ll_reverse"] <= out["ll"] + 5 * out["log_z_se"]
    # a 30-visible model's reverse runs start from exact samples: a certified bracket
    assert out["reverse_start"] == "exact" and out["ll_upper"] == out["ll_reverse"]
    assert out["ll_se"] == out["log_z_se"]


def test_reverse_ais_from_approximate_starts_is_not_called_a_bracket():
    """Neither layer of a 200 x 30 RBM can be enumerated: the reverse runs start from the forward
    chains, so ``ll_reverse`` is reported with its start and no ``ll_upper`` is claimed."""
    rng = np.random.default_rng(3)
    m = RBM(0.05 * rng.standard_normal((200, 30)), hidden="binary")
    assert m.exact_layer() is None
    x = m.sample(20, seed=1, sweeps=20)
    out = m.evaluate(x, ais_betas=200, ais_runs=8)
    assert out["ll_method"] == "ais" and out["reverse_start"] == "forward"
    assert "ll_upper" not in out and np.isfinite(out["ll_reverse"])
