"""MaxEnt learner through the Trainer: configs, snapshots, resume, divergence, penalties, Λ sweep."""

import numpy as np
import pytest

from boltzmann_lab.build import make_learner
from boltzmann_lab.config import resolve
from boltzmann_lab.data.dataset import Dataset
from boltzmann_lab.exact.enumeration import sample_exact
from boltzmann_lab.sweeps.lambda_sweep import best_lambda, lambda_sweep
from boltzmann_lab.learning.constraints import lattice_mask
from boltzmann_lab.learning.trainer import Trainer


def cfg(model=None, training=None):
    return resolve({"data": {"path": "unused.npy"}, "model": {"kind": "maxent", **(model or {})},
                    "training": training or {}})


@pytest.fixture(scope="module")
def lattice_data():
    n = 16
    x = sample_exact(np.zeros(n), 0.4 * lattice_mask((4, 4)), "spin", 3000, seed=1)
    return Dataset(x[:2500], x[2500:], "spin", image_shape=(4, 4))


@pytest.fixture(scope="module")
def sk8():
    n = 8
    rng = np.random.default_rng(3)
    J = np.triu(rng.normal(0, 1 / np.sqrt(n), (n, n)), 1)
    J = J + J.T
    x = sample_exact(np.full(n, 0.1), J, "spin", 2500, seed=4)
    return Dataset(x[:2000], x[2000:], "spin")


def test_the_design_config_trains_to_convergence_and_fills_snapshots(lattice_data):
    # DESIGN.md's maxent example: constraints means + pairs, estimator exact
    c = cfg({"constraints": ["means", "pairs", "population"], "pairs": "lattice"},
            {"estimator": "exact", "seed": 1})
    trainer = Trainer(make_learner(c, lattice_data), max_steps=3000)
    snap = trainer.run()
    assert snap.message.startswith("converged")
    for k in ("max_moment_error", "normalized_error", "corr_pearson", "corr_slope",
              "learning_rate", "train_ll", "val_ll"):
        assert k in snap.metrics
    v = snap.views
    assert v["fantasy"].shape == (16, 16) and v["state"].shape == (16,)
    assert v["corr_data"].shape == v["corr_model"].shape == (32,)
    assert v["p_k_data"].shape == v["p_k_model"].shape == (17,)
    assert set(np.unique(v["fantasy"])) <= {-1.0, 1.0}
    # converged: every constrained moment within 0.05 sampling errors (no free parameter missed)
    assert snap.metrics["normalized_error"] < 0.05
    model = trainer.learner.model
    assert model.kind == "maxent" and model.V is not None
    assert np.all(model.J[~lattice_mask((4, 4))] == 0)


def test_pseudolikelihood_estimator_reports_pll_for_large_n():
    rng = np.random.default_rng(0)
    x = np.where(rng.random((300, 30)) < 0.3, 1.0, 0.0)
    ds = Dataset(x[:250], x[250:], "binary")
    L = make_learner(cfg({}, {"estimator": "pseudolikelihood"}), ds)
    m = L.step()
    assert "train_pll" in m and "normalized_residual" in m
    ev = L.evaluate()
    assert set(ev) == {"train_pll", "val_pll"}


def test_mcmc_resume_is_bit_for_bit(lattice_data):
    c = cfg({"pairs": "lattice"}, {"estimator": "mcmc", "chains": 64, "sweeps": 2, "seed": 5,
                                   "optimizer": "adam"})
    a = make_learner(c, lattice_data)
    for _ in range(5):
        a.step()
    a.views()
    saved = {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in a.state_dict().items()}
    for _ in range(5):
        a.step()
    fa = a.views()["fantasy"]
    b = make_learner(c, lattice_data)
    b.load_state_dict(saved)
    for _ in range(5):
        b.step()
    fb = b.views()["fantasy"]
    for k in a.params:
        assert np.array_equal(a.params[k], b.params[k])
    assert np.array_equal(fa, fb)


def test_same_seed_same_result(lattice_data):
    c = cfg({"pairs": "lattice"}, {"estimator": "mcmc", "chains": 32, "seed": 9})
    runs = []
    for _ in range(2):
        L = make_learner(c, lattice_data)
        for _ in range(4):
            L.step()
        runs.append(L.params["J"].copy())
    assert np.array_equal(runs[0], runs[1])


def test_a_diverging_run_stops_and_keeps_good_parameters(sk8):
    c = cfg({}, {"estimator": "exact", "optimizer": "sgd", "learning_rate": 1e7})
    trainer = Trainer(make_learner(c, sk8), max_steps=50, eval_every=1)
    snap = trainer.run()
    assert "diverged" in snap.message
    assert all(np.all(np.isfinite(v)) for v in trainer.learner.params.values())


