"""The one training loop: run length, evaluation cadence, early stopping, divergence roll-back."""

import numpy as np
import pytest

from boltzmann_lab.learning.optim import SGD
from boltzmann_lab.learning.trainer import Learner, Trainer


class Quadratic(Learner):
    """Ascends -|w - target|^2/2; 'val_ll' is scripted so early stopping can be tested exactly."""

    kind = "test"
    steps_per_epoch = 4.0

    def __init__(self, lr=0.1, val_curve=None):
        self.params = {"w": np.zeros(2)}
        self.target = np.array([1.0, 2.0])
        self.opt = SGD(lr)
        self.val_curve = val_curve
        self.evaluations = []

    def step(self):
        g = {"w": self.target - self.params["w"]}
        self.opt.step(self.params, g)
        return {"grad_norm": float(np.linalg.norm(g["w"]))}

    def evaluate(self):
        self.evaluations.append(self.opt.t)
        out = {"train_ll": -0.5 * float(np.sum((self.params["w"] - self.target) ** 2))}
        if self.val_curve is not None:
            out["val_ll"] = self.val_curve[self.opt.t]
        return out

    def views(self, n_show=16):
        return {"state": self.params["w"].copy()}


def test_runs_exactly_max_steps_and_evaluates_on_schedule():
    learner = Quadratic()
    snaps = list(Trainer(learner, max_steps=25, eval_every=10))
    assert [s.step for s in snaps] == list(range(1, 26))
    assert learner.evaluations == [1, 10, 20, 25]
    assert snaps[-1].done and "finished 25 steps" in snaps[-1].message
    assert snaps[-1].epoch == pytest.approx(25 / 4.0)
    assert "train_ll" in snaps[-1].metrics and "train_ll" not in snaps[1].metrics


def test_early_stopping_restores_the_best_parameters():
    # val_ll peaks at step 3 and then falls: with patience 2 and evaluation every step the run
    # stops at step 5 and w is put back to its value after step 3.
    curve = {t: v for t, v in enumerate([0, 1.0, 2.0, 3.0, 2.5, 2.0, 1.0, 0.5], start=0)}
    learner = Quadratic(val_curve=curve)
    trainer = Trainer(learner, max_steps=7, eval_every=1, monitor="val_ll", patience=2)
    snaps = list(trainer)
    assert snaps[-1].step == 5 and "early stopping" in snaps[-1].message
    w3 = np.array([1.0, 2.0]) * (1 - 0.9 ** 3)   # SGD on the quadratic after 3 steps
    np.testing.assert_allclose(learner.params["w"], w3)


def test_divergence_stops_and_keeps_the_last_good_parameters():
    learner = Quadratic(lr=3.0)       # |1 - lr| > 1: the iteration explodes geometrically
    trainer = Trainer(learner, max_steps=1000, eval_every=5, param_limit=1e3)
    snaps = list(trainer)
    assert "diverged" in snaps[-1].message and snaps[-1].done
    assert np.all(np.abs(learner.params["w"]) <= 1e3)
    assert snaps[-1].step < 1000


def test_request_stop_finishes_after_the_current_step():
    trainer = Trainer(Quadratic(), max_steps=None)
    for snap in trainer:
        if snap.step == 3:
            trainer.request_stop()
    assert snap.step == 4 and snap.message == "stopped by user"
    with pytest.raises(RuntimeError):
        trainer.step()


def test_state_dict_resumes_identically():
    a = Trainer(Quadratic(), max_steps=10)
    for _ in range(4):
        a.step()
    b = Trainer(Quadratic(), max_steps=10)
    b.load_state_dict(a.state_dict())
    b.learner.opt.load_state_dict(a.learner.opt.state_dict())
    assert b.step_count == 4
    np.testing.assert_array_equal(b.learner.params["w"], a.learner.params["w"])
    assert a.run().step == b.run().step == 10
    np.testing.assert_array_equal(b.learner.params["w"], a.learner.params["w"])


