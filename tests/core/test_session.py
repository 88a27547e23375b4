"""Sessions resume bit for bit: k steps, save, load, m more steps == k + m steps uninterrupted
(same learned parameters, same persistent chains and RNG states, same metrics), for each kind; the
file is one .npz that loads without pickle, written atomically."""

from __future__ import annotations

import copy
import json
import os

import numpy as np
import pytest

from boltzmann_lab.io import session as S
from boltzmann_lab.build import make_trainer
from boltzmann_lab.config import resolve

KINDS = {
    "ising": {"model": {"kind": "ising", "L": 16, "temperature": 2.3}, "training": {"seed": 3}},
    "ising-wolff": {"model": {"kind": "ising", "L": 12, "algorithm": "wolff"},
                    "training": {"seed": 4}},
    "maxent-mcmc": {"data": {"generator": "sk", "n": 8, "samples": 400, "seed": 2},
                    "model": {"kind": "maxent"},
                    "training": {"estimator": "mcmc", "chains": 50, "optimizer": "adam",
                                 "learning_rate": 0.05, "seed": 5, "eval_every": 3}},
    "rbm-pcd": {"data": {"generator": "bars_and_stripes", "size": 3, "samples": 60, "seed": 1},
                "model": {"kind": "rbm", "hidden": 5},
                "training": {"method": "pcd", "chains": 12, "batch_size": 10, "seed": 6,
                             "eval_every": 4}},
    "rbm-cd-momentum": {"data": {"generator": "bars_and_stripes", "size": 3, "seed": 1},
                        "model": {"kind": "rbm", "hidden": 4},
                        "training": {"method": "cd", "optimizer": "momentum", "batch_size": 5,
                                     "seed": 7}},
    "hopfield-hot": {"data": {"generator": "patterns", "n": 36, "count": 3, "seed": 1},
                     "model": {"kind": "hopfield", "temperature": 0.4, "cue_noise": 0.3},
                     "training": {"seed": 8}},
    # covariance selection on a chain mask: iterative (the full-pair fit is one closed-form step)
    "gaussian": {"data": {"generator": "gaussian_mixture", "n": 6, "samples": 300, "seed": 3},
                 "model": {"kind": "gaussian", "pairs": "mask", "mask": "MASK"},
                 "training": {"seed": 2, "tolerance": 1e-14}},
    "mixture": {"data": {"generator": "mixture", "n": 6, "components": 2, "samples": 200,
                         "seed": 2},
                "model": {"kind": "mixture", "components": 2}, "training": {"seed": 9}},
}

def _cfg(name, tmp_path=None):
    raw = copy.deepcopy(KINDS[name])
    if raw["model"].get("mask") == "MASK":
        n = raw["data"]["n"]
        mask = np.abs(np.subtract.outer(np.arange(n), np.arange(n))) == 1
        np.save(tmp_path / "mask.npy", mask)
        raw["model"]["mask"] = str(tmp_path / "mask.npy")
    return resolve(raw)


def _run(trainer, steps):
    # the evaluation schedule is a function of the config alone (no clock), so two runs agree
    for _ in range(steps):
        if trainer.done:
            break
        trainer.step()


def _assert_same_state(a, b):
    assert a.keys() == b.keys()
    for k in a:
        x, y = a[k], b[k]
        if isinstance(x, np.ndarray) or isinstance(y, np.ndarray):
            x, y = np.asarray(x), np.asarray(y)
            assert x.shape == y.shape and x.dtype == y.dtype, k
            assert np.array_equal(x, y, equal_nan=x.dtype.kind in "fc"), f"{k} differs"
        else:
            assert (x == y) or (x != x and y != y), f"{k}: {x!r} != {y!r}"


@pytest.mark.parametrize("name", list(KINDS))
def test_save_load_continue_equals_uninterrupted(tmp_path, name):
    cfg = _cfg(name, tmp_path)
    k, m = 7, 6
    straight = make_trainer(cfg)
    _run(straight, k + m)

    first = make_trainer(cfg)
    _run(first, k)
    path = S.save_trainer(tmp_path / "run", cfg, first)
    assert path.suffix == ".npz" and path.exists()
    del first

    session = S.load_session(path)
    assert session.step == k and session.kind == cfg["model"]["kind"]
    resumed = S.build_trainer(session)
    assert resumed.step_count == k
    _run(resumed, m)

    assert resumed.step_count == straight.step_count
    _assert_same_state(straight.state_dict(), resumed.state_dict())
    # the curve history carries over and continues exactly
    assert len(resumed.history) == len(straight.history)
    for r, s in zip(resumed.history, straight.history):
        assert r.keys() == s.keys()
        for key in r:
            assert r[key] == s[key] or (r[key] != r[key] and s[key] != s[key]), key


