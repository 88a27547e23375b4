"""Mixing diagnostics and tempered MaxEnt chains, checked against exact answers."""

import numpy as np
import pytest

from boltzmann_lab.learning.constraints import Constraints
from boltzmann_lab.learning.maxent import MaxEntLearner
from boltzmann_lab.learning.maxent_estimators import ExactEstimator
from boltzmann_lab.learning.maxent_mcmc import TemperedChains
from boltzmann_lab.learning.trainer import Trainer
from boltzmann_lab.stats.mixing import RHAT_OK, ChainMonitor, mixing_advice, split_rhat


def test_split_rhat_is_one_for_iid_chains_and_large_for_chains_in_two_modes():
    rng = np.random.default_rng(0)
    iid = rng.standard_normal((64, 200))
    # E[R^2] ~ 1 + 1/N for N = 100: well under 1.02 with 128 half-chains
    assert split_rhat(iid) == pytest.approx(1.0, abs=0.02)
    modes = np.where(np.arange(64) % 2, 1.0, -1.0)[:, None] + 0.1 * iid
    assert split_rhat(modes) > 5
    # one chain drifting within its window is caught by splitting it
    drift = np.linspace(-1, 1, 200)[None, :] * np.ones((4, 1)) + 0.01 * iid[:4]
    assert split_rhat(drift) > RHAT_OK


def test_chain_monitor_reports_after_half_a_window_and_advises():
    mon = ChainMonitor(1000, window=40, max_chains=16)
    assert len(mon.index) == 16 and mon.diagnostics() == {}
    rng = np.random.default_rng(1)
    stuck = np.where(np.arange(1000) % 2, 0.8, -0.8)
    for _ in range(30):
        mon.record(rng.standard_normal(1000), stuck + 0.05 * rng.standard_normal(1000))
    d = mon.diagnostics()
    assert d["rhat_m"] > 2 and d["rhat_energy"] < RHAT_OK
    assert "parallel tempering" in mixing_advice(d, "rbm", "pcd")
    assert mixing_advice({"rhat_m": 1.01}) is None


def bimodal(M, n, flip, seed):
    """Two ordered modes (all +1 or all -1), each spin flipped with probability ``flip``."""
    rng = np.random.default_rng(seed)
    sign = np.where(rng.random(M) < 0.5, 1.0, -1.0)[:, None]
    return sign * np.where(rng.random((M, n)) < flip, -1.0, 1.0)


def test_tempered_chains_sample_a_two_mode_model_exactly_where_gibbs_chains_stick():
    # ferromagnet n = 16, J = 0.25, small field: exact <s_i> = 0.663.  Chains started in the -1
    # mode never leave it without tempering; with 8 replicas (beta 1..0) they sample it.
    n = 16
    J = np.full((n, n), 0.25)
    np.fill_diagonal(J, 0.0)
    h = np.full(n, 0.05)
    exact = ExactEstimator(n, "spin").moments(h, J, None).mean[0]
    start = -np.ones((4, n))
    res = {}
    for mode in ("off", "on"):
        tc = TemperedChains(n, "spin", 500, 1, "gibbs", np.random.default_rng(1), start, mode, 8)
        means = []
        for t in range(500):
            (mean, _, _), _ = tc.moments(h, J, None)
            if t >= 100:
                means.append(mean.mean())
        res[mode] = np.array(means)
    assert res["off"].mean() < -0.9
    # per-step means over 500 chains: SE of the 400-step average from blocks of 20 steps
    blocks = res["on"].reshape(20, 20).mean(1)
    se = blocks.std(ddof=1) / np.sqrt(len(blocks))
    assert abs(res["on"].mean() - exact) < 4 * se + 1e-3


