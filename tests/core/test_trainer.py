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
    """A clock that advances by ``dt`` at every call (``wild``: by erratic, huge amounts)."""

    def __init__(self, dt=1e-3, wild=False):
        self.t, self.dt, self.wild, self.calls = 0.0, dt, wild, 0

    def __call__(self):
        self.calls += 1
        self.t += self.dt * ((self.calls * 7919) % 1000 + 1) ** 2 if self.wild else self.dt
        return self.t


class Costly(Quadratic):
    """Reports an a-priori evaluation cost of ``cost`` steps."""

    def __init__(self, cost, **kw):
        super().__init__(**kw)
        self.cost = cost

    def evaluation_cost(self):
        return self.cost


def test_eval_interval_is_the_smallest_multiple_of_eval_every_within_the_budget():
    from boltzmann_lab.learning.cost import eval_interval
    assert eval_interval(10, None, 0.15) == 10                 # cheap: the fixed cadence
    assert eval_interval(10, 100.0, None) == 10                # no budget
    assert eval_interval(10, 100.0, 1.0) == 10
    # cost 100 steps, 15 %: k >= 100 * 0.85 / 0.15 = 566.7 -> 570
    assert eval_interval(10, 100.0, 0.15) == 570
    for every, cost, b in ((10, 100.0, 0.15), (7, 3.3, 0.2), (1, 1e4, 0.05), (10, 0.5, 0.15)):
        k = eval_interval(every, cost, b)
        assert k % every == 0 and cost / (k + cost) <= b + 1e-12
        assert k == every or cost / (k - every + cost) > b       # the smallest such multiple


def test_expensive_evaluations_are_spaced_by_their_estimated_cost():
    learner = Costly(100.0)                                     # one evaluation = 100 steps
    trainer = Trainer(learner, max_steps=3000, eval_every=10, eval_budget=0.15)
    assert trainer.interval == 570
    trainer.run()
    assert learner.evaluations == [1, 570, 1140, 1710, 2280, 2850, 3000]
    # within the budget by the estimate, apart from the forced first and last evaluations
    scheduled = len(learner.evaluations) - 2
    assert scheduled * 100 / (3000 + scheduled * 100) <= 0.15


def test_cheap_evaluations_keep_the_fixed_cadence_and_budget_none_disables_it():
    cheap = Quadratic()                                         # evaluation_cost() is None
    Trainer(cheap, max_steps=40, eval_every=10).run()
    assert cheap.evaluations == [1, 10, 20, 30, 40]
    costly = Costly(1e6)
    Trainer(costly, max_steps=40, eval_every=10, eval_budget=None).run()
    assert costly.evaluations == [1, 10, 20, 30, 40]
    capped = Costly(1e6)
    Trainer(capped, max_steps=40, eval_every=10).run()
    assert capped.evaluations == [1, 40]                        # the first and the last only


def test_convergence_and_a_requested_stop_are_always_evaluated():
    learner = Costly(1e6)
    trainer = Trainer(learner, max_steps=None, eval_every=10)
    for snap in trainer:
        if snap.step == 17:
            trainer.request_stop()
    assert learner.evaluations == [1, 18] and "train_ll" in snap.metrics


def test_the_schedule_ignores_the_clock():
    # the same config with a sane clock and a wildly erratic one: identical evaluated steps,
    # early stopping at the same step, identical history and parameters; the clock only feeds
    # the reported train_time / eval_time
    curve = {t: float(np.sin(t / 50.0)) for t in range(0, 4001)}
    runs = []
    for clock in (FakeClock(), FakeClock(dt=3.7, wild=True)):
        learner = Costly(40.0, val_curve=curve)
        trainer = Trainer(learner, max_steps=4000, eval_every=10, monitor="val_ll", patience=2,
                          clock=clock)
        trainer.run()
        runs.append((learner.evaluations, list(trainer.history), learner.params["w"].copy(),
                     trainer.message, trainer.eval_time))
    (ev_a, hist_a, w_a, msg_a, t_a), (ev_b, hist_b, w_b, msg_b, t_b) = runs
    assert ev_a == ev_b and hist_a == hist_b and msg_a == msg_b
    np.testing.assert_array_equal(w_a, w_b)
    assert t_a != t_b                                           # the clocks did differ


def test_the_same_config_gives_the_same_history_under_any_clock(tmp_path):
    # an RBM through the config path of the CLI and the app, with early stopping: its evaluation
    # is costly enough to be spaced beyond eval_every, and the run's history (what metrics.jsonl
    # holds) must not depend on how long anything took
    from boltzmann_lab import config
    from boltzmann_lab.build import make_trainer
    rng = np.random.default_rng(0)
    np.save(tmp_path / "x.npy", (rng.random((400, 16)) < 0.3).astype(float))
    cfg = config.resolve({"data": {"path": str(tmp_path / "x.npy")},
                          "model": {"kind": "rbm", "hidden": 12},
                          "training": {"steps": 300, "eval_every": 5, "seed": 3,
                                       "early_stopping": True, "patience": 3}})
    runs = []
    for clock in (FakeClock(), FakeClock(dt=11.0, wild=True)):
        trainer = make_trainer(cfg)
        trainer.clock = clock
        trainer.run()
        runs.append((list(trainer.history), trainer.message,
                     {k: v.copy() for k, v in trainer.learner.params.items()}))
    assert make_trainer(cfg).interval > 5                      # spaced by the estimated cost
    (h_a, m_a, p_a), (h_b, m_b, p_b) = runs
    assert h_a == h_b and m_a == m_b
    for k in p_a:
        np.testing.assert_array_equal(p_a[k], p_b[k])
