"""End to end, one per model kind (small sizes): train -> sample -> evaluate through the CLI, using
only the files it writes."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from boltzmann_lab.app.cli import main

ROOT = Path(__file__).resolve().parents[2]

CONFIGS = {
    "maxent": ('[data]\ngenerator = "sk"\nn = 6\nsamples = 500\n'
               '[model]\nkind = "maxent"\n[training]\nsteps = 30\n', 6, "spin"),
    "gaussian": ('[data]\ngenerator = "gaussian_mixture"\nn = 3\ncomponents = 1\nsamples = 300\n'
                 '[model]\nkind = "gaussian"\n[training]\nsteps = 20\n', 3, "real"),
    "rbm": ('[data]\ngenerator = "bars_and_stripes"\nsize = 3\nvalidation_fraction = 0.0\n'
            '[model]\nkind = "rbm"\nhidden = 4\n[training]\nmethod = "pcd"\nchains = 20\n'
            'batch_size = 7\nsteps = 20\n', 9, "binary"),
    "dbm": ('[data]\ngenerator = "bars_and_stripes"\nsize = 3\nvalidation_fraction = 0.0\n'
            '[model]\nkind = "dbm"\nhidden = [4, 3]\n[training]\npretrain_epochs = 1\n'
            'chains = 20\nbatch_size = 7\nsteps = 10\n', 9, "binary"),
    "hopfield": ('[data]\ngenerator = "patterns"\nstyle = "letters"\nn = 49\ncount = 3\n'
                 'validation_fraction = 0.0\n[model]\nkind = "hopfield"\n[training]\nsteps = 3\n',
                 49, "spin"),
    "mixture": ('[data]\ngenerator = "coin_tosses"\nexperiments = 20\ntosses = 10\n'
                'validation_fraction = 0.0\n[model]\nkind = "mixture"\ncomponents = 2\n'
                'family = "binomial"\ninit = "given"\ninit_params = [0.6, 0.5]\n'
                '[training]\nsteps = 10\n', 10, "binary"),
    "ising": ('[model]\nkind = "ising"\nL = 6\ntemperature = 2.0\n[training]\nsteps = 5\n',
              36, "spin"),
}

VALUES = {"binary": {0.0, 1.0}, "spin": {-1.0, 1.0}}


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("BOLTZMANN_LAB_CACHE", str(tmp_path / "cache"))


@pytest.mark.parametrize("kind", list(CONFIGS))
def test_train_sample_evaluate(kind, tmp_path, capsys):
    text, n, conv = CONFIGS[kind]
    cfg = tmp_path / "run.toml"
    cfg.write_text(text)
    out = tmp_path / "run"
    assert main(["train", str(cfg), "--out", str(out)]) == 0, capsys.readouterr().err
    for name in ("model.npz", "metrics.jsonl", "config.toml"):
        assert (out / name).exists()
    lines = (out / "metrics.jsonl").read_text().splitlines()
    assert lines and all({"step", "epoch"} <= set(json.loads(x)) for x in lines)

    samples = tmp_path / "s.npy"
    assert main(["sample", str(out / "model.npz"), "-n", "12", "--out", str(samples),
                 "--seed", "1"]) == 0, capsys.readouterr().err
    x = np.load(samples)
    assert x.shape == (12, n) and np.isfinite(x).all()
    if conv in VALUES:
        assert set(np.unique(x)) <= VALUES[conv]
    capsys.readouterr()
    assert main(["evaluate", str(out / "model.npz"), str(samples)]) == 0, capsys.readouterr().err
    res = json.loads(capsys.readouterr().out)
    assert "ll" in res and isinstance(res["ll_method"], str)
    if kind != "ising":        # with a field a large lattice has no tractable likelihood ("none")
        assert np.isfinite(res["ll"])


def test_train_sample_evaluate_as_subprocess(tmp_path):
    text, n, _ = CONFIGS["mixture"]
    (tmp_path / "run.toml").write_text(text)
    env = {"BOLTZMANN_LAB_CACHE": str(tmp_path / "cache")}
    import os
    env = {**os.environ, **env}

    def cli(*args):
        return subprocess.run([sys.executable, "-m", "app", *map(str, args)], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=300)

    r = cli("train", tmp_path / "run.toml", "--out", tmp_path / "run")
    assert r.returncode == 0 and r.stderr == "", r.stderr
    r = cli("sample", tmp_path / "run" / "model.npz", "-n", "5", "--out", tmp_path / "s.npy")
    assert r.returncode == 0, r.stderr
    r = cli("evaluate", tmp_path / "run" / "model.npz", tmp_path / "s.npy")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["ll_method"]
