"""Optimizers ascend, Adam is the real (bias-corrected) Adam, schedules follow their formulas."""

import numpy as np
import pytest

from boltzmann_lab.learning.optim import (Adam, SGD, Momentum, make_optimizer, scheduled_rate,
                                          soft_threshold)


def test_adam_first_step_has_the_nominal_size():
    # With bias correction, m_hat = g and v_hat = g^2 after one step: the step is lr * sign(g)
    # (up to eps).  The review's package took 0.32x this step — the pitfall this guards against.
    p = {"w": np.zeros(3)}
    g = {"w": np.array([1e-3, -2.0, 50.0])}
    Adam(learning_rate=0.1).step(p, g)
    np.testing.assert_allclose(p["w"], 0.1 * np.sign(g["w"]), rtol=1e-4)


@pytest.mark.parametrize("name", ["sgd", "momentum", "adam"])
def test_every_optimizer_maximises_a_concave_quadratic(name):
    target = np.array([1.0, -2.0, 0.5])
    p = {"w": np.zeros(3)}
    opt = make_optimizer(name, 0.05)
    for _ in range(3000):
        opt.step(p, {"w": -(p["w"] - target)})  # gradient of -|w - target|^2 / 2
    np.testing.assert_allclose(p["w"], target, atol=1e-3)


def test_momentum_accumulates_velocity():
    p = {"w": np.zeros(1)}
    opt = Momentum(learning_rate=1.0, momentum=0.5)
    for _ in range(3):
        opt.step(p, {"w": np.ones(1)})
    # v: 1, 1.5, 1.75 -> sum 4.25
    assert p["w"][0] == pytest.approx(4.25)


def test_schedules_follow_their_documented_formulas():
    assert scheduled_rate(0.1, 10, "constant") == 0.1
    assert scheduled_rate(0.1, 10, "exponential", 0.9) == pytest.approx(0.1 * 0.9 ** 10)
    assert scheduled_rate(0.1, 10, "inverse", 0.5) == pytest.approx(0.1 / 6.0)
    opt = SGD(0.1, schedule="inverse", decay=1.0)
    p = {"w": np.zeros(1)}
    opt.step(p, {"w": np.ones(1)})
    opt.step(p, {"w": np.ones(1)})
    assert p["w"][0] == pytest.approx(0.1 + 0.05)
    with pytest.raises(ValueError, match="schedule"):
        SGD(0.1, schedule="cosine")


def test_optimizer_state_round_trip_continues_identically():
    rng = np.random.default_rng(0)
    grads = [{"w": rng.normal(size=4)} for _ in range(6)]
    a, pa = Adam(0.01), {"w": np.zeros(4)}
    for g in grads[:3]:
        a.step(pa, g)
    b, pb = Adam(0.01), {"w": pa["w"].copy()}
    b.load_state_dict(a.state_dict())
    for g in grads[3:]:
        a.step(pa, g)
        b.step(pb, g)
    np.testing.assert_array_equal(pa["w"], pb["w"])


def test_soft_threshold_gives_exact_zeros():
    w = np.array([-0.3, -0.05, 0.0, 0.04, 0.2])
    np.testing.assert_allclose(soft_threshold(w, 0.1), [-0.2, 0.0, 0.0, 0.0, 0.1])
    assert np.count_nonzero(soft_threshold(w, 0.1)) == 2
