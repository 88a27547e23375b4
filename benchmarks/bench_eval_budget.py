"""Evaluation within a budget: a 64 x 20 RBM (exact log-likelihood by enumerating the 2^20 hidden
states, ~0.1 s per evaluation) trained through the config path the CLI and the app use
(:func:`boltzmann_lab.build.make_trainer`), with evaluation on at the defaults (``eval_every = 10``,
the trainer's 15 % time budget) against evaluation off (``evaluate`` replaced by a no-op) and
against the old fixed cadence (every 10 steps, no budget), in the same process.  The first and
the last step are always evaluated and count in the "on" figure: over a short run they are most
of the evaluation time.

Run:  python benchmarks/bench_eval_budget.py [--steps 4000] [--repeats 3]

Data: 2000 rows of 64 spins from two ordered modes (all +1 or all -1, each spin flipped with
probability 0.1), 10 % held out.  Training settings are the config defaults (PCD).  The figure
is steps per second of ``trainer.step(with_views=False)`` (what the CLI calls), median of
``--repeats``; the evaluation share is ``trainer.eval_time / (train_time + eval_time)``.
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


def run(path, steps, eval_every, budget, off=False):
    cfg = _config.resolve({"data": {"path": str(path), "convention": "spin"},
                           "model": {"kind": "rbm", "hidden": 20},
                           "training": {"steps": steps, "eval_every": eval_every, "seed": 1}})
    trainer = make_trainer(cfg)
    if budget is None:
        trainer.eval_budget = None
    if off:
        trainer.learner.evaluate = dict          # evaluation off: not even the first and last
    evals = 0
    t = time.perf_counter()
    while not trainer.done:
        snap = trainer.step(with_views=False)
        evals += "train_ll" in snap.metrics
    wall = time.perf_counter() - t
    share = trainer.eval_time / max(trainer.train_time + trainer.eval_time, 1e-12)
    return steps / wall, evals, share


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=4000)
    ap.add_argument("--repeats", type=int, default=3)
    a = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "bimodal.npy"
        np.save(path, bimodal())
        run(path, 20, 10, 0.15)                             # compile / warm up
        rows = {}
        for name, every, budget, off in (("evaluation off", 10, 0.15, True),
                                         ("evaluation on (budget 15 %)", 10, 0.15, False),
                                         ("fixed every 10 steps (old)", 10, None, False)):
            steps = a.steps if budget is not None else max(200, a.steps // 20)
            res = [run(path, steps, every, budget, off) for _ in range(a.repeats)]
            rate = statistics.median(r[0] for r in res)
            rows[name] = rate
            print(f"{name:30s} {rate:9.1f} steps/s   evaluations {res[0][1]:4d} "
                  f"in {steps} steps   evaluation share {100 * res[0][2]:5.1f} %")
    on, off = rows["evaluation on (budget 15 %)"], rows["evaluation off"]
    print(f"ratio on / off: {on / off:.3f}   (target >= 200 steps/s with evaluation on: "
          f"{'met' if on >= 200 else 'NOT met'})")
    print(f"ratio on / old fixed cadence: {on / rows['fixed every 10 steps (old)']:.1f}")


if __name__ == "__main__":
    main()
