"""Pairwise-model benchmarks: Gibbs sweeps over many chains, and exact enumeration.

Prints, each against a plain-numpy reference run in the same process, the median of several
repeats and the ratio:

* pairwise Gibbs, n = 100 dense J, 1000 chains: ns per spin update (target <= 9; numpy vectorised
  over chains ~29 on the reference machine);
* exact log Z + all first and second moments, n = 20: ms (target <= 5); the reference enumerates
  all 2^20 states in numpy blocks.

``run()`` is called by ``benchmarks/bench_sampling.py``; ``python benchmarks/pairwise_section.py``
runs it alone.
"""

import os
import sys
import time

import numpy as np

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from boltzmann_lab.exact import enumeration  # noqa: E402
from boltzmann_lab.kernels.enumerate import single_thread_blas  # noqa: E402
from boltzmann_lab.models.pairwise import PairwiseSampler  # noqa: E402


def _median_time(fn, repeats):
    """Medians over ``repeats`` calls of (wall-clock seconds, this thread's CPU seconds).

    On a busy shared machine wall time includes waiting for a core; the thread's CPU time does not
    (everything measured here runs on the calling thread: numba kernels and BLAS pinned to one
    thread), so both are printed.
    """
    wall, cpu = [], []
    with single_thread_blas():
        for _ in range(repeats):
            t0, c0 = time.perf_counter(), time.thread_time()
            fn()
            wall.append(time.perf_counter() - t0)
            cpu.append(time.thread_time() - c0)
    return float(np.median(wall)), float(np.median(cpu))


def sk_model(n, beta, seed):
    rng = np.random.default_rng(seed)
    J = rng.normal(scale=beta / np.sqrt(n), size=(n, n))
    J = np.triu(J, 1)
    return 0.1 * rng.normal(size=n), J + J.T


def numpy_gibbs_sweep(X, h, J, beta, rng):
    """Reference: one sequential heat-bath sweep of spins vectorised over chains, X (n, chains)."""
    n, C = X.shape
    for i in range(n):
        f = h[i] + J[i] @ X
        p = 1.0 / (1.0 + np.exp(-2.0 * beta * f))
        X[i] = np.where(rng.random(C) < p, 1.0, -1.0)


def numpy_exact_moments(h, J, block=1 << 16):
    """Reference: log Z, E[s], E[s s^T] of a spin model by listing all 2^n states in blocks."""
    n = len(h)
    idx = np.arange(1 << n, dtype=np.int64)
    neg_e = np.empty(1 << n)
    for b0 in range(0, 1 << n, block):
        X = 2.0 * ((idx[b0:b0 + block, None] >> np.arange(n)) & 1) - 1.0
        neg_e[b0:b0 + block] = X @ h + 0.5 * np.einsum("ri,ri->r", X @ J, X)
    m = neg_e.max()
    w = np.exp(neg_e - m)
    z = w.sum()
    mean = np.zeros(n)
    second = np.zeros((n, n))
    for b0 in range(0, 1 << n, block):
        X = 2.0 * ((idx[b0:b0 + block, None] >> np.arange(n)) & 1) - 1.0
        wb = w[b0:b0 + block]
        mean += wb @ X
        second += (X * wb[:, None]).T @ X
    return m + np.log(z), mean / z, second / z


def _fmt(w, c, unit):
    return f"{w:7.2f} {unit} (cpu {c:6.2f})"