class NaNAtStep(Quadratic):
    """Writes a NaN into one coordinate at step 3 (e.g. an overflow in a model's own update)."""

    def step(self):
        out = super().step()
        if self.opt.t == 3:
            self.params["w"][1] = np.nan
        return out


def test_a_nan_parameter_stops_the_run_and_rolls_back():
    learner = NaNAtStep()
    snaps = list(Trainer(learner, max_steps=100, eval_every=1))
    # the run ends on the step that went bad, and says which step's parameters it kept
    assert snaps[-1].step == 3 and "NaN or infinite" in snaps[-1].message
    assert "(step 2)" in snaps[-1].message
    # the last good parameters are those checkpointed after step 2
    np.testing.assert_allclose(learner.params["w"], np.array([1.0, 2.0]) * (1 - 0.9 ** 2))


def test_roll_back_restores_the_last_checkpoint_after_a_step_that_raised():
    learner = Quadratic(lr=0.1)
    trainer = Trainer(learner, max_steps=100, eval_every=5)
    for _ in range(5):
        trainer.step()                      # step 5 evaluates: a checkpoint
    good = learner.params["w"].copy()
    trainer.step()
    learner.params["w"][...] = 123.0        # a consumer saw the next step raise half-way
    trainer.roll_back()
    np.testing.assert_array_equal(learner.params["w"], good)


class FakeClock:
    """Seconds advanced by the learner: each step costs ``step_s``, each evaluation ``eval_s``."""

    def __init__(self):
        self.t = 0.0

    def __call__(self):
        return self.t


class Timed(Quadratic):
    def __init__(self, clock, step_s, eval_s):
        super().__init__()
        self.clock, self.step_s, self.eval_s = clock, step_s, eval_s

    def step(self):
        self.clock.t += self.step_s
        return super().step()

    def evaluate(self):
        self.clock.t += self.eval_s
        return super().evaluate()


def test_expensive_evaluations_are_spaced_to_stay_within_the_time_budget():
    # steps cost 1 ms, an evaluation 100 ms.  The first (forced) evaluation measures the cost but
    # is not counted; evaluation k (k = 1, 2, ... of the counted ones) then needs
    # k * 0.1 * 0.85 / 0.15 s of training, and falls on a multiple of 10.
    clock = FakeClock()
    learner = Timed(clock, 1e-3, 0.1)
    trainer = Trainer(learner, max_steps=3000, eval_every=10, eval_budget=0.15, clock=clock)
    trainer.run()
    ev = learner.evaluations
    assert ev[0] == 1 and ev[-1] == 3000
    assert all(t % 10 == 0 for t in ev[1:])
    for k, t in enumerate(ev[1:-1], start=1):
        need = k * 0.1 * 0.85 / 0.15
        assert t * 1e-3 >= need - 1e-9 and (t - 10) * 1e-3 < need
    counted = ev[1:-1]                               # not the first, not the forced last one
    share = len(counted) * 0.1 / (3000 * 1e-3 + len(counted) * 0.1)
    assert share <= 0.15 + 1e-9
    assert len(ev) == 7                                # 1, 570, 1140, 1700, 2270, 2840, 3000
    assert trainer.eval_time == pytest.approx(len(ev) * 0.1)
    assert trainer.train_time == pytest.approx(3.0)


def test_cheap_evaluations_keep_the_fixed_cadence_and_budget_none_disables_it():
    clock = FakeClock()
    cheap = Timed(clock, 1e-4, 1e-3)          # 1 ms < MIN_EVAL_COST: never postponed
    Trainer(cheap, max_steps=40, eval_every=10, clock=clock).run()
    assert cheap.evaluations == [1, 10, 20, 30, 40]
    clock2 = FakeClock()
    costly = Timed(clock2, 1e-4, 1.0)
    Trainer(costly, max_steps=40, eval_every=10, eval_budget=None, clock=clock2).run()
    assert costly.evaluations == [1, 10, 20, 30, 40]
