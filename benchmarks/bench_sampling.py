"""Sampling-engine speed figures (single thread), each with a reference run in the same process.

2D Ising, periodic L = 256:
* checkerboard Metropolis and heat-bath (boltzmann_lab.kernels.lattice) in flips/ns (site updates per ns,
  L*L per sweep), at T = 2.269 and T = 1.5; median of several repeats.  References: a plain-numpy
  checkerboard (whole-sublattice array operations, same algorithm) and a naive random-site numba
  Metropolis (one site at a time, as most tutorials write it).  Target >= 1.0 flips/ns.
* Wolff cluster updates at T_c (boltzmann_lab.kernels.wolff): ns per flipped spin (target <= 30), against
  a pure-Python breadth-first cluster growth (on L = 64, per flipped spin).

Then, if ``benchmarks/pairwise_section.py`` exists, its ``run()`` (pairwise Gibbs, enumeration).

Times are *thread CPU time* (``time.thread_time``), not wall time, so that the figures stay
meaningful on a shared machine where other processes take turns on the cores (wall-clock figures
there are inflated by time slicing; caches and memory bandwidth are still shared).

Run: ``python benchmarks/bench_sampling.py``.  Figures, not tests: they depend on the machine.
"""

import collections
import math
import os
import sys
import time

import numpy as np
from numba import njit

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from boltzmann_lab.exact import onsager  # noqa: E402
from boltzmann_lab.models.ising import Lattice  # noqa: E402
from boltzmann_lab.kernels.rng import seed_states, uniform  # noqa: E402
from boltzmann_lab.kernels.wolff import wolff_clusters  # noqa: E402

L = 256
REPEATS = 7


def median_time(fn, repeats=REPEATS):
    times = []
    for _ in range(repeats):
        t0 = time.thread_time()
        fn()
        times.append(time.thread_time() - t0)
    return float(np.median(times))


# ------------------------------------------------------------------ references
def numpy_checkerboard(spins, beta, rng, n_sweeps, rule):
    """Plain-numpy checkerboard sweeps (same algorithm, whole-sublattice array operations)."""
    s = spins.astype(np.int8)
    i, j = np.indices(s.shape)
    masks = [(i + j) % 2 == 0, (i + j) % 2 == 1]
    for _ in range(n_sweeps):
        for mask in masks:
            nb = (np.roll(s, 1, 0) + np.roll(s, -1, 0) + np.roll(s, 1, 1)
                  + np.roll(s, -1, 1)).astype(np.int8)
            r = rng.random(s.shape)
            if rule == "metropolis":
                flip = r < np.exp(-2.0 * beta * s * nb)
                s = np.where(mask & flip, -s, s).astype(np.int8)
            else:
                up = r < 1.0 / (1.0 + np.exp(-2.0 * beta * nb))
                s = np.where(mask, np.where(up, 1, -1), s).astype(np.int8)
    return s


@njit(nogil=True, cache=True)
def naive_random_site(spins, state, beta, n_updates):
    """One uniformly random site per update, Metropolis with exp() per proposal."""
    L = spins.shape[0]
    for _ in range(n_updates):
        i = int(uniform(state, 0) * L)
        j = int(uniform(state, 0) * L)
        nb = (spins[(i + 1) % L, j] + spins[(i - 1) % L, j] + spins[i, (j + 1) % L]
              + spins[i, (j - 1) % L])
        dE = 2.0 * spins[i, j] * nb
        if dE <= 0 or uniform(state, 0) < math.exp(-beta * dE):
            spins[i, j] = -spins[i, j]


def python_wolff(spins, T, rng, n_clusters):
    """Pure-Python breadth-first Wolff clusters; returns flipped spins."""
    Ls = spins.shape[0]
    p = 1.0 - math.exp(-2.0 / T)
    total = 0
    for _ in range(n_clusters):
        i0, j0 = rng.integers(Ls), rng.integers(Ls)
        s0 = spins[i0, j0]
        spins[i0, j0] = -s0
        queue = collections.deque([(i0, j0)])
        while queue:
            i, j = queue.popleft()
            for ni, nj in (((i + 1) % Ls, j), ((i - 1) % Ls, j), (i, (j + 1) % Ls),
                           (i, (j - 1) % Ls)):
                if spins[ni, nj] == s0 and rng.random() < p:
                    spins[ni, nj] = -s0
                    queue.append((ni, nj))
            total += 1
    return total


# ------------------------------------------------------------------ sections
def local_updates():
    print(f"2D Ising, L = {L}, single thread (flips/ns = site updates per nanosecond)")
    for alg in ("metropolis", "heatbath"):
        for T in (2.269, 1.5):
            lat = Lattice(L, T, seed=1, start="random")
            lat.sweep(50, alg)                       # compile + equilibrate a little
            n = 200
            t = median_time(lambda: lat.sweep(n, alg))
            fast = L * L * n / t / 1e9
            rng = np.random.default_rng(0)
            s0 = lat.spins.copy()
            nref = 5
            tref = median_time(lambda: numpy_checkerboard(s0, 1.0 / T, rng, nref, alg), 3)
            ref = L * L * nref / tref / 1e9
            line = (f"  {alg:10s} T = {T:5.3f}: {fast:6.3f} flips/ns   numpy checkerboard "
                    f"{ref:6.4f} flips/ns   ratio {fast / ref:6.1f}x")
            if alg == "metropolis":
                sp = lat.spins.copy()
                st = seed_states(1, 2)
                naive_random_site(sp, st, 1.0 / T, 1000)
                nu = L * L * 20
                tn = median_time(lambda: naive_random_site(sp, st, 1.0 / T, nu), 3)
                naive = nu / tn / 1e9
                line += f"   naive random-site numba {naive:6.3f} ({fast / naive:4.1f}x)"
            print(line)


def wolff():
    T = onsager.T_C
    lat = Lattice(L, T, seed=3, start="up")
    p_add = -math.expm1(-2.0 / T)
    wolff_clusters(lat.spins, lat.wolff_state, 2000, p_add, 1)     # compile + equilibrate
    res = []

    def go():
        res.append(wolff_clusters(lat.spins, lat.wolff_state, 2000, p_add, 1))

    times = []
    for _ in range(REPEATS):
        t0 = time.thread_time()
        go()
        times.append((time.thread_time() - t0) / res[-1])
    fast = float(np.median(times)) * 1e9
    Ls = 64
    rng = np.random.default_rng(0)
    sp = np.ones((Ls, Ls), np.int8)
    python_wolff(sp, T, rng, 200)
    t0 = time.thread_time()
    nf = python_wolff(sp, T, rng, 300)
    ref = (time.thread_time() - t0) / nf * 1e9
    print(f"Wolff at T_c, L = {L}: {fast:6.1f} ns per flipped spin "
          f"(mean cluster {np.mean(res) / 2000:.0f} spins)   pure-Python BFS (L = {Ls}) {ref:7.1f} ns "
          f"per flipped spin   ratio {ref / fast:6.1f}x")


def main():
    local_updates()
    wolff()
    here = os.path.dirname(os.path.abspath(__file__))
    if os.path.exists(os.path.join(here, "pairwise_section.py")):
        sys.path.insert(0, here)
        import pairwise_section
        print()
        pairwise_section.run()


if __name__ == "__main__":
    main()
