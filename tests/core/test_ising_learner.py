"""The live "ising" learner, the IsingModel (model protocol) and sample_configurations."""

import math

import numpy as np
import pytest

from boltzmann_lab import build, config
from boltzmann_lab.models import ising
from boltzmann_lab.exact import onsager
from boltzmann_lab.learning.trainer import Trainer
from boltzmann_lab.sampling.ising import sample_configurations
from boltzmann_lab.stats.autocorr import standard_error

Z = 4.5


def make(**model):
    training = {"sweeps": model.pop("sweeps", 2), "seed": model.pop("seed", 3)}
    cfg = config.resolve({"model": {"kind": "ising", **model}, "training": training})
    return build.make_learner(cfg, None)


def test_learner_from_config_steps_and_reports_exact_values():
    lr = make(L=16, temperature=2.0, algorithm="metropolis", sweeps=3)
    assert lr.kind == "ising" and lr.convention == "spin" and lr.image_shape == (16, 16)
    assert lr.params == {} and lr.steps_per_epoch == 1 and lr.converged() is None
    snap = Trainer(lr, max_steps=4).run()
    m = snap.metrics
    assert set(m) >= {"energy", "magnetization", "abs_magnetization", "exact_energy",
                      "exact_magnetization"}
    assert m["exact_energy"] == pytest.approx(onsager.energy_per_spin(2.0))
    assert m["exact_magnetization"] == pytest.approx(onsager.magnetization(2.0))
    assert m["abs_magnetization"] == abs(m["magnetization"])
    assert m["energy"] == pytest.approx(lr.lattice.energy_per_spin())
    state = snap.views["state"]
    assert state.dtype == np.float32 and state.shape == (256,)
    assert set(np.unique(state)) <= {-1.0, 1.0}
    assert np.array_equal(state, lr.lattice.spins.ravel().astype(np.float32))


def test_exact_values_omitted_where_not_known():
    lr = make(L=8, temperature=2.0, field=0.2)
    assert "exact_energy" not in lr.step()
    lr = make(L=8, temperature=2.0, coupling=-1.0)
    m = lr.step()
    assert "exact_magnetization" not in m and m["exact_energy"] == pytest.approx(
        onsager.energy_per_spin(2.0))


def test_set_hyper_and_edits():
    lr = make(L=8, temperature=2.0)
    lr.set_hyper("temperature", 1.0)
    assert lr.lattice.T == 1.0 and lr.step()["exact_energy"] == pytest.approx(
        onsager.energy_per_spin(1.0))
    lr.set_hyper("algorithm", "wolff")
    lr.set_hyper("sweeps", 5)
    lr.step()
    with pytest.raises(ValueError, match="zero field"):
        lr.set_hyper("field", 0.5)            # Wolff cannot run with a field: refused, unchanged
    assert lr.lattice.H == 0.0
    lr.set_hyper("algorithm", "heatbath")
    lr.set_hyper("field", 0.5)
    assert lr.lattice.H == 0.5
    with pytest.raises(ValueError, match="zero field"):
        lr.set_hyper("algorithm", "wolff")
    with pytest.raises(ValueError):
        lr.set_hyper("sweeps", 0)
    with pytest.raises(KeyError):
        lr.set_hyper("learning_rate", 0.1)
    lr.apply_edit([0, 1, 63], [1, -1, 0])
    assert lr.lattice.spins.ravel()[[0, 1, 63]].tolist() == [1, -1, -1]
    lr.apply_edit(np.arange(64), [1.0])
    assert (lr.lattice.spins == 1).all()
    with pytest.raises(ValueError, match="indices"):
        lr.apply_edit([64], [1])


@pytest.mark.parametrize("alg", ["metropolis", "heatbath", "wolff"])
def test_state_dict_round_trip_continues_bit_for_bit(alg):
    a = make(L=12, temperature=2.3, algorithm=alg, seed=1)
    for _ in range(3):
        a.step()
    saved = {k: np.array(v, copy=True) for k, v in a.state_dict().items()}
    cont_a = [a.step() for _ in range(4)]
    spins_a = a.lattice.spins.copy()
    b = make(L=12, temperature=0.5, algorithm="metropolis", seed=99)   # different everything
    b.load_state_dict(saved)
    cont_b = [b.step() for _ in range(4)]
    assert cont_a == cont_b
    assert np.array_equal(spins_a, b.lattice.spins)
    assert b.algorithm == alg and b.lattice.T == 2.3


