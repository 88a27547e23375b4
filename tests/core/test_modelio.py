"""Model files: round trips for every model kind, atomic writes, clear errors for bad files."""

import json
import os

import numpy as np
import pytest

from boltzmann_lab.io import modelio
from boltzmann_lab.data.loaders import LoadError
from boltzmann_lab.io.modelio import ModelFileError, load_model, read_model_file, save_model
from boltzmann_lab.kinds import KINDS


def _sym(rng, n, scale=0.3):
    J = np.triu(rng.normal(0, scale, (n, n)), 1)
    return J + J.T


def _maxent():
    from boltzmann_lab.models.pairwise import PairwiseModel
    rng = np.random.default_rng(0)
    return PairwiseModel(rng.normal(size=5), _sym(rng, 5), "spin", V=rng.normal(size=6))


def _gaussian():
    from boltzmann_lab.models.gaussian import GaussianModel
    rng = np.random.default_rng(1)
    A = rng.normal(size=(3, 3))
    return GaussianModel(rng.normal(size=3), cov=A @ A.T + np.eye(3))


def _rbm():
    from boltzmann_lab.models.rbm import RBM
    rng = np.random.default_rng(2)
    return RBM(rng.normal(0, 0.1, (6, 3)), rng.normal(size=6), rng.normal(size=3))


def _rbm_gaussian_hidden():
    from boltzmann_lab.models.rbm import RBM
    rng = np.random.default_rng(3)
    return RBM(rng.normal(0, 0.1, (6, 3)), visible="spin", hidden="gaussian",
               sigma_h=np.array([0.5, 1.0, 2.0]))


def _hopfield():
    from boltzmann_lab.models.hopfield import HopfieldModel
    pats = np.where(np.random.default_rng(4).random((2, 8)) < 0.5, 1.0, -1.0)
    return HopfieldModel.from_patterns(pats)


def _mixture():
    from boltzmann_lab.models.mixture import MixtureModel
    return MixtureModel("bernoulli", [0.3, 0.7], [[0.1, 0.9, 0.5], [0.8, 0.2, 0.5]])


def _mixture_gaussian():
    from boltzmann_lab.models.mixture import MixtureModel
    return MixtureModel("gaussian", [0.5, 0.5], [[0.0, 1.0], [3.0, -1.0]],
                        covs=np.array([np.eye(2), 2 * np.eye(2)]))


def _ising():
    from boltzmann_lab.models.ising import IsingModel
    spins = np.where(np.random.default_rng(5).random((4, 4)) < 0.5, 1, -1)
    return IsingModel(4, 2.0, spins=spins)


def _dbm():
    from boltzmann_lab.models import dbm
    rng = np.random.default_rng(6)
    return dbm.DBM([rng.normal(0, 0.1, (6, 4)), rng.normal(0, 0.1, (4, 3))],
                   [rng.normal(size=6), rng.normal(size=4), rng.normal(size=3)])


MAKERS = {"maxent": _maxent, "gaussian": _gaussian, "rbm": _rbm,
          "rbm-gaussian-hidden": _rbm_gaussian_hidden, "hopfield": _hopfield,
          "mixture": _mixture, "mixture-gaussian": _mixture_gaussian, "ising": _ising,
          "dbm": _dbm}


@pytest.mark.parametrize("name", list(MAKERS))
def test_round_trip_every_kind(tmp_path, name):
    model = MAKERS[name]()
    path = save_model(tmp_path / "m.npz", model)
    assert path.exists() and os.listdir(tmp_path) == ["m.npz"]     # no temp file left behind
    meta, arrays = read_model_file(path)
    assert meta["format"] == "boltzmann-lab-model" and meta["version"] == 1
    assert meta["kind"] == model.kind and meta["convention"] == model.convention
    for req in KINDS[model.kind].files.required:
        assert req in arrays
    back = load_model(path)
    assert type(back) is type(model) and back.convention == model.convention
    m1, a1 = model.to_arrays()
    m2, a2 = back.to_arrays()
    assert set(a1) == set(a2)
    for k in a1:
        assert np.array_equal(np.asarray(a1[k]), np.asarray(a2[k])), k
    assert json.loads(json.dumps(modelio._jsonable(m1))) == json.loads(json.dumps(
        modelio._jsonable(m2)))
    # the file is readable without pickle by plain numpy, as documented
    with np.load(path, allow_pickle=False) as f:
        assert json.loads(str(f["meta"]))["kind"] == model.kind