def test_bimodal_maxent_mcmc_converges_with_tempering_to_the_data_moments():
    n = 16
    X = bimodal(5000, n, 0.1, 0)
    C = Constraints.from_config({"constraints": ["means", "pairs"], "pairs": "all", "mask": None,
                                 "periodic": True}, n, None)
    L = MaxEntLearner(X, None, "spin", C, estimator="mcmc", seed=1)   # tempering = auto
    trainer = Trainer(L, max_steps=6000, eval_every=1000)
    replicas = set()
    for snap in trainer:
        replicas.add(snap.metrics.get("replicas"))
    assert trainer.message.startswith("converged"), trainer.message
    assert 8.0 in replicas                         # tempering was switched on by the diagnostic
    h, J, V = L._hV()
    mom = ExactEstimator(n, "spin").moments(h, J, V)
    from boltzmann_lab.learning.constraints import observables
    err = np.abs(observables(mom, C) - L.obs_data) / L.noise
    # certified: MCMC error < 1 combined noise at frozen parameters; the exact moments may differ
    # from that estimate by its own noise (a fraction of the data's), so < 2 data noise
    assert err.max() < 2.0
    assert np.abs(mom.mean - X.mean(0)).max() < 2.0 * L.noise[:n].max()


def test_sk_mcmc_at_defaults_stops_and_matches_the_exact_fit():
    # the case: SK n = 15, 10^4 samples; the default MCMC run used to run for ever with a
    # coupling error twice the exact maximum-likelihood fit's
    from boltzmann_lab import config as _config
    from boltzmann_lab.build import make_trainer
    iu = np.triu_indices(15, 1)
    fits = {}
    for est in ("exact", "mcmc"):
        cfg = _config.resolve({"data": {"generator": "sk", "n": 15, "samples": 10000, "seed": 0,
                                        "validation_fraction": 0.0},
                               "model": {"kind": "maxent"},
                               "training": {"estimator": est, "seed": 1, "steps": 20000}})
        trainer = make_trainer(cfg)
        trainer.run()
        assert trainer.message.startswith("converged"), (est, trainer.message)
        fits[est] = trainer.learner.params["J"][iu]
    from boltzmann_lab.data.generators import sk
    truth = sk(n=15, samples=10000, seed=0).meta["J"][iu]
    gamma = {k: np.linalg.norm(v - truth) / np.linalg.norm(truth) for k, v in fits.items()}
    assert gamma["mcmc"] < 1.1 * gamma["exact"]
    # distance to the exact fit well below the statistical error of either (gamma ~ 0.07)
    assert np.linalg.norm(fits["mcmc"] - fits["exact"]) / np.linalg.norm(fits["exact"]) < 0.05


def test_wasserstein1_matches_scipy_and_ising_observables_are_exact():
    scipy_stats = pytest.importorskip("scipy.stats")
    from boltzmann_lab.learning.observers import ising_observables, wasserstein1
    rng = np.random.default_rng(2)
    a, b = rng.normal(0, 1, 300), rng.exponential(1.0, 170)
    assert wasserstein1(a, b) == pytest.approx(scipy_stats.wasserstein_distance(a, b), rel=1e-12)
    assert wasserstein1(a, a) == 0.0
    up = np.ones((1, 16))
    checker = np.array([[1, -1, 1, -1], [-1, 1, -1, 1]] * 2, float).reshape(1, 16)
    e, m = ising_observables(np.concatenate([up, checker, (up + 1) / 2]), (4, 4))
    np.testing.assert_allclose(e, [-2.0, 2.0, -2.0])      # 2N bonds on a periodic lattice
    np.testing.assert_allclose(m, [1.0, 0.0, 1.0])


def test_config_runs_report_chain_mixing_and_the_ising_match():
    from boltzmann_lab import config as _config
    from boltzmann_lab.build import make_trainer
    from boltzmann_lab.learning.observers import IsingMatch
    cfg = _config.resolve({"data": {"generator": "ising", "L": 8, "temperature": 2.5,
                                    "samples": 300, "seed": 1},
                           "model": {"kind": "rbm", "hidden": 8, "visible_units": "spin"},
                           "training": {"method": "pcd", "chains": 50, "steps": 60, "seed": 1}})
    trainer = make_trainer(cfg)
    rows = [s.metrics for s in trainer]
    assert any("rhat_m" in r and "rhat_energy" in r for r in rows)
    w1 = [r["w1_energy"] for r in rows if "w1_energy" in r]
    assert len(w1) >= 6 and all(np.isfinite(w1))
    match = next(o for o in trainer.observers if isinstance(o, IsingMatch))
    # the data against themselves: W1 = 0; two halves: the finite-sample level, small
    assert match.distances(trainer.learner.train64) == {"w1_energy": 0.0, "w1_abs_m": 0.0}
    assert 0 < match.floor()["w1_energy"] < 0.1
