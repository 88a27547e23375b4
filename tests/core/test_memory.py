"""The memory budget (boltzmann_lab.memory): the cap from the environment, data shapes from file
headers and generator keys, refusals that name the figure and the key, and the run estimate
compared with the memory real runs take (peak resident size of a forked child)."""

from __future__ import annotations

import copy
import gc
import os
import struct
import sys

import numpy as np
import pytest

from boltzmann_lab import memory
from boltzmann_lab.config import ConfigError, resolve
from boltzmann_lab.data.loaders import peek_shape


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("BOLTZMANN_LAB_CACHE", str(tmp_path / "cache"))


def test_environment_cap(monkeypatch):
    monkeypatch.delenv(memory.ENV_LIMIT, raising=False)
    free = memory.available_memory()
    assert free is None or free > 0
    for text, value in (("2G", 2e9), ("500M", 5e8), ("1.5e9", 1.5e9), ("64MB", 64e6),
                        ("3gib", 3e9)):
        monkeypatch.setenv(memory.ENV_LIMIT, text)
        assert memory.memory_limit() == int(value)
        assert memory.available_memory() <= int(value)
    for bad in ("lots", "-1G", "0", "nan"):
        monkeypatch.setenv(memory.ENV_LIMIT, bad)
        assert memory.memory_limit() is None


def test_data_shape_from_headers_without_reading(tmp_path):
    np.save(tmp_path / "a.npy", np.zeros((7, 3, 4)))
    assert peek_shape(tmp_path / "a.npy") == (7, 12)
    np.savez(tmp_path / "b.npz", x=np.zeros((5, 2)), labels=np.arange(5))
    assert peek_shape(tmp_path / "b.npz") == (5, 2)
    (tmp_path / "c-ubyte").write_bytes(bytes([0, 0, 8, 3]) + struct.pack(">3I", 9, 2, 2))
    assert peek_shape(tmp_path / "c-ubyte") == (9, 4)         # the header alone is enough
    (tmp_path / "d.csv").write_text("a,b,c\n" + "0.5,1,2\n" * 1000)
    M, n = peek_shape(tmp_path / "d.csv")
    assert n == 3 and 900 <= M <= 1100                         # an estimate from the size
    cfg = resolve({"data": {"generator": "ising", "L": 8, "temperatures": [1.0, 2.0],
                            "samples": 50}, "model": {"kind": "rbm"}})
    assert memory.data_shape(cfg) == (100, 64)


def test_refusal_names_the_figure_and_the_key(monkeypatch):
    monkeypatch.setenv(memory.ENV_LIMIT, "1G")
    cfg = resolve({"data": {"generator": "sk", "n": 6}, "model": {"kind": "maxent"},
                   "training": {"estimator": "mcmc", "chains": 10 ** 9}})
    with pytest.raises(memory.MemoryBudgetError) as err:
        memory.check_run(cfg, source="run.toml")
    text = str(err.value)
    assert isinstance(err.value, ConfigError)
    assert text.startswith("run.toml: this run needs an estimated 192.0 GB")   # 4 * 8 * 1e9 * 6
    assert "[training] chains" in text and "1.0 GB is available" in text
    assert f"{memory.ENV_LIMIT} = 1G caps it" in text
    cfg["training"]["chains"] = 1000
    memory.check_run(cfg)                                       # a sane run fits


def _rss(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024


def _measure(cfg) -> float:
    """Peak bytes a run (build + its steps) adds to a forked child."""
    from boltzmann_lab.build import make_trainer
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            # the parent's objects stay out of the child's garbage collections: a collection
            # walking them would copy their pages (copy-on-write) and count the parent's heap,
            # which grows with every test run before this one, as the run's memory
            gc.freeze()
            with open("/proc/self/clear_refs", "w") as f:
                f.write("5")                          # reset the peak (VmHWM) to now
            base = _rss("VmRSS")
            t = make_trainer(cfg)
            while not t.done:
                t.step(with_views=False)
            os.write(w, str(_rss("VmHWM") - base).encode())
        finally:
            os._exit(0)
    os.close(w)
    out = os.read(r, 64)
    os.close(r)
    os.waitpid(pid, 0)
    return float(out)


RUNS = {   # each adds ~50-300 MB
    "maxent-mcmc": {"data": {"generator": "mixture", "n": 100, "samples": 10000},
                    "model": {"kind": "maxent"},
                    "training": {"estimator": "mcmc", "chains": 20000, "steps": 2}},
    "rbm": {"data": {"generator": "mixture", "n": 400, "samples": 10000},
            "model": {"kind": "rbm", "hidden": 200},
            "training": {"steps": 2, "chains": 1000}},
    "mixture-gaussian": {"data": {"generator": "gaussian_mixture", "n": 60, "samples": 30000,
                                  "components": 4},
                         "model": {"kind": "mixture", "components": 4},
                         "training": {"steps": 2}},
    "hopfield": {"data": {"generator": "patterns", "n": 1500, "count": 50},
                 "model": {"kind": "hopfield"}, "training": {"steps": 2}},
    "potts-pl": {"data": {"generator": "protein_family", "n": 50, "samples": 300, "sweeps": 2},
                 "model": {"kind": "potts"},
                 "training": {"estimator": "pseudolikelihood", "pl_iterations": 3, "steps": 2}},
    "potts-mcmc": {"data": {"generator": "protein_family", "n": 50, "samples": 300, "sweeps": 2},
                   "model": {"kind": "potts"},
                   "training": {"estimator": "mcmc", "chains": 200, "steps": 3}},
}


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/status")
@pytest.mark.parametrize("name", list(RUNS))
def test_estimate_bounds_the_measured_peak_within_a_small_factor(name):
    from boltzmann_lab.build import make_trainer
    small = copy.deepcopy(RUNS[name])          # compile/load the kernels outside the measurement
    for k, v in (("n", 8), ("samples", 100), ("count", 3)):
        if k in small["data"]:
            small["data"][k] = min(small["data"][k], v)
    if small["data"].get("generator") == "patterns":
        small["data"]["n"] = 16
    t = make_trainer(resolve(small))
    while not t.done:
        t.step(with_views=False)
    cfg = resolve(RUNS[name])
    est = memory.total(memory.estimate_run(cfg))
    measured = _measure(cfg)
    assert measured > 20e6, "the run is too small to measure"
    # upper-side (it exists to refuse runs that cannot fit) but not wildly so
    assert 0.9 * measured <= est <= 4.0 * measured, (name, est / 1e6, measured / 1e6)


def test_every_registered_kind_has_an_estimate_and_a_file_layout():
    """A kind's record names its memory estimate and its model-file layout, so its runs are
    budgeted and its files checked header-first."""
    from boltzmann_lab.kinds import KINDS
    cfg = {"model": {}, "training": {}, "data": {}}
    for name, k in KINDS.items():
        assert k.memory, f"kind {name!r} names no memory estimate"
        assert all(isinstance(p, memory.Part) for p in k.memory_parts(cfg, 100, 16))
        assert k.files.units and k.files.conventions
