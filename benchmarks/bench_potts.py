"""Potts speed: Gibbs sweeps over q states and the plmDCA pseudo-likelihood fit.

    python benchmarks/bench_potts.py [--quick]

1. Gibbs (heat-bath) sweeps of a dense Potts model, n = 100 sites, q = 21 states, 1000 chains
   (:class:`boltzmann_lab.models.potts.PottsSampler`, the numba kernel) against a numpy reference
   vectorised over the chains (per site: gather the q-vectors J_ij(·, σ_j) of every chain, sum,
   softmax, inverse-CDF draw).  Figure: ns per site update, median of repeats; ratio.
2. Symmetric pseudo-likelihood fit (plmDCA objective with l2 = l2_fields = 0.01), n = 100,
   q = 21, M = 5000 sequences: the project's L-BFGS (:func:`boltzmann_lab.learning.potts_pl.
   fit_symmetric`) against scipy's L-BFGS-B on *the same* objective function
   (:func:`symmetric_objective`, the numba PLL + gradient), both to max |∇f| < gtol.  Figure:
   seconds per fit, evaluations, final objective; ratio.

``--quick`` shrinks both problems (n = 40, 200 chains, M = 1000) for a smoke run.  Single thread.
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

from boltzmann_lab.data.categorical_generators import protein_family_model, random_potts  # noqa: E402
from boltzmann_lab.learning.potts_pl import lbfgs, symmetric_objective  # noqa: E402
from boltzmann_lab.models.potts import PottsSampler  # noqa: E402


# ------------------------------------------------------------------ reference: numpy Gibbs
def numpy_sweep(X, h, J, rng):
    """One heat-bath sweep of every chain, vectorised over chains in numpy (float64)."""
    C, n = X.shape
    Jt = J.transpose(1, 0, 2, 3)                 # Jt[i, j, b, a] = J_ij(a, b)
    cols = np.arange(n)[None, :]
    for i in range(n):
        F = h[i] + Jt[i][cols, X].sum(axis=1)    # (C, n, q) gather -> (C, q)
        F -= F.max(axis=1, keepdims=True)
        P = np.exp(F)
        np.cumsum(P, axis=1, out=P)
        u = rng.random(C) * P[:, -1]
        X[:, i] = (P < u[:, None]).sum(axis=1)


def bench_gibbs(n, q, chains, repeats):
    h, J = random_potts(n, q, coupling=1.0, field=0.5, seed=0)
    s = PottsSampler(n, q, chains, seed=1)
    s.run(h, J, sweeps=1)                        # compile / load the cache
    ours = []
    for _ in range(repeats):                     # 10 sweeps per call: the per-call layout copy
        t = time.perf_counter()                  # (n² q² floats) is amortised, as in training
        s.run(h, J, sweeps=10)
        ours.append((time.perf_counter() - t) / (10 * n * chains))
    rng = np.random.default_rng(2)
    X = s.states.copy()
    ref = []
    for _ in range(max(1, repeats // 2)):
        t = time.perf_counter()
        numpy_sweep(X, h, J, rng)
        ref.append((time.perf_counter() - t) / (n * chains))
    # the two samplers target the same distribution: one-site frequencies agree to MC noise
    s.run(h, J, sweeps=20)
    for _ in range(20):
        numpy_sweep(X, h, J, rng)
    f_ours = np.stack([np.bincount(s.states[:, i], minlength=q) for i in range(n)]) / chains
    f_ref = np.stack([np.bincount(X[:, i], minlength=q) for i in range(n)]) / chains
    diff = np.abs(f_ours - f_ref).max()
    return np.median(ours) * 1e9, np.median(ref) * 1e9, diff, 5 * np.sqrt(0.5 / chains)


# ------------------------------------------------------------------ PL fit
def bench_pl(n, M, gtol, max_iter):
    from scipy.optimize import minimize
    h, J, _ = protein_family_model(n, strength=0.6, seed=3)
    s = PottsSampler(n, 21, M, seed=4)
    s.run(h, J, sweeps=30)
    X = s.states
    fun, unpack, size = symmetric_objective(X, 21, None, 0.01, 0.01)
    calls = {"n": 0}

    def counted(theta):
        calls["n"] += 1
        return fun(theta)

    counted(np.zeros(size))                      # compile
    calls["n"] = 0
    t = time.perf_counter()
    th_ours = lbfgs(counted, np.zeros(size), gtol=gtol, max_iter=max_iter)
    t_ours, n_ours = time.perf_counter() - t, calls["n"]
    f_ours, g_ours = fun(th_ours)
    calls["n"] = 0
    t = time.perf_counter()
    res = minimize(counted, np.zeros(size), jac=True, method="L-BFGS-B",
                   options={"gtol": gtol, "ftol": 0.0, "maxiter": max_iter, "maxcor": 10})
    t_ref, n_ref = time.perf_counter() - t, calls["n"]
    f_ref, g_ref = fun(res.x)
    _, J_o = unpack(th_ours)
    _, J_r = unpack(res.x)
    return {"ours": (t_ours, n_ours, f_ours, np.abs(g_ours).max()),
            "scipy": (t_ref, n_ref, f_ref, np.abs(g_ref).max()),
            "dJ": float(np.abs(J_o - J_r).max()), "size": size, "M": M}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small problems (smoke run)")
    args = ap.parse_args()
    if args.quick:
        n, chains, M, reps = 40, 200, 1000, 3
    else:
        n, chains, M, reps = 100, 1000, 5000, 5
    q = 21
    ours, ref, diff, tol = bench_gibbs(n, q, chains, reps)
    print(f"Potts Gibbs, n = {n}, q = {q}, {chains} chains: {ours:.0f} ns per site update "
          f"(numba) vs {ref:.0f} ns (numpy vectorised over chains): {ref / ours:.1f}x  "
          f"[one-site frequencies agree: max diff {diff:.3f} < {tol:.3f}: {diff < tol}]")
    r = bench_pl(n, M, gtol=1e-4, max_iter=1000)
    (to, no, fo, go), (ts, ns, fs, gs) = r["ours"], r["scipy"]
    print(f"plmDCA symmetric fit, n = {n}, q = {q}, M = {r['M']} ({r['size']} parameters), "
          f"to max|grad| < 1e-4:")
    print(f"  boltzmann_lab L-BFGS: {to:.1f} s, {no} evaluations, f = {fo:.6f}, max|g| = {go:.1e}")
    print(f"  scipy L-BFGS-B:       {ts:.1f} s, {ns} evaluations, f = {fs:.6f}, max|g| = {gs:.1e}")
    print(f"  ratio scipy / ours: {ts / to:.2f}x (per evaluation {ts / ns / (to / no):.2f}x); "
          f"max |J_ours - J_scipy| = {r['dJ']:.1e}")


if __name__ == "__main__":
    main()
