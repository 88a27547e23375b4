"""MaxEnt fitting speed: exact-gradient fit of SK n = 20 and MCMC Boltzmann learning at n = 100.

    python benchmarks/bench_maxent.py [--quick]

1. SK couplings J_ij ~ N(0, 1/n), h = 0, n = 20, M = 10^4 samples drawn exactly.  Time to fit to
   convergence with the ``exact`` estimator through the real Trainer (target <= 2 s, REFERENCES.md),
   against a plain numpy + scipy L-BFGS maximum-likelihood fit by exact enumeration run in the same
   process to the same stopping rule (gradient < 0.05 sampling SE), with the ratio.
2. MCMC (persistent chains) for n = 100 SK-type data (β = 1, M = 10^4 drawn by long Gibbs runs)
   until converged (the moment error over the combined data and MCMC noise < 1, certified at
   fixed parameters; boltzmann_lab.learning.maxent_mcmc): wall time and steps.

Single-threaded BLAS for both sides (REFERENCES.md figures are single thread; an oversubscribed
multi-threaded OpenBLAS also makes small GEMMs erratic).
"""

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("NUMBA_NUM_THREADS", "1")

import argparse  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from boltzmann_lab.config import resolve  # noqa: E402
from boltzmann_lab.data.dataset import Dataset  # noqa: E402
from boltzmann_lab.exact.enumeration import enumerate_stats, sample_exact  # noqa: E402
from boltzmann_lab.data.generators import sk_couplings  # noqa: E402
from boltzmann_lab.learning.maxent import make_learner
from boltzmann_lab.stats.couplings import coupling_error
from boltzmann_lab.models.pairwise import PairwiseModel  # noqa: E402
from boltzmann_lab.learning.trainer import Trainer  # noqa: E402


def sk(n, beta, seed):
    return sk_couplings(n, beta, 0.0, seed)


gamma = coupling_error


def config(training):
    return resolve({"data": {"path": "unused.npy"}, "model": {"kind": "maxent"},
                    "training": training})


# ------------------------------------------------------------------ reference: numpy + scipy
def reference_fit(x, gtol):
    """Plain maximum likelihood: enumerate all 2^n spin states in numpy (chunks of 2^16), exact
    log Z and moments, scipy L-BFGS-B on (h, J_{i<j}).  Returns (h, J, iterations)."""
    from scipy.optimize import minimize

    M, n = x.shape
    iu = np.triu_indices(n, 1)
    d_mean = x.mean(0)
    d_second = (x.T @ x / M)[iu]
    chunk = 1 << 16
    idx = np.arange(chunk)

    def negll(theta):
        h = theta[:n]
        J = np.zeros((n, n))
        J[iu] = theta[n:]
        J = J + J.T
        logw, S_all = [], []
        # pass 1: energies and log Z
        for start in range(0, 1 << n, chunk):
            s = 2.0 * (((start + idx)[:, None] >> np.arange(n)) & 1) - 1.0
            logw.append(s @ h + 0.5 * np.einsum("ki,ki->k", s @ J, s))
            S_all.append(start)
        lw = np.concatenate(logw)
        mx = lw.max()
        lz = mx + np.log(np.exp(lw - mx).sum())
        # pass 2: moments
        m1 = np.zeros(n)
        m2 = np.zeros((n, n))
        for k, start in enumerate(S_all):
            s = 2.0 * (((start + idx)[:, None] >> np.arange(n)) & 1) - 1.0
            p = np.exp(logw[k] - lz)
            m1 += p @ s
            m2 += (s * p[:, None]).T @ s
        ll = d_mean @ h + d_second @ theta[n:] - lz
        grad = np.concatenate([d_mean - m1, d_second - m2[iu]])
        return -ll, -grad

    res = minimize(negll, np.zeros(n + len(iu[0])), jac=True, method="L-BFGS-B",
                   options={"gtol": gtol, "maxiter": 10000, "ftol": 1e-15})
    J = np.zeros((n, n))
    J[iu] = res.x[n:]
    return res.x[:n], J + J.T, res.nit


def bench_exact(repeats):
    n, M = 20, 10_000
    h0, J0 = sk(n, 1.0, seed=1)
    x = sample_exact(h0, J0, "spin", M, seed=2)
    ds = Dataset(x, np.zeros((0, n)), "spin")
    cfg = config({"estimator": "exact", "seed": 1})
    enumerate_stats(h0, J0, "spin")            # compile outside the timing
    make_learner(cfg, ds).views()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        learner = make_learner(cfg, ds)
        snap = Trainer(learner, max_steps=5000, eval_every=50).run()
        times.append(time.perf_counter() - t0)
    t_ours = min(times)
    g_ours = gamma(learner.params["J"], J0)
    # the same stopping rule for the reference: every gradient component < 0.05 sampling SE
    gtol = 0.05 * float(learner.noise.min())
    t0 = time.perf_counter()
    h_ref, J_ref, nit = reference_fit(x, gtol)
    t_ref = time.perf_counter() - t0
    g_ref = gamma(J_ref, J0)
    print("SK n=20, beta=1, M=10^4, exact-gradient maximum likelihood")
    print(f"  boltzmann-lab exact estimator (Trainer, adam lr 0.05): {t_ours:.2f} s "
          f"({snap.step} steps, {1e3 * t_ours / snap.step:.1f} ms/step, best of {repeats}); "
          f"gamma = {g_ours:.4f}; {snap.message}")
    print(f"  numpy + scipy L-BFGS-B, enumeration in numpy:        {t_ref:.2f} s "
          f"({nit} iterations); gamma = {g_ref:.4f}")
    print(f"  ratio reference / ours: {t_ref / t_ours:.1f}x   (target: ours <= 2 s)")
    print(f"  max |J_ours - J_ref| = {np.abs(learner.params['J'] - J_ref).max():.2e}")


BETA_MCMC = 1.0


def bench_mcmc(M):
    n = 100
    h0, J0 = sk(n, BETA_MCMC, seed=5)
    t0 = time.perf_counter()
    x = PairwiseModel(h0, J0, "spin").sample(M, seed=6)
    t_data = time.perf_counter() - t0
    ds = Dataset(x, np.zeros((0, n)), "spin")
    cfg = config({"estimator": "mcmc", "optimizer": "sgd", "learning_rate": 0.5,
                  "schedule": "inverse", "decay": 0.01, "chains": 1000, "sweeps": 10,
                  "seed": 1, "tolerance": 1.0})
    make_learner(cfg, ds).step()                # compile outside the timing
    t0 = time.perf_counter()
    learner = make_learner(cfg, ds)
    snap = Trainer(learner, max_steps=3000, eval_every=100).run()
    t = time.perf_counter() - t0
    print(f"SK-type n=100, beta={BETA_MCMC}, M={M} (data by Gibbs, {t_data:.1f} s), MCMC "
          f"(1000 chains x 10 sweeps per step, sgd lr 0.5/(1+0.01 t))")
    print(f"  until converged (error / combined noise < 1 at fixed parameters): {t:.2f} s, "
          f"{snap.step} steps ({1e3 * t / snap.step:.1f} ms/step); error_per_noise = "
          f"{snap.metrics.get('error_per_noise', float('nan')):.3f}, gamma = "
          f"{gamma(learner.params['J'], J0):.3f}; {snap.message}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="one repeat, fewer samples for n = 100")
    a = ap.parse_args()
    bench_exact(1 if a.quick else 3)
    bench_mcmc(2000 if a.quick else 10_000)


if __name__ == "__main__":
    main()
