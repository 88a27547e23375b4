"""Cost of the Python API layer: start-up and the estimator's overhead over the bare Trainer.

    python benchmarks/bench_api.py [--quick]

1. ``import boltzmann_lab`` in a fresh interpreter (what the CLI pays before anything else),
   against ``import numpy`` in a fresh interpreter; medians of repeated runs.
2. ``bl.RBM(...).fit(X)`` on the binarised digits (64 visible, 16 hidden, 5 epochs, no progress
   bar) against the same config driven by ``build.make_trainer(cfg, dataset).run()`` in the same
   process (the estimator adds config validation, data preparation and the history table; the
   training loop is the same object).  Medians, ratio estimator / bare.
"""

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("NUMBA_NUM_THREADS", "1")

import argparse  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402


def _fresh(code, repeats):
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    repeats = 3 if args.quick else 9

    t_bl = _fresh("import boltzmann_lab", repeats)
    t_np = _fresh("import numpy", repeats)
    print(f"import boltzmann_lab: {1e3 * t_bl:.0f} ms   import numpy: {1e3 * t_np:.0f} ms   "
          f"ratio {t_bl / t_np:.2f}   (fresh interpreters, median of {repeats})")

    import boltzmann_lab as bl
    from boltzmann_lab import config
    from boltzmann_lab.build import make_trainer
    from boltzmann_lab.data.dataset import Dataset

    X = bl.datasets.digits(binarize=True)
    kw = dict(n_hidden=16, epochs=5, seed=0, progress=False)
    bl.RBM(**kw).fit(X[:200])                                 # compile outside the timing

    def estimator():
        bl.RBM(**kw).fit(X)

    def bare():
        cfg = config.resolve({"data": {"path": "x.npy"}, "model": {"kind": "rbm", "hidden": 16},
                              "training": {"epochs": 5, "seed": 0}})
        make_trainer(cfg, Dataset(X, X[:0], "binary", (8, 8))).run()

    est, raw = [], []
    for _ in range(repeats):
        for fn, out in ((estimator, est), (bare, raw)):
            t = time.perf_counter()
            fn()
            out.append(time.perf_counter() - t)
    e, r = statistics.median(est), statistics.median(raw)
    print(f"RBM 64x16, 5 epochs of 1797 digits: estimator fit {1e3 * e:.0f} ms   bare Trainer "
          f"{1e3 * r:.0f} ms   ratio {e / r:.3f}   (median of {repeats})")


if __name__ == "__main__":
    main()