def test_file_is_plain_npz_without_pickle(tmp_path):
    cfg = _cfg("rbm-pcd")
    t = make_trainer(cfg)
    _run(t, 3)
    path = S.save_trainer(tmp_path / "s.npz", cfg, t, extra={"preset": "x"})
    with np.load(path, allow_pickle=False) as z:     # would raise on any object array
        meta = json.loads(str(z["meta"][()]))
        assert all(z[f].dtype != object for f in z.files)
    assert meta["format"] == S.FORMAT and meta["kind"] == "rbm"
    assert meta["config"] == json.loads(json.dumps(cfg))
    assert S.load_session(path).extra == {"preset": "x"}
    # no temporary files are left next to it
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.npz"]


def test_failed_write_keeps_the_old_file(tmp_path):
    cfg = _cfg("ising")
    t = make_trainer(cfg)
    _run(t, 2)
    path = S.save_trainer(tmp_path / "s.npz", cfg, t)
    before = path.read_bytes()
    bad = dict(t.state_dict())
    bad["oops"] = object()
    with pytest.raises(S.SessionError, match="oops"):
        S.save_session(path, cfg, bad)
    assert path.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["s.npz"]


def test_object_arrays_are_refused(tmp_path):
    with pytest.raises(S.SessionError, match="object array"):
        S.save_session(tmp_path / "x.npz", {"model": {"kind": "ising"}},
                       {"a": np.array([1, "x", None], dtype=object)})


def test_pickled_or_foreign_files_are_refused_without_unpickling(tmp_path):
    p = tmp_path / "evil.npz"
    np.savez(p, meta=np.array([{"format": S.FORMAT}], dtype=object))
    with pytest.raises(S.SessionError, match="not a readable session"):
        S.load_session(p)
    q = tmp_path / "model.npz"
    np.savez(q, meta=np.array(json.dumps({"format": "boltzmann-lab-model"})))
    with pytest.raises(S.SessionError, match="not a Boltzmann Lab session"):
        S.load_session(q)
    r = tmp_path / "junk.npz"
    r.write_bytes(b"not a zip at all")
    with pytest.raises(S.SessionError):
        S.load_session(r)
    with pytest.raises(S.SessionError, match="no such"):
        S.load_session(tmp_path / "missing.npz")


def test_scalar_types_and_special_floats_round_trip(tmp_path):
    state = {"i": 3, "f": 0.1, "inf": -np.inf, "nan": float("nan"), "s": "pcd", "b": True,
             "none": None, "np_scalar": np.float32(1.5), "u": np.array("metropolis"),
             "arr": np.arange(6, dtype=np.uint64).reshape(2, 3)}
    path = S.save_session(tmp_path / "t", {"model": {"kind": "ising"}}, state,
                          history=[{"step": 1, "a": 0.5}, {"step": 2, "b": 1.0}])
    got = S.load_session(path)
    assert got.state["i"] == 3 and type(got.state["i"]) is int
    assert got.state["f"] == 0.1 and got.state["inf"] == -np.inf and got.state["nan"] != got.state["nan"]
    assert got.state["s"] == "pcd" and got.state["b"] is True and got.state["none"] is None
    assert got.state["np_scalar"].dtype == np.float32 and got.state["np_scalar"] == 1.5
    assert str(got.state["u"]) == "metropolis"
    assert got.state["arr"].dtype == np.uint64 and got.state["arr"].shape == (2, 3)
    assert got.history == [{"step": 1, "a": 0.5}, {"step": 2, "b": 1.0}]


def test_session_for_another_model_is_refused(tmp_path):
    cfg = _cfg("ising")
    t = make_trainer(cfg)
    _run(t, 1)
    path = S.save_trainer(tmp_path / "s", cfg, t)
    session = S.load_session(path)
    other = make_trainer(resolve({"model": {"kind": "ising", "L": 8}}))
    with pytest.raises(S.SessionError, match="does not fit"):
        S.restore(other, session)
