"""Evaluation within a budget, on a deterministic schedule.

Part 1 — a 64 x 20 RBM (exact log-likelihood by enumerating the 2^20 hidden states) trained
through the config path the CLI and the app use (:func:`boltzmann_lab.build.make_trainer`) at the
defaults (``eval_every = 10``, ``eval_budget = 0.15``), with evaluation on against evaluation off
(``evaluate`` replaced by a no-op) and against no budget (every 10 steps), in the same process.
The run is two scheduled intervals long (the interval k comes from the learner's a-priori cost
estimate, :mod:`boltzmann_lab.learning.cost`), so it evaluates at step 1 (forced), k and 2k (the
last).  Printed: steps per second of ``trainer.step(with_views=False)`` (what the CLI calls), the
measured share of time in evaluation over the whole run and in steady state (after the forced
first evaluation: the share the schedule controls, target <= 15 %).

Part 2 — is the cost model honest?  For a few learners and sizes, the estimated cost of one
evaluation in training steps (``learner.evaluation_cost()``) against the measured one (the mean
of two evaluations / the mean step over 200 steps, after warm-up).

Run:  python benchmarks/bench_eval_budget.py [--repeats 2] [--skip-rbm-run]

Data: 2000 rows of 64 spins from two ordered modes (all +1 or all -1, each spin flipped with
probability 0.1), 10 % held out; random binary data for part 2.
"""

import os

for _v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ[_v] = "1"

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from boltzmann_lab import config as _config            # noqa: E402
from boltzmann_lab.build import make_trainer          # noqa: E402


def bimodal(M=2000, n=64, flip=0.1, seed=0):
    rng = np.random.default_rng(seed)
    sign = np.where(rng.random(M) < 0.5, 1.0, -1.0)[:, None]
    return sign * np.where(rng.random((M, n)) < flip, -1.0, 1.0)


def make(path, steps=None, budget=0.15):
    cfg = _config.resolve({"data": {"path": str(path), "convention": "spin"},
                           "model": {"kind": "rbm", "hidden": 20},
                           "training": {"steps": steps or 10, "eval_every": 10, "seed": 1,
                                        "eval_budget": budget}})
    return make_trainer(cfg)


def run(path, steps, budget=0.15, off=False):
    """(steps/s, evaluated steps, whole-run evaluation share, steady-state share)."""
    trainer = make(path, steps, budget)
    learner = trainer.learner
    if off:
        learner.evaluate = dict                  # evaluation off: not even the first and last
    evals = []
    t = time.perf_counter()
    first_done = None
    while not trainer.done:
        snap = trainer.step(with_views=False)
        if "train_ll" in snap.metrics:
            evals.append(snap.step)
        if snap.step == 1:
            first_done = (time.perf_counter(), trainer.eval_time)
    end = time.perf_counter()
    wall = end - t
    share = trainer.eval_time / max(trainer.train_time + trainer.eval_time, 1e-12)
    steady = (trainer.eval_time - first_done[1]) / max(end - first_done[0], 1e-12)
    return steps / wall, evals, share, steady


def rbm_run(repeats):
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "bimodal.npy"
        np.save(path, bimodal())
        run(path, 20)                                       # compile / warm up
        trainer = make(path)
        k = trainer.interval
        est = trainer.learner.evaluation_cost()
        print(f"64 x 20 RBM: estimated evaluation cost {est:.0f} steps -> interval k = {k} "
              f"(eval_every 10, budget 15 %); runs of 2k = {2 * k} steps")
        rows = {}
        for name, steps, budget, off in (("evaluation off", 2 * k, 0.15, True),
                                         ("evaluation on (budget 15 %)", 2 * k, 0.15, False),
                                         ("no budget (every 10 steps)", 200, 1.0, False)):
            res = [run(path, steps, budget, off) for _ in range(repeats)]
            rate = statistics.median(r[0] for r in res)
            rows[name] = rate
            r = res[0]
            print(f"{name:30s} {rate:8.1f} steps/s   evaluated at {len(r[1])} steps "
                  f"{r[1][:3]}{'...' if len(r[1]) > 3 else ''} of {steps}   evaluation share "
                  f"{100 * r[2]:5.1f} % (steady state {100 * statistics.median(x[3] for x in res):5.1f} %)")
        on, off = rows["evaluation on (budget 15 %)"], rows["evaluation off"]
        print(f"ratio on / off: {on / off:.3f}   (target >= 200 steps/s with evaluation on: "
              f"{'met' if on >= 200 else 'NOT met'})")
        print(f"ratio on / every 10 steps: {on / rows['no budget (every 10 steps)']:.1f}")


def _measure(learner, steps=200):
    """(seconds per step, seconds per evaluation): means, so that both see the machine's load
    alike (on a busy machine the median step is several times faster than the mean, while an
    evaluation of seconds averages over the load)."""
    for _ in range(10):
        learner.step()
    learner.evaluate()                                      # compile / warm up
    t = time.perf_counter()
    for _ in range(steps):
        learner.step()
    step = (time.perf_counter() - t) / steps
    t = time.perf_counter()
    for _ in range(2):
        learner.evaluate()
    return step, (time.perf_counter() - t) / 2


def learners():
    from boltzmann_lab.learning.constraints import Constraints
    from boltzmann_lab.learning.dbm import DBMLearner
    from boltzmann_lab.learning.maxent import MaxEntLearner
    from boltzmann_lab.learning.rbm import RBMLearner
    rng = np.random.default_rng(0)

    def binary(M, n):
        return (rng.random((M, n)) < 0.3).astype(float)

    for nv, nh in ((64, 16), (64, 18), (64, 20), (784, 12), (784, 100)):
        x = binary(2000, nv)
        yield f"RBM {nv} x {nh}", RBMLearner(x[:1800], x[1800:], n_hidden=nh)
    for nv, hid in ((16, (8, 8)), (16, (20, 20)), (64, (32, 32))):
        x = binary(300, nv)
        yield f"DBM {nv} x {hid}", DBMLearner(x[:270], x[270:], hidden=hid, pretrain_epochs=0)
    for n, est in ((16, "mcmc"), (20, "pseudolikelihood"), (20, "exact")):
        x = binary(5000, n)
        full = ~np.eye(n, dtype=bool)
        yield f"MaxEnt n = {n} ({est})", MaxEntLearner(
            x[:4500], x[4500:], "binary", Constraints(True, full, False), estimator=est,
            chains=200)


def cost_table():
    print("\nestimated vs measured cost of one evaluation, in training steps:")
    print(f"{'learner':34s} {'estimated':>10s} {'measured':>10s} {'est/meas':>9s}   (eval s, step ms)")
    for name, learner in learners():
        est = learner.evaluation_cost()
        step, ev = _measure(learner)
        meas = ev / step
        print(f"{name:34s} {est:10.1f} {meas:10.1f} {est / meas:9.2f}   ({ev:.3g} s, "
              f"{1e3 * step:.3g} ms)")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--skip-rbm-run", action="store_true")
    a = ap.parse_args(argv)
    if not a.skip_rbm_run:
        rbm_run(a.repeats)
    cost_table()


if __name__ == "__main__":
    main()