def test_model_protocol_round_trip_and_evaluate(tmp_path):
    lr = make(L=16, temperature=3.0, seed=2)
    lr.step()
    model = lr.model
    meta, arrays = model.to_arrays()
    assert meta == {"L": 16, "T": 3.0, "J": 1.0, "H": 0.0}
    back = ising.IsingModel.from_arrays(meta, arrays)
    assert np.array_equal(back.spins, lr.lattice.spins)
    from boltzmann_lab.io import modelio
    path = modelio.save_model(tmp_path / "ising.npz", model)
    loaded = modelio.load_model(path)
    assert isinstance(loaded, ising.IsingModel) and loaded.T == 3.0
    x = loaded.sample(200, seed=4)
    assert x.shape == (200, 256)
    ev = loaded.evaluate(x)
    # H = 0: log Z of the 16 x 16 torus is Kaufman's exact value, so the likelihood is exact
    assert ev["ll_method"] == "exact"
    want = float(np.mean(-loaded.energy(x) / 3.0)) - onsager.finite_log_z(16, 3.0)
    assert ev["ll"] == pytest.approx(want, rel=1e-12)
    assert ev["ll"] == pytest.approx(loaded.score(x), rel=1e-12)
    assert ev["exact_energy"] == pytest.approx(onsager.energy_per_spin(3.0))   # infinite L
    exact = onsager.finite_energy_per_spin(16, 3.0)                            # this lattice
    assert abs(ev["energy"] - exact) <= Z * ev["energy_se"]
    with pytest.raises(ValueError, match="columns"):
        loaded.evaluate(np.ones((3, 10)))


# ------------------------------------------------------------------ sample_configurations
@pytest.mark.parametrize("T", [1.5, onsager.T_C, 3.0])
def test_sample_configurations_equilibrium_and_decorrelated(T):
    L, n = 16, 400
    x, info = sample_configurations(L, T, n, seed=8, return_info=True)
    assert x.shape == (n, L * L) and x.dtype == np.float64
    assert set(np.unique(x)) <= {-1.0, 1.0}
    assert info["algorithm"] == ("wolff" if abs(T - onsager.T_C) < 0.4 else "metropolis")
    s = x.reshape(n, L, L)
    e = -(s * np.roll(s, 1, 1) + s * np.roll(s, 1, 2)).sum((1, 2)) / (L * L)
    am = np.abs(x.mean(1))
    # decorrelated: lag-1 autocorrelations of e and |m| are those of independent draws
    # (SE 1/sqrt(n)) plus the designed residual exp(-3) of a spacing of 3 Sokal times (1.5 tau)
    for series in (e, am):
        r1 = np.corrcoef(series[1:], series[:-1])[0, 1]
        assert abs(r1) <= math.exp(-3) + Z / math.sqrt(n), r1
    # equilibrium: mean energy = exact finite-lattice energy within the SE of n samples
    assert abs(e.mean() - onsager.finite_energy_per_spin(L, T)) <= Z * standard_error(e)
    if T < onsager.T_C:
        m = x.mean(1)
        assert (m > 0).any() and (m < 0).any()          # both ordered phases via global flips


def test_sample_configurations_reproducible_and_options():
    a = sample_configurations(8, 2.0, 20, seed=1)
    b = sample_configurations(8, 2.0, 20, seed=1)
    c = sample_configurations(8, 2.0, 20, seed=2)
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    x = sample_configurations(8, 2.0, 30, seed=1, algorithm="heatbath", J=1.0, H=0.5)
    assert x.mean() > 0.5                                # the field orders along +
    y = sample_configurations(7, 2.5, 5, seed=1)  # odd L: Wolff
    assert y.shape == (5, 49)
    with pytest.raises(ValueError, match="zero field"):
        sample_configurations(8, 2.0, 5, seed=1, algorithm="wolff", H=0.1)
