"""Faults and concurrency around ``train``: the run-directory lock (a second run refused, a lock
left by ``kill -9`` taken over), stale temporaries after ``kill -9`` cleaned, Ctrl-C and SIGTERM
of a real process (model and metrics written, exit 130), and DBM divergence with pretraining
(the parameters written are the last sane ones, the diverged step's row marked)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from boltzmann_lab.app.cli import main
from boltzmann_lab.io.rundir import LOCK_NAME, RunDirBusy, RunDirLock, stale_temp_files

RUN_FILES = ["config.toml", "metrics.jsonl", "model.npz"]
# open-ended (no steps): runs until stopped
ENDLESS = '[model]\nkind = "ising"\nL = 32\n[training]\nsweeps = 20\n'
SHORT = '[model]\nkind = "ising"\nL = 8\n[training]\nsteps = 3\n'


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("BOLTZMANN_LAB_CACHE", str(tmp_path / "cache"))


def _train(cfg, out, **kw):
    env = dict(os.environ, NUMBA_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    return subprocess.Popen([sys.executable, "-m", "boltzmann_lab.app", "train", str(cfg),
                             "--out", str(out)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env, **kw)


def _wait_for_training(out: Path, proc, timeout=60.0):
    """Until the run holds its lock and streams metrics (its temporary exists)."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if (out / LOCK_NAME).exists() and stale_temp_files(out):
            return
        if proc.poll() is not None:
            raise AssertionError(f"train exited early: {proc.communicate()}")
        time.sleep(0.05)
    proc.kill()
    raise AssertionError("train did not start within the timeout")


@pytest.mark.parametrize("sig, name", [(signal.SIGTERM, "SIGTERM"), (signal.SIGINT, "Ctrl-C")])
def test_second_run_refused_and_signal_stops_with_files_and_130(tmp_path, sig, name):
    cfg = tmp_path / "run.toml"
    cfg.write_text(ENDLESS)
    out = tmp_path / "run"
    first = _train(cfg, out)
    try:
        _wait_for_training(out, first)
        if sig == signal.SIGTERM:       # one concurrent run is enough to show the refusal
            second = subprocess.run([sys.executable, "-m", "boltzmann_lab.app", "train",
                                     str(cfg), "--out", str(out)], capture_output=True, text=True,
                                    timeout=120)
            assert second.returncode == 2, second.stderr
            said = " ".join(second.stderr.split())
            assert f"another boltzmann-lab run (pid {first.pid}) is writing" in said
        first.send_signal(sig)
        stdout, stderr = first.communicate(timeout=60)
    finally:
        if first.poll() is None:
            first.kill()
    assert first.returncode == 130, stderr
    assert f"stopped by {name}" in stdout
    # the model and metrics so far, the config; no lock file, no temporaries
    assert sorted(os.listdir(out)) == RUN_FILES
    rows = [json.loads(x) for x in (out / "metrics.jsonl").read_text().splitlines()]
    assert rows and rows[-1]["step"] >= 1
    from boltzmann_lab.io.modelio import load_model
    assert load_model(out / "model.npz").L == 32


def test_kill_9_leaves_nothing_that_blocks_the_next_run(tmp_path):
    cfg = tmp_path / "run.toml"
    cfg.write_text(ENDLESS)
    out = tmp_path / "run"
    p = _train(cfg, out)
    try:
        _wait_for_training(out, p)
    finally:
        p.kill()                    # SIGKILL: no handler runs
        p.communicate(timeout=30)
    left = set(os.listdir(out))
    assert LOCK_NAME in left and any(n.startswith(".metrics.jsonl.") for n in left)
    (tmp_path / "short.toml").write_text(SHORT)
    # the stale lock (its holder is dead) and our temporaries neither block nor survive the rerun
    assert main(["train", str(tmp_path / "short.toml"), "--out", str(out)]) == 0
    assert sorted(os.listdir(out)) == RUN_FILES


def test_lock_is_exclusive_and_released(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    with RunDirLock(out):
        with pytest.raises(RunDirBusy, match=f"pid {os.getpid()}"):
            RunDirLock(out).acquire()
        (tmp_path / "short.toml").write_text(SHORT)
        assert main(["train", str(tmp_path / "short.toml"), "--out", str(out)]) == 2
    assert not (out / LOCK_NAME).exists()
    with RunDirLock(out):                       # free again
        pass


def test_only_our_own_regular_temporaries_are_cleaned(tmp_path, capsys):
    out = tmp_path / "run"
    out.mkdir()
    (tmp_path / "short.toml").write_text(SHORT)
    (out / ".model.npz.abc12345.tmp").write_bytes(b"partial")         # ours, stale
    user = tmp_path / "precious.txt"
    user.write_text("keep me")
    os.symlink(user, out / ".metrics.jsonl.zzz99999.tmp")              # named like ours: a link
    assert main(["train", str(tmp_path / "short.toml"), "--out", str(out)]) == 2
    assert "not empty" in capsys.readouterr().err
    assert not (out / ".model.npz.abc12345.tmp").exists()              # ours: removed
    assert user.read_text() == "keep me" and (out / ".metrics.jsonl.zzz99999.tmp").is_symlink()
    (out / ".metrics.jsonl.zzz99999.tmp").unlink()
    assert main(["train", str(tmp_path / "short.toml"), "--out", str(out)]) == 0
    assert sorted(os.listdir(out)) == RUN_FILES


def test_failed_start_leaves_no_directory(tmp_path, capsys):
    (tmp_path / "bad.toml").write_text('[data]\npath = "missing.npy"\n[model]\nkind = "rbm"\n')
    assert main(["train", str(tmp_path / "bad.toml"), "--out", str(tmp_path / "o")]) == 2
    assert not (tmp_path / "o").exists()


def test_dbm_pretraining_divergence_keeps_sane_parameters(tmp_path, capsys):
    cfg = tmp_path / "dbm.toml"
    cfg.write_text('[data]\ngenerator = "bars_and_stripes"\nsize = 3\n[model]\nkind = "dbm"\n'
                   'hidden = [8, 4]\n[training]\nlearning_rate = 1e7\noptimizer = "sgd"\n'
                   'steps = 20\nchains = 20\n')
    out = tmp_path / "run"
    assert main(["train", str(cfg), "--out", str(out)]) == 1
    assert "diverged" in capsys.readouterr().err
    with np.load(out / "model.npz") as z:
        biggest = max(float(np.abs(z[k]).max()) for k in z.files if k != "meta")
    from boltzmann_lab.learning.trainer import Learner
    assert np.isfinite(biggest) and biggest <= Learner.param_limit
    rows = [json.loads(x) for x in (out / "metrics.jsonl").read_text().splitlines()]
    assert rows[-1]["diverged"] is True and rows[-1]["last_good_step"] < rows[-1]["step"]
    assert not any(r.get("diverged") for r in rows[:-1])


def test_pretraining_guard_restores_the_last_good_step():
    from boltzmann_lab.learning.rbm import RBMLearner
    from boltzmann_lab.learning.dbm import _guarded_steps
    x = (np.random.default_rng(0).random((40, 6)) < 0.5).astype(float)
    lr = RBMLearner(x, n_hidden=3, method="pcd", k=1, chains=10, batch_size=10,
                    learning_rate=1e9, optimizer="sgd", seed=0, precision="float64",
                    strict=False)
    before = {k: v.copy() for k, v in lr.params.items()}
    assert _guarded_steps(lr, 5) is False
    for k, v in lr.params.items():           # diverged on the first step: back to the start
        assert np.array_equal(v, before[k])
