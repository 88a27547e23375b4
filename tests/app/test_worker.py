"""The training worker on its own, with a tiny fake learner (a random walk on a lattice): commands,
latest-wins snapshots, buffered curve points, errors, quitting."""

from __future__ import annotations

import time

import numpy as np
import pytest

from boltzmann_lab.app.worker import Worker
from boltzmann_lab.learning.trainer import Learner, Trainer


class WalkLearner(Learner):
    """Flips one random spin of an 8x8 lattice per step; ``energy`` = mean spin."""

    kind = "ising"
    convention = "spin"
    image_shape = (8, 8)
    steps_per_epoch = 1.0

    def __init__(self, delay=0.001, fail_at=None):
        self.rng = np.random.default_rng(0)
        self.state = np.ones(64)
        self.params = {"w": np.zeros(1)}
        self.delay = delay
        self.fail_at = fail_at
        self.n = 0
        self.temperature = 1.0

    def step(self):
        self.n += 1
        if self.fail_at is not None and self.n == self.fail_at:
            raise ValueError("the fake model broke")
        time.sleep(self.delay)
        self.state[self.rng.integers(64)] *= -1
        return {"energy": float(self.state.mean())}

    def views(self, n_show=16):
        return {"state": self.state.copy()}

    def set_hyper(self, name, value):
        if name != "temperature":
            raise KeyError(f"no parameter {name}")
        self.temperature = value

    def apply_edit(self, idx, values):
        self.state[idx] = values


def make(max_steps=None, **kw):
    def builder(cfg, dataset):
        return Trainer(WalkLearner(**kw), max_steps=max_steps, eval_every=1000), None
    return Worker({"model": {"kind": "ising"}}, builder=builder)


@pytest.fixture
def worker():
    made = []

    def factory(**kw):
        w = make(**kw)
        made.append(w)
        w.start()
        return w
    yield factory
    for w in made:
        assert w.quit_and_wait(30)


def wait_for(cond, timeout=20.0):
    t0 = time.perf_counter()
    while not cond():
        if time.perf_counter() - t0 > timeout:
            raise AssertionError("condition not reached")
        time.sleep(0.005)


def test_every_metric_point_arrives_once_and_in_order(worker):
    w = worker(max_steps=400)
    wait_for(lambda: w.state == "ready")
    w.play()
    got = []
    deadline = time.perf_counter() + 60.0  # a hang fails the test instead of blocking the suite
    while True:
        done = w.state == "done"          # read before taking: nothing can follow "done"
        got.extend(w.take()[1])
        if done:
            break
        assert time.perf_counter() < deadline, f"run not done after 60 s ({w.step_count} steps)"
        time.sleep(0.03)
    assert [p[0] for p in got] == list(range(1, 401))


def test_buffer_is_bounded_when_nobody_reads(worker):
    w = worker(delay=0.0)
    wait_for(lambda: w.state == "ready")
    w.play()
    wait_for(lambda: w.step_count > w.MAX_POINTS + 1000, timeout=60)
    w.pause()
    assert len(w._points) <= w.MAX_POINTS
    _, points, _ = w.take()
    assert len(points) == w.MAX_POINTS and points[-1][0] <= w.step_count


def test_pause_stops_the_steps(worker):
    w = worker(delay=0.002)
    wait_for(lambda: w.state == "ready")
    w.play()
    wait_for(lambda: w.step_count > 50)
    w.pause()
    # no timing assumption: once the worker has handled the pause, not one more step is taken
    wait_for(lambda: w.state == "paused")
    frozen = w.step_count
    time.sleep(0.3)
    assert w.step_count == frozen and w.state == "paused"


def test_pause_takes_effect_within_one_chunk_of_work(worker):
    # The issue asks that pause takes effect within 200 ms.  Counting steps instead of timing
    # them: commands are drained between chunks of ~15 ms, so after pause() at most one chunk of
    # steps may still run.  Each fake step sleeps `delay`, so a chunk holds at most
    # ceil(chunk / delay) + 1 steps, i.e. the pause lands within chunk + one step (~20 ms of the
    # worker's own time), whatever the load of the machine.
    delay = 0.002
    w = worker(delay=delay)
    wait_for(lambda: w.state == "ready")
    w.play()
    wait_for(lambda: w.step_count > 50)
    before = w.step_count
    w.pause()
    wait_for(lambda: w.state == "paused")
    allowed = int(np.ceil(w._chunk / delay)) + 1
    assert w.step_count - before <= allowed, (w.step_count - before, allowed)


def test_display_arrays_are_built_once_per_chunk_not_per_step(worker):
    # views can cost more than a step on large models: only the snapshot the GUI draws gets them
    w = worker(delay=0.0005)
    wait_for(lambda: w.state == "ready")
    learner = w.trainer.learner
    calls = []
    original = learner.views
    learner.views = lambda n_show=16: calls.append(1) or original(n_show)
    w.play()
    wait_for(lambda: w.step_count > 300)
    w.pause()
    wait_for(lambda: w.state == "paused")
    snap, points, _ = w.take()
    assert snap is not None and "state" in snap.views          # what is drawn has its arrays
    assert len(points) >= 300                                 # every step's metrics still arrive
    # a chunk of ~15 ms holds ~20 steps of 0.5 ms: far fewer view builds than steps
    assert 0 < len(calls) < w.step_count / 4, (len(calls), w.step_count)