def test_registry_points_at_real_classes():
    for kind in modelio.REGISTRY:
        cls = modelio.model_class(kind)
        assert cls.kind == kind


def _write(path, meta=None, **arrays):
    entries = dict(arrays)
    if meta is not None:
        entries["meta"] = np.array(meta if isinstance(meta, str) else json.dumps(meta))
    np.savez(path, **entries)


def _msg(path):
    with pytest.raises(ModelFileError) as info:
        load_model(path)
    assert isinstance(info.value, LoadError)
    return str(info.value)


def test_bad_model_files_give_clear_errors(tmp_path):
    ok = {"format": "boltzmann-lab-model", "version": 1, "kind": "maxent", "convention": "spin"}
    h, J = np.zeros(3), np.zeros((3, 3))
    assert "no such model file" in _msg(tmp_path / "missing.npz")
    _write(tmp_path / "a.npz", {**ok, "format": "something-else"}, h=h, J=J)
    assert "unknown file format 'something-else'" in _msg(tmp_path / "a.npz")
    _write(tmp_path / "b.npz", {**ok, "version": 2}, h=h, J=J)
    msg = _msg(tmp_path / "b.npz")
    assert "version 2" in msg and "reads version 1" in msg
    _write(tmp_path / "c.npz", {**ok, "kind": "perceptron"}, h=h, J=J)
    assert "unknown model kind 'perceptron'" in _msg(tmp_path / "c.npz")
    _write(tmp_path / "d.npz", ok, h=h)
    assert "missing: J" in _msg(tmp_path / "d.npz")
    _write(tmp_path / "e.npz", None, h=h, J=J)
    assert "no 'meta' entry" in _msg(tmp_path / "e.npz")
    _write(tmp_path / "f.npz", "{not json", h=h, J=J)
    assert "not valid JSON" in _msg(tmp_path / "f.npz")
    np.save(tmp_path / "g.npy", np.zeros(3))
    assert "not a Boltzmann Lab model" in _msg(tmp_path / "g.npy")
    (tmp_path / "h.npz").write_bytes(b"PK\x03\x04 corrupt")
    assert "corrupt" in _msg(tmp_path / "h.npz")
    _write(tmp_path / "i.npz", ok, h=np.array([np.nan, 0, 0]), J=J)
    assert "NaN" in _msg(tmp_path / "i.npz")
    _write(tmp_path / "j.npz", ok, h=np.zeros(3), J=np.zeros((4, 4)))
    assert "inconsistent" in _msg(tmp_path / "j.npz")


def test_pickled_entry_in_model_file_is_never_unpickled(tmp_path):
    target = tmp_path / "pwned"

    class Evil:
        def __reduce__(self):
            return (open, (str(target), "w"))

    arr = np.empty(1, dtype=object)
    arr[0] = Evil()
    ok = {"format": "boltzmann-lab-model", "version": 1, "kind": "maxent", "convention": "spin"}
    np.savez(tmp_path / "evil.npz", meta=np.array(json.dumps(ok)), h=arr, J=np.zeros((1, 1)))
    assert "evil.npz" in _msg(tmp_path / "evil.npz")
    assert not target.exists()


def test_failed_write_keeps_the_old_file(tmp_path, monkeypatch):
    model = _mixture()
    path = save_model(tmp_path / "m.npz", model)
    before = path.read_bytes()

    def broken(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", broken)
    with pytest.raises(OSError):
        save_model(path, _gaussian())
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["m.npz"]