def bench_gibbs(n=100, chains=1000, sweeps=50, repeats=5):
    h, J = sk_model(n, 1.0, seed=0)
    sampler = PairwiseSampler(n, chains, "spin", seed=1, method="gibbs")
    sampler.run(h, J, sweeps=2)                       # compile (or load the cache) and warm up
    per = 1e9 / (sweeps * n * chains)
    w, c = _median_time(lambda: sampler.run(h, J, sweeps=sweeps), repeats)
    fast = (w * per, c * per)
    w, c = _median_time(lambda: sampler.moments(h, J, sweeps=sweeps), repeats)
    measured = (w * per, c * per)

    rng = np.random.default_rng(2)
    X = np.where(rng.random((n, chains)) < 0.5, 1.0, -1.0)
    ref_sweeps = max(1, sweeps // 10)
    per_ref = 1e9 / (ref_sweeps * n * chains)
    w, c = _median_time(lambda: [numpy_gibbs_sweep(X, h, J, 1.0, rng) for _ in range(ref_sweeps)],
                        repeats)
    ref = (w * per_ref, c * per_ref)
    print(f"pairwise Gibbs, n={n} dense J, {chains} chains, ns per spin update [target <= 9]:\n"
          f"    numba   {_fmt(*fast, 'ns')}   with moments every sweep {_fmt(*measured, 'ns')}\n"
          f"    numpy vectorised over chains {_fmt(*ref, 'ns')}   ratio {ref[0] / fast[0]:5.1f}x "
          f"(cpu {ref[1] / fast[1]:5.1f}x)")
    return {"gibbs_ns": fast[0], "gibbs_cpu_ns": fast[1], "gibbs_measured_ns": measured[0],
            "numpy_gibbs_ns": ref[0], "numpy_gibbs_cpu_ns": ref[1]}


def bench_metropolis(n=100, chains=1000, sweeps=50, repeats=5):
    h, J = sk_model(n, 1.0, seed=0)
    sampler = PairwiseSampler(n, chains, "spin", seed=1, method="metropolis")
    sampler.run(h, J, sweeps=2)
    per = 1e9 / (sweeps * n * chains)
    w, c = _median_time(lambda: sampler.run(h, J, sweeps=sweeps), repeats)
    print(f"pairwise Metropolis, n={n} dense J, {chains} chains: {_fmt(w * per, c * per, 'ns')} "
          f"per spin update")
    return {"metropolis_ns": w * per, "metropolis_cpu_ns": c * per}


def bench_exact(n=20, repeats=7):
    h, J = sk_model(n, 1.0, seed=3)
    enumeration.enumerate_stats(h, J, "spin")
    fast = _median_time(lambda: enumeration.enumerate_stats(h, J, "spin"), repeats)
    V = np.random.default_rng(4).normal(size=n + 1)
    pop = _median_time(lambda: enumeration.enumerate_stats(h, J, "spin", V), repeats)
    ref = _median_time(lambda: numpy_exact_moments(h, J), max(1, repeats // 3))
    st = enumeration.enumerate_stats(h, J, "spin")
    lz, mean, second = numpy_exact_moments(h, J)
    err = max(abs(st.log_z - lz), np.abs(st.mean - mean).max(), np.abs(st.second - second).max())
    ms = 1e3
    print(f"exact log Z + all first/second moments, n={n}, ms [target <= 5]:\n"
          f"    split-half GEMMs {_fmt(fast[0] * ms, fast[1] * ms, 'ms')}   with population term "
          f"{_fmt(pop[0] * ms, pop[1] * ms, 'ms')}\n"
          f"    numpy listing all 2^{n} states {_fmt(ref[0] * ms, ref[1] * ms, 'ms')}   ratio "
          f"{ref[0] / fast[0]:5.1f}x (cpu {ref[1] / fast[1]:5.1f}x), max |difference| {err:.1e}")
    return {"exact_ms": fast[0] * ms, "exact_cpu_ms": fast[1] * ms,
            "exact_population_ms": pop[0] * ms, "numpy_exact_ms": ref[0] * ms}


def run():
    """Run the pairwise section of the sampling benchmarks; returns the figures as a dict."""
    print("== pairwise models (boltzmann_lab.models.pairwise, boltzmann_lab.exact.enumeration), single thread ==")
    out = {}
    out.update(bench_gibbs())
    out.update(bench_metropolis())
    out.update(bench_exact())
    return out


if __name__ == "__main__":
    run()