def test_step_performs_exactly_one_step(worker):
    w = worker()
    wait_for(lambda: w.state == "ready")
    for k in (1, 2, 3):
        w.step_once()
        wait_for(lambda: w.step_count == k)
    time.sleep(0.05)
    assert w.step_count == 3


def test_reset_starts_again_from_step_zero(worker):
    w = worker()
    wait_for(lambda: w.state == "ready")
    w.step_once(5)
    wait_for(lambda: w.step_count == 5)
    w.reset()
    wait_for(lambda: w.step_count == 0 and w.state == "ready")
    snap, _, _ = w.take()
    assert snap.step == 0 and snap.views["state"].shape == (64,)


def test_error_in_a_step_is_reported_and_training_pauses(worker):
    w = worker(fail_at=3)
    wait_for(lambda: w.state == "ready")
    w.play()
    wait_for(lambda: w.state == "paused")
    _, _, events = w.take()
    errors = [e.text for e in events if e.kind == "error"]
    assert errors and "the fake model broke" in errors[0]
    assert w.step_count == 2
    w.step_once()                       # the app stays usable
    wait_for(lambda: w.step_count == 3)


def test_hyper_and_edit_commands_reach_the_learner(worker):
    w = worker()
    wait_for(lambda: w.state == "ready")
    w.set_hyper("temperature", 2.5)
    w.set_hyper("learning_rate", 0.1)
    w.apply_edit(np.arange(10), -np.ones(10))
    wait_for(lambda: w._commands.empty())
    time.sleep(0.05)
    snap, _, events = w.take()
    assert w.trainer.learner.temperature == 2.5
    assert any(e.kind == "hyper_rejected" and "learning_rate" in e.text for e in events)
    assert (snap.views["state"][:10] == -1).all() and (snap.views["state"][10:] == 1).all()


def test_failed_build_reports_the_error_and_still_quits():
    def builder(cfg, dataset):
        raise ValueError("data.npy: not a NumPy file")
    w = Worker({"model": {"kind": "rbm"}}, builder=builder)
    w.start()
    wait_for(lambda: w.state == "failed")
    _, _, events = w.take()
    assert [e.text for e in events if e.kind == "error"] == ["data.npy: not a NumPy file"]
    assert w.quit_and_wait(10)


def test_quit_while_playing_finishes_the_thread(worker):
    w = worker(delay=0.0)
    wait_for(lambda: w.state == "ready")
    w.play()
    wait_for(lambda: w.step_count > 100)
    assert w.quit_and_wait(10)
    assert w.isFinished()


def test_speed_control_limits_steps_per_second(worker):
    w = worker(delay=0.0)                  # unthrottled this fake runs thousands of steps/s
    wait_for(lambda: w.state == "ready")
    w.set_speed(0.1)                       # 0.1 step per 30 Hz frame = 3 steps/s
    w.play()
    t0 = time.perf_counter()
    wait_for(lambda: w.step_count >= 1)
    time.sleep(max(0.0, 0.6 - (time.perf_counter() - t0)))
    w.pause()
    wait_for(lambda: w.state == "paused")  # the elapsed time covers every step taken (a loaded
    elapsed = time.perf_counter() - t0     # machine only lowers the count: no flaky bound)
    # at most the rate times the elapsed time, plus the one step of credit a start may carry
    assert 1 <= w.step_count <= 3 * elapsed + 2
    w.set_speed(None)
    w.play()
    wait_for(lambda: w.step_count > 200)   # max speed is not throttled


class SlowFirstStep(WalkLearner):
    """The first step stands for numba compiling its kernels."""

    def step(self):
        if self.n == 0:
            time.sleep(0.4)
        return super().step()


class Diverging(WalkLearner):
    """Its parameter blows up at step 3 (a learning rate far too large)."""

    def step(self):
        out = super().step()
        self.params["w"][0] = np.inf if self.n == 3 else self.n
        return out


def start_with(learner):
    w = Worker({"model": {"kind": "ising"}},
               builder=lambda cfg, ds: (Trainer(learner, eval_every=1000), None))
    w.start()
    wait_for(lambda: w.state == "ready")
    return w


def test_first_step_is_announced_as_compiling():
    w = start_with(SlowFirstStep())
    try:
        w.play()
        wait_for(lambda: w.state == "compiling", timeout=5)
        wait_for(lambda: w.step_count >= 2)
        assert w.state == "running"
        _, _, events = w.take()
        assert [e.kind for e in events].count("compiling") == 1
    finally:
        assert w.quit_and_wait(10)


def test_divergence_is_reported_and_the_last_good_parameters_are_kept():
    learner = Diverging()
    w = start_with(learner)
    try:
        w.play()
        wait_for(lambda: w.state == "done")
        _, _, events = w.take()
        warnings = [e.text for e in events if e.kind == "warning"]
        assert len(warnings) == 1 and "diverged" in warnings[0]
        assert np.isfinite(learner.params["w"]).all()
    finally:
        assert w.quit_and_wait(10)
