"""RBM speed: one PCD-1 epoch (784 visible x 500 hidden, 10 000 binary samples, batch 100, one
thread) against scikit-learn's BernoulliRBM with the same settings in the same process, and the time
of AIS (forward + reverse) for that model.

Run:  python benchmarks/bench_rbm.py [--repeats 3] [--ais-betas 1000] [--ais-runs 100]

Settings matched to ``sklearn.neural_network.BernoulliRBM(n_components=500, learning_rate=0.1,
batch_size=100, n_iter=1)``: plain SGD with the same learning rate, PCD-1 with 100 persistent
chains (sklearn keeps ``batch_size`` persistent hidden samples), no weight decay, no momentum.
scikit-learn is a benchmark-only extra.  Times are medians of ``--repeats`` runs; each run starts
from a fresh model and a warmed-up JIT.  The data are synthetic binary "images" with MNIST-like
density (~13 % ones); neither implementation exploits sparsity, so the density does not matter.
"""

import os

for _v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ[_v] = "1"                       # one thread, set before numpy is imported

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from boltzmann_lab.sampling.ais import ais                      # noqa: E402
from boltzmann_lab.learning.rbm import RBMLearner      # noqa: E402

NV, NH, M, BATCH = 784, 500, 10_000, 100


def synthetic_images(seed=0):
    """Binary 28x28 'digits': pixel probabilities from a smooth random blob per sample."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:28, 0:28]
    cx, cy = rng.uniform(10, 18, (2, M, 1, 1))
    r = rng.uniform(4, 8, (M, 1, 1))
    ring = np.abs(np.hypot(xx - cx, yy - cy) - r) < 1.6
    noise = rng.random((M, 28, 28)) < 0.02
    return (ring ^ noise).reshape(M, NV).astype(np.float64)


def time_ours(X, precision, seed):
    lr = RBMLearner(X, n_hidden=NH, method="pcd", k=1, chains=BATCH, batch_size=BATCH,
                    learning_rate=0.1, optimizer="sgd", seed=seed, precision=precision)
    t = time.perf_counter()
    for _ in range(lr.steps_per_epoch):
        lr.step()
    return time.perf_counter() - t, lr


def time_sklearn(X, dtype, seed):
    from sklearn.neural_network import BernoulliRBM
    rbm = BernoulliRBM(n_components=NH, learning_rate=0.1, batch_size=BATCH, n_iter=1,
                       random_state=seed)
    Xd = X.astype(dtype)
    t = time.perf_counter()
    rbm.fit(Xd)
    return time.perf_counter() - t


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--ais-betas", type=int, default=1000)
    p.add_argument("--ais-runs", type=int, default=100)
    args = p.parse_args(argv)
    X = synthetic_images()
    print(f"data: {M} x {NV} binary, density {X.mean():.3f}; {NH} hidden, batch {BATCH}, "
          f"PCD-1, one thread, median of {args.repeats}")
    # warm up: JIT compilation (cached on disk after the first run) and BLAS
    time_ours(X[:2 * BATCH], "float32", 0)
    time_ours(X[:2 * BATCH], "float64", 0)
    res = {}
    for name, fn in (("ours float32", lambda s: time_ours(X, "float32", s)[0]),
                     ("ours float64", lambda s: time_ours(X, "float64", s)[0]),
                     ("sklearn float64", lambda s: time_sklearn(X, np.float64, s)),
                     ("sklearn float32", lambda s: time_sklearn(X, np.float32, s))):
        try:
            ts = [fn(s) for s in range(args.repeats)]
        except ImportError:
            print(f"{name:18s} skipped (scikit-learn not installed)")
            continue
        res[name] = statistics.median(ts)
        print(f"{name:18s} {res[name]:7.3f} s/epoch   (runs: {', '.join(f'{t:.3f}' for t in ts)})")
    # the GEMM floor: the five (100 x 784) x (784 x 500)-sized products of a PCD-1 step
    A = np.random.default_rng(1).random((BATCH, NV), dtype=np.float32)
    Wf = np.random.default_rng(2).random((NV, NH), dtype=np.float32)
    Hf = np.random.default_rng(3).random((BATCH, NH), dtype=np.float32)
    t = time.perf_counter()
    for _ in range(M // BATCH):
        A @ Wf, Hf @ Wf.T, A @ Wf, A.T @ Hf, A.T @ Hf
    floor = time.perf_counter() - t
    print(f"{'GEMM floor float32':18s} {floor:7.3f} s/epoch   (5 products per step, nothing else)")
    if "ours float32" in res and "sklearn float64" in res:
        print(f"speed-up vs sklearn float64: {res['sklearn float64'] / res['ours float32']:.2f}x "
              f"(target >= 2.5x)")
    if "ours float32" in res and "sklearn float32" in res:
        print(f"speed-up vs sklearn float32: {res['sklearn float32'] / res['ours float32']:.2f}x")

    # AIS on the 784 x 500 model after one epoch
    _, lr = time_ours(X, "float32", 0)
    for prec in ("float32",):
        t = time.perf_counter()
        r = ais(lr.model, n_betas=args.ais_betas, n_runs=args.ais_runs, seed=0, data=X,
                reverse_init=lr.v_chain)
        dt = time.perf_counter() - t
        print(f"AIS 784x500 ({prec}, {args.ais_betas} betas, {args.ais_runs} runs, forward + "
              f"reverse from the persistent chains): {dt:.2f} s = "
              f"{1e3 * dt / (2 * args.ais_betas):.2f} ms per temperature and direction; "
              f"log Z = {r.log_z:.2f} +- {r.log_z_se:.2f}, reverse "
              f"{r.log_z_reverse:.2f} +- {r.log_z_reverse_se:.2f}")
        ll = -lr.model.free_energy(X[:2000]).mean()
        print(f"  -> train LL after 1 epoch: {ll - r.log_z:.2f} (forward) / "
              f"{ll - r.log_z_reverse:.2f} (reverse) nats")


if __name__ == "__main__":
    main()
