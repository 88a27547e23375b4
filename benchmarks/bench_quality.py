"""Learning quality at the defaults: every model kind on a suite of offline data sets, its default
run against a small grid around the defaults, the independent-unit baseline and scikit-learn.

Run:  python benchmarks/bench_quality.py [--quick] [--only rbm:digits,dbm] [--seeds 3]

For each (kind, data set) it trains through the package's own estimators (``boltzmann_lab.RBM``,
``DBM``, ``MaxEnt``, ``GaussianMaxEnt``, ``Mixture``: the one :class:`Trainer`) and prints

* ``default``: the held-out log-likelihood (nats per sample) of a run with every setting at its
  default except the size of the model and the run length, mean over seeds, and ``spread``
  (max - min over those seeds);
* ``best grid``: the best grid point (seed 0) and its settings.  RBM: learning rate (default x
  1/3, 1, 3; the rate as configured, scaled by the default ``rate_scaling``) x method (PT, CD-1,
  PCD-1, each with its default chains); on the digits (full run) also x batch size (10, 32,
  100), and SGD at 10x those rates.  ``hopfield_rbm``: the RBM with Gaussian hidden units (the
  Hopfield network of its marginal), the same rate x method grid.  DBM: rate (x batch size 10, 32, 100 in the full run), and
  rate x plain PCD chains, uncentred, after 5 epochs of pretraining.  MaxEnt
  MCMC: rate x optimizer (Adam, SGD).  The default point is part of every grid;
* ``indep.``: the independent-unit model (each unit on its own, fitted to the training means;
  closed form, :func:`boltzmann_lab.learning.advice.independent_ll`) on the same held-out rows;
* ``sklearn``: ``sklearn.neural_network.BernoulliRBM`` with its defaults and the same hidden size
  and epochs (binary data, RBM rows only), scored exactly by our RBM model with its parameters;
* ``ll_method``: ``exact`` (enumeration of the smaller layer, or of all states) or ``ais``;
* ``swing``: the largest drop of the training LL between two evaluations (one per epoch, or
  50 per run in long runs) after the first epoch, over the default runs (RBM and DBM rows; ``--quick`` skips it for digits);
* wall time of the default runs (mean per run, evaluation included).

Held-out rows: a seeded 20 % of the samples, except bars-and-stripes (the complete set of 30
patterns: the likelihood of the set itself) and data sets generated twice from independent seeds
(Ising, SK, mixtures: a fresh test sample).  MaxEnt rows report the held-out LL and the coupling
error gamma = |J - J_ml| / |J_ml| against the exact maximum-likelihood fit (the ``exact`` estimator
run to its strict tolerance).  Numbers depend on the machine's load only through the wall times.
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
import time
import warnings
from pathlib import Path

for _v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import boltzmann_lab as bl  # noqa: E402
from boltzmann_lab.learning.advice import independent_ll  # noqa: E402

warnings.filterwarnings("ignore")


# ------------------------------------------------------------------------------------ data
def _split(x, frac=0.2, seed=0):
    p = np.random.default_rng(seed).permutation(len(x))
    k = int(round(frac * len(x)))
    return x[np.sort(p[k:])], x[np.sort(p[:k])]


def bimodal(n=64, m=2000, flip=0.1, seed=0):
    """Two ordered modes of +-1 spins (all up / all down), each spin flipped with ``flip``."""
    rng = np.random.default_rng(seed)
    sign = np.where(rng.random((m, 1)) < 0.5, 1.0, -1.0)
    return sign * np.where(rng.random((m, n)) < flip, -1.0, 1.0)


def gaussian_set(n=10, m=2000, seed=0):
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((n, n)) / np.sqrt(n)
    cov = A @ A.T + 0.5 * np.eye(n)
    return rng.multivariate_normal(np.zeros(n), cov, size=m)


def data_sets(quick):
    """name -> (train, test, note)"""
    out = {}
    out["digits"] = (*_split(bl.datasets.digits(binarize=True)), "bundled 8x8, x > 0.5")
    bs = bl.datasets.bars_and_stripes(size=4)
    out["bars_stripes"] = (bs, bs, "4x4, all 30 patterns (test = train)")
    n_ising = 500 if quick else 1000
    for T in (1.75, 2.25, 2.75):
        out[f"ising_T{T}"] = (bl.datasets.ising(L=16, T=T, n=n_ising, seed=1),
                              bl.datasets.ising(L=16, T=T, n=n_ising // 2, seed=2),
                              f"16x16 spins, T = {T}")
    if not quick:
        temps = [0.25 * i for i in range(1, 17)]
        x = bl.datasets.ising(L=40, temperatures=temps, n=100, seed=1)
        out["ising_review"] = (*_split(x), "review: L = 40, T = 0.25..4, 100 each")
    n_sk = 12 if quick else 20
    sk_all = bl.datasets.sk(n_units=n_sk, n=12000, seed=0)
    out["sk"] = (sk_all[:10000], sk_all[10000:], f"SK glass n = {n_sk}, beta = 1, 10^4 samples")
    out["bimodal"] = (bimodal(seed=0), bimodal(m=500, seed=1), "64 spins, two modes, 10 % flips")
    out["bernoulli_mix"] = (*_split(bl.datasets.mixture(n=2500, n_units=20, n_components=3,
                                                        convention="binary")),
                            "20 bits, 3 components")
    out["gaussian"] = (*_split(gaussian_set()), "10-d correlated Gaussian")
    return out


# ------------------------------------------------------------------------------ scoring
def rbm_ll(model, test):
    lz, how = model.log_partition_with_method("auto", seed=0, data=test)
    return float(np.mean(model.log_likelihood(test, log_z=lz))), how


def score(est, test):
    """Held-out LL and how it was computed (exact / ais / closed form)."""
    m = est.model_
    x = est._input(test)
    if est.kind == "rbm":
        return rbm_ll(m, x)
    if est.kind == "dbm":
        lz, how = m.log_partition_with_method("auto", 1000, 50, seed=0, data=x)
        if how == "exact" and m.exact_ll_feasible():
            return float(np.mean(m.unnormalized_log_prob(x)) - lz), "exact"
        return float(m.bound(x, lz, 10)), f"bound+{how}"
    return float(est.score(test)), getattr(est, "score_method_", "exact")


def sklearn_rbm(train, test, hidden, epochs, seed):
    from sklearn.neural_network import BernoulliRBM
    from boltzmann_lab.models.rbm import RBM
    b = (train > 0).astype(np.float64)
    t = (test > 0).astype(np.float64)
    sk = BernoulliRBM(n_components=hidden, n_iter=int(epochs), random_state=seed).fit(b)
    m = RBM(sk.components_.T.copy(), sk.intercept_visible_.copy(), sk.intercept_hidden_.copy())
    return rbm_ll(m, t)[0]


# ------------------------------------------------------------------------------ the runs
def fit(kind, train, seed, **kw):
    cls = {"rbm": bl.RBM, "dbm": bl.DBM, "maxent": bl.MaxEnt, "gaussian": bl.GaussianMaxEnt,
           "mixture": bl.Mixture}[kind]
    if "seed" in cls._get_param_names():
        kw["seed"] = seed
    t = time.perf_counter()
    est = cls(progress=False, **kw).fit(train)
    return est, time.perf_counter() - t


#: evaluations per default run for the swing column
MAX_EVALS = 10


def grid(kind, quick, name=""):
    """Points around the defaults (module docstring)."""
    if kind == "hopfield_rbm":
        kind, name = "rbm", ""                  # rate x method, as the other RBM rows
    if kind not in ("rbm", "dbm", "maxent_mcmc"):
        return []
    from boltzmann_lab.kinds import KINDS
    t = KINDS["maxent" if kind == "maxent_mcmc" else kind].training_keys
    lr0 = t["learning_rate"].default if kind != "maxent_mcmc" else 0.003
    rates = [lr0 / 3, lr0, lr0 * 3]
    if kind == "maxent_mcmc":
        return [dict(learning_rate=r, optimizer=o) for r in rates for o in ("adam", "sgd")]
    if kind == "dbm":
        # plain PCD chains, uncentred, pretrained (the former defaults) beside the defaults
        pcd = [dict(learning_rate=r, method="pcd", centering=False, pretrain_epochs=5)
               for r in rates]
        if quick:
            return [dict(learning_rate=r) for r in rates] + pcd
        return [dict(learning_rate=r, batch_size=b) for r in rates for b in (10, 32, 100)] + pcd
    methods = ("pt", "cd", "pcd")
    if quick or name != "digits":
        return [dict(learning_rate=r, method=m) for r in rates for m in methods]
    # digits, full: Adam over rate x batch x method, SGD (10x the rate) at the default batch
    pts = [dict(learning_rate=r, batch_size=b, method=m)
           for r, b, m in itertools.product(rates, (10, 32, 100), methods)]
    pts += [dict(learning_rate=10 * r, optimizer="sgd", method=m)
            for r, m in itertools.product(rates, methods)]
    return pts


def cases(quick):
    """(kind, data set, fixed settings, epochs) rows of the table."""
    rows = [("rbm", "digits", dict(n_hidden=20), 20)]
    for name in ("bars_stripes", "ising_T1.75", "ising_T2.25", "ising_T2.75", "ising_review",
                 "bimodal", "bernoulli_mix", "sk"):
        rows.append(("rbm", name, dict(n_hidden=16), 200 if name == "bars_stripes" else 20))
    rows += [("dbm", "bars_stripes", dict(n_hidden=(16, 8)), 1000),
             ("dbm", "bimodal", dict(n_hidden=(16, 8)), 20),
             ("hopfield_rbm", "digits", dict(n_hidden=20, hidden_units="gaussian"), 20),
             ("hopfield_rbm", "bars_stripes", dict(n_hidden=16, hidden_units="gaussian"), 200),
             ("hopfield_rbm", "bimodal", dict(n_hidden=16, hidden_units="gaussian"), 20),
             ("maxent", "sk", {}, None), ("maxent_mcmc", "sk", {}, None),
             ("mixture", "bernoulli_mix", dict(n_components=3), None),
             ("mixture", "gaussian", dict(n_components=3), None),
             ("gaussian", "gaussian", {}, None)]
    if quick:     # a few minutes on two cores: one row per kind and data-set family
        keep = {("rbm", "digits"), ("rbm", "bars_stripes"), ("rbm", "ising_T2.25"),
                ("rbm", "bimodal"), ("dbm", "bars_stripes"), ("maxent", "sk"),
                ("maxent_mcmc", "sk"), ("mixture", "bernoulli_mix"), ("gaussian", "gaussian")}
        rows = [r for r in rows if (r[0], r[1]) in keep]
    return rows


def run_case(kind, name, fixed, epochs, data, seeds, grid_seeds, quick, no_grid=False):
    train, test, note = data[name]
    base = independent_ll(train, test)
    length = {} if epochs is None else {"epochs": epochs}
    real_kind = {"maxent_mcmc": "maxent", "hopfield_rbm": "rbm"}.get(kind, kind)
    if real_kind in ("rbm", "dbm"):
        length["eval_every"] = 10 ** 9          # the table's own scoring below
    extra = dict(fixed)
    if kind == "maxent_mcmc":
        extra["estimator"] = "mcmc"
    if real_kind == "maxent":
        extra["max_steps"] = 3000 if quick else 20000
    lls, times, how, gammas = [], [], "", []
    J_ml = None
    if real_kind == "maxent":
        ml, _ = fit("maxent", train, 0, estimator="exact", max_steps=20000)
        J_ml = ml.J_
    swings = []
    watch = real_kind in ("rbm", "dbm")
    for s in seeds:
        kw = dict(length)
        if watch:     # evaluate once per epoch to measure swings (train_ll, exact here)
            from boltzmann_lab.kinds import KINDS
            batch = KINDS[real_kind].training_keys["batch_size"].default
            per_epoch = max(1, -(-len(train) // min(batch, len(train))))
            # whole epochs apart, at most MAX_EVALS evaluations per run (exact evaluation of a
            # DBM or of 2^20 hidden states costs more than the steps between)
            kw["eval_every"] = per_epoch * max(1, -(-int(epochs) // MAX_EVALS))
        est, dt = fit(real_kind, train, s, **extra, **kw)
        if watch:
            swings.append(max_swing(est.history_))
        ll, how = score(est, test)
        lls.append(ll)
        times.append(dt)
        if J_ml is not None:
            gammas.append(float(np.linalg.norm(est.J_ - J_ml) / np.linalg.norm(J_ml)))
    best, best_pt = -np.inf, None
    for pt in ([] if no_grid else grid(kind, quick, name)):
        vals = []
        for s in grid_seeds:
            est, _ = fit(real_kind, train, s, **extra, **length, **pt)
            vals.append(score(est, test)[0])
        if np.mean(vals) > best:
            best, best_pt = float(np.mean(vals)), pt
    sk = np.nan
    if kind == "rbm" and np.all((train == 0) | (train == 1)) or kind == "rbm" and \
            np.all(np.abs(train) == 1):
        sk = sklearn_rbm(train, test, fixed["n_hidden"], epochs, seeds[0])
    return dict(kind=kind, data=name, note=note, default=float(np.mean(lls)),
                spread=float(np.max(lls) - np.min(lls)), best=best, best_pt=best_pt,
                indep=base, sklearn=sk, how=how, time=float(np.mean(times)),
                gamma=float(np.mean(gammas)) if gammas else np.nan,
                swing=float(np.max(swings)) if swings else np.nan)


def max_swing(history):
    """Largest drop of train_ll between consecutive evaluations after the first epoch."""
    ll, ep = history.get("train_ll"), history["epoch"]
    if ll is None:
        return np.nan
    ok = np.isfinite(ll)
    ll, ep = ll[ok], ep[ok]
    drops = ll[:-1] - ll[1:]
    drops = drops[ep[:-1] >= 1.0]
    return float(max(drops.max(initial=0.0), 0.0))


def fmt_pt(pt):
    if not pt:
        return ""
    short = {"learning_rate": "lr", "batch_size": "B", "optimizer": "", "method": "",
             "centering": "centring=", "pretrain_epochs": "pretrain="}
    return " ".join(f"{short.get(k, k)}{'=' if short.get(k, k) else ''}{v:g}"
                    if isinstance(v, float) else f"{short.get(k, k)}{v}" for k, v in pt.items())


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="smaller grid and data (a few minutes)")
    ap.add_argument("--only", default="", help="comma-separated kind or kind:data filters")
    ap.add_argument("--seeds", type=int, default=None,
                    help="seeds 0..N-1 of the default runs (default 3; --quick 2)")
    ap.add_argument("--no-grid", action="store_true", help="default runs only (no grid)")
    args = ap.parse_args(argv)
    quick = args.quick
    seeds = list(range(args.seeds if args.seeds else (2 if quick else 3)))
    grid_seeds = [0]
    t0 = time.perf_counter()
    data = data_sets(quick)
    only = [f for f in args.only.split(",") if f]
    print(f"bench_quality {'--quick ' if quick else ''}(numpy {np.__version__}); held-out LL in "
          f"nats/sample; default = mean over seeds {seeds}, grid = mean over seeds {grid_seeds}")
    head = (f"{'kind':<14}{'data':<14}{'default':>9}{'spread':>8}{'best grid':>10}{'d-best':>8}"
            f"{'indep.':>9}{'sklearn':>9}{'swing':>7}{'  ll_method':<12}{'time/run':>9}  best grid point")
    print(head)
    print("-" * len(head))
    for kind, name, fixed, epochs in cases(quick):
        if only and not any(f == kind or f == f"{kind}:{name}" for f in only):
            continue
        r = run_case(kind, name, fixed, epochs, data, seeds, grid_seeds, quick, args.no_grid)
        d_best = r["default"] - r["best"] if np.isfinite(r["best"]) else np.nan
        if not np.isfinite(r["best"]):
            r["best"] = np.nan                  # no grid for this kind (closed form / EM)
        extra = f"  gamma vs ML {r['gamma']:.3f}" if np.isfinite(r["gamma"]) else ""
        print(f"{kind:<14}{name:<14}{r['default']:9.2f}{r['spread']:8.2f}"
              f"{r['best']:10.2f}{d_best:8.2f}{r['indep']:9.2f}{r['sklearn']:9.2f}{r['swing']:7.2f}"
              f"  {r['how']:<10}{r['time']:8.1f}s  {fmt_pt(r['best_pt'])}{extra}", flush=True)
    print(f"total {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