def test_set_hyper(sk8):
    L = make_learner(cfg({}, {"estimator": "mcmc", "chains": 16}), sk8)
    L.set_hyper("learning_rate", 0.01)
    L.set_hyper("l1", 0.1)
    L.set_hyper("sweeps", 3)
    assert L.optimizer.lr == 0.01 and L.l1 == 0.1 and L.estimator.sweeps == 3
    with pytest.raises(KeyError):
        L.set_hyper("temperature", 1.0)


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_l1_sweep_large_lambda_gives_exact_zeros_and_picks_a_best_lambda(sk8, optimizer):
    c = cfg({}, {"estimator": "exact", "optimizer": optimizer,
                 "learning_rate": 0.2 if optimizer == "sgd" else 0.05})
    lambdas = [0.0, 0.01, 0.03, 0.1, 0.3, 2.0]
    res = lambda_sweep(c, sk8, lambdas, penalty="l1")
    assert [r["lambda"] for r in res] == lambdas and all(r["converged"] for r in res)
    assert res[0]["n_nonzero"] == 28
    # Λ = 2 exceeds every |<s_i s_j>_data - <s_i s_j>_independent| <= 2: all couplings exactly 0
    assert res[-1]["n_nonzero"] == 0 and np.all(res[-1]["params"]["J"] == 0.0)
    assert 0 < res[3]["n_nonzero"] < 28
    best = best_lambda(res)
    assert best["best"] and sum(r["best"] for r in res) == 1
    assert best["val"] == max(r["val"] for r in res) and best["metric"] == "ll"


def test_l1_fits_agree_between_optimizers(sk8):
    fits = []
    for opt, lr in (("sgd", 0.2), ("adam", 0.05), ("momentum", 0.2)):
        c = cfg({}, {"estimator": "exact", "optimizer": opt, "learning_rate": lr,
                     "strict_tolerance": 0.01, "l1": 0.1})
        r = lambda_sweep(c, sk8, [0.1], penalty="l1")[0]
        fits.append(r["params"]["J"])
    for J in fits[1:]:
        assert np.array_equal(J == 0, fits[0] == 0)
        assert np.max(np.abs(J - fits[0])) < 5e-3


def test_l2_sweep_shrinks_couplings_monotonically(sk8):
    c = cfg({}, {"estimator": "exact"})
    lambdas = [0.0, 0.01, 0.1, 1.0, 10.0]
    res = lambda_sweep(c, sk8, lambdas, penalty="l2")
    norms = [np.linalg.norm(r["params"]["J"]) for r in res]
    assert all(a > b for a, b in zip(norms, norms[1:]))
    assert all(r["n_nonzero"] == 28 for r in res)          # L2 shrinks but does not zero
    assert res[0]["train"] > res[-1]["train"]              # the penalty costs training fit


def test_lambda_sweep_uses_the_config_grid(sk8):
    c = cfg({}, {"estimator": "exact", "lambdas": [0.0, 5.0], "lambda_penalty": "l1"})
    res = lambda_sweep(c, sk8)
    assert [r["lambda"] for r in res] == [0.0, 5.0] and res[1]["n_nonzero"] == 0


def test_maxent_refuses_real_data_and_lattice_without_shape(sk8):
    real = Dataset(np.random.default_rng(0).normal(size=(50, 4)), np.zeros((0, 4)), "real")
    with pytest.raises(ValueError, match="gaussian"):
        make_learner(cfg(), real)
    with pytest.raises(ValueError, match="image"):
        make_learner(cfg({"pairs": "lattice"}), sk8)


def test_user_mask_file_from_config_and_model_file_round_trip(sk8, tmp_path):
    from boltzmann_lab.io.modelio import load_model, save_model
    mask = np.zeros((8, 8), bool)
    mask[0, 1] = mask[1, 0] = mask[2, 5] = mask[5, 2] = True
    np.save(tmp_path / "mask.npy", mask)
    c = cfg({"constraints": ["means", "pairs", "population"], "pairs": "mask",
             "mask": str(tmp_path / "mask.npy")}, {"estimator": "exact"})
    L = make_learner(c, sk8)
    for _ in range(30):
        L.step()
    J = L.params["J"]
    assert np.all(J[~mask] == 0) and np.all(J[mask] != 0)
    save_model(tmp_path / "m.npz", L.model)
    m = load_model(tmp_path / "m.npz")
    x = sk8.train[:50]
    np.testing.assert_allclose(m.log_prob(x), L.model.log_prob(x), rtol=1e-12)
    assert m.V is not None and m.convention == "spin"


def test_mcmc_with_large_l1_gives_exact_zeros_and_converges(sk8):
    c = cfg({}, {"estimator": "mcmc", "optimizer": "sgd", "learning_rate": 0.3, "l1": 2.0,
                 "chains": 500, "sweeps": 2, "seed": 2})
    trainer = Trainer(make_learner(c, sk8), max_steps=500)
    snap = trainer.run()
    assert snap.message.startswith("converged")
    assert np.all(trainer.learner.params["J"] == 0.0) and "normalized_residual" in snap.metrics
