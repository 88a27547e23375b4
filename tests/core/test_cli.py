"""The command line (boltzmann_lab.app.cli): usage, errors and exit codes, train/sample/evaluate files, Ctrl-C,
the GUI hand-off, and the three run configs of DESIGN.md exactly as written."""

import json
import os
import signal
import subprocess
import sys
import types
from pathlib import Path

import numpy as np
import pytest

from boltzmann_lab.app.cli import main
from boltzmann_lab import config
from boltzmann_lab.learning.trainer import Learner, Trainer

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("BOLTZMANN_LAB_CACHE", str(tmp_path / "cache"))


def run(argv, capsys):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


# ------------------------------------------------------------------------------ usage
@pytest.mark.parametrize("argv", [["--help"], ["train", "--help"], ["sample", "--help"],
                                  ["evaluate", "--help"], ["presets", "--help"]])
def test_help_with_examples(argv, capsys):
    code, out, _ = run(argv, capsys)
    assert code == 0 and "example" in out and "boltzmann-lab" in out


def test_presets_listing(capsys):
    from boltzmann_lab.presets import DEFAULT_PRESET, list_presets
    code, out, _ = run(["presets"], capsys)
    assert code == 0
    lines = out.strip().splitlines()
    assert len(lines) == len(list_presets())
    assert any(line.startswith(DEFAULT_PRESET) and "(default)" in line for line in lines)


def test_bad_usage_exits_2_with_one_paragraph(capsys, tmp_path):
    for argv in (["bogus"], ["train"], ["sample", "m.npz"], ["--preset", "no-such-preset"],
                 ["train", tmp_path / "missing.toml", "--out", tmp_path / "o"],
                 ["sample", tmp_path / "missing.npz", "-n", "3", "--out", tmp_path / "s.npy"]):
        code, out, err = run(argv, capsys)
        assert code == 2, argv
        assert "Traceback" not in err and err.startswith("boltzmann-lab: error:")
    code, _, err = run(["--preset", "no-such-preset"], capsys)
    assert "rbm-bars" in err                   # lists what exists


def _toml(path, text):
    path.write_text(text)
    return path


def test_config_errors_name_key_and_allowed_values(tmp_path, capsys):
    c = _toml(tmp_path / "c.toml", '[data]\ngenerator = "bars_and_stripes"\n[model]\nkind = "rbm"\n'
                                   "hiden = 3\n")
    code, _, err = run(["train", c, "--out", tmp_path / "o"], capsys)
    assert code == 2 and "'hiden'" in err and "hidden" in err and "c.toml" in err
    c = _toml(tmp_path / "d.toml", '[data]\ngenerator = "bars_and_stripes"\nvalidation_fraction '
                                   '= 1.5\n[model]\nkind = "rbm"\n')
    code, _, err = run(["train", c, "--out", tmp_path / "o"], capsys)
    assert code == 2 and "validation_fraction" in err and "0.9" in err
    c = _toml(tmp_path / "e.toml", '[data]\ngenerator = "bars_and_stripes"\n[model]\nkind = "rbm"\n'
                                   '[training]\nmethod = "magic"\n')
    code, _, err = run(["train", c, "--out", tmp_path / "o"], capsys)
    assert code == 2 and "'magic'" in err and "'pcd'" in err
    assert not (tmp_path / "o").exists()


def test_bad_data_exit_2_and_debug_traceback(tmp_path, capsys):
    (tmp_path / "d.csv").write_text("1,2\n3\n")
    c = _toml(tmp_path / "c.toml", '[data]\npath = "d.csv"\n[model]\nkind = "mixture"\n')
    code, _, err = run(["train", c, "--out", tmp_path / "o"], capsys)
    assert code == 2 and "line 2" in err and "Traceback" not in err
    code, _, err = run(["train", c, "--out", tmp_path / "o", "--debug"], capsys)
    assert code == 2 and "Traceback" in err
    np.save(tmp_path / "r.npy", np.random.default_rng(0).random((10, 4)))
    c = _toml(tmp_path / "r.toml", '[data]\npath = "r.npy"\n[model]\nkind = "rbm"\n')
    code, _, err = run(["train", c, "--out", tmp_path / "o"], capsys)
    assert code == 2 and 'binarize = "threshold"' in err


# ------------------------------------------------------------------------------ train
MIX = """[data]
generator = "mixture"
n = 6
components = 2
samples = 200
[model]
kind = "mixture"
components = 2
[training]
steps = 15
"""


def test_train_writes_files_and_refuses_overwrite(tmp_path, capsys):
    c = _toml(tmp_path / "mix.toml", MIX)
    out = tmp_path / "run"
    code, stdout, err = run(["train", c, "--out", out], capsys)
    assert code == 0, err
    assert err == ""                       # quiet when not a terminal
    assert sorted(os.listdir(out)) == ["config.toml", "metrics.jsonl", "model.npz"]
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert rows and all("step" in r and "epoch" in r for r in rows)
    assert [r["step"] for r in rows] == sorted(r["step"] for r in rows)
    assert any("train_ll" in r for r in rows)
    resolved = config.load(out / "config.toml")
    assert resolved == config.load(c)
    code, _, err = run(["train", c, "--out", out], capsys)
    assert code == 2 and "--force" in err
    code, _, _ = run(["train", c, "--out", out, "--force"], capsys)
    assert code == 0


class _Toy(Learner):
    """A learner that takes a step per call; it can diverge or press Ctrl-C at a chosen step."""

    kind = "mixture"
    convention = "binary"

    def __init__(self, sigint_at=None, diverge_at=None, sig=signal.SIGINT):
        from boltzmann_lab.models.mixture import MixtureModel
        self.model = MixtureModel("bernoulli", [0.5, 0.5], [[0.2, 0.8], [0.7, 0.3]])
        self.params = {"means": self.model.means}
        self.sigint_at, self.diverge_at, self.sig = sigint_at, diverge_at, sig
        self.steps = 0

    def step(self):
        self.steps += 1
        if self.steps == self.sigint_at:
            os.kill(os.getpid(), self.sig)
        if self.steps == self.diverge_at:
            self.params["means"][0, 0] = np.nan
        return {"loss": float(self.steps)}


def _fake_trainer(monkeypatch, learner):
    monkeypatch.setattr("boltzmann_lab.app.cli_train._make_trainer", lambda cfg, source=None: Trainer(learner, max_steps=100))


@pytest.mark.parametrize("sig, name", [(signal.SIGINT, "Ctrl-C"), (signal.SIGTERM, "SIGTERM")])
def test_ctrl_c_and_sigterm_stop_after_the_step_write_and_exit_130(tmp_path, capsys, monkeypatch,
                                                                    sig, name):
    old_int, old_term = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    toy = _Toy(sigint_at=3, sig=sig)
    _fake_trainer(monkeypatch, toy)
    c = _toml(tmp_path / "mix.toml", MIX)
    code, out, err = run(["train", c, "--out", tmp_path / "run"], capsys)
    assert code == 130 and toy.steps == 3 and name in out, err
    rows = [json.loads(x) for x in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows] == [1, 2, 3]
    assert (tmp_path / "run" / "model.npz").exists()
    # nothing of ours is left behind: no temporaries, no lock file
    assert sorted(os.listdir(tmp_path / "run")) == ["config.toml", "metrics.jsonl", "model.npz"]
    assert signal.getsignal(signal.SIGINT) is old_int       # handlers restored (whatever they were)
    assert signal.getsignal(signal.SIGTERM) is old_term


def test_divergence_exits_1_and_keeps_last_good_model(tmp_path, capsys, monkeypatch):
    toy = _Toy(diverge_at=4)
    _fake_trainer(monkeypatch, toy)
    c = _toml(tmp_path / "mix.toml", MIX)
    code, _, err = run(["train", c, "--out", tmp_path / "run"], capsys)
    assert code == 1 and "diverged" in err and "Traceback" not in err
    from boltzmann_lab.io.modelio import load_model
    assert np.isfinite(load_model(tmp_path / "run" / "model.npz").means).all()
    rows = [json.loads(x) for x in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    # steps 1-3 logged as they happened; the diverged step 4 is one more row, marked
    assert [r["step"] for r in rows] == [1, 2, 3, 4]
    assert [r.get("diverged", False) for r in rows] == [False, False, False, True]
    assert rows[-1]["loss"] == 4.0 and rows[-1]["last_good_step"] == 1


# ------------------------------------------------------------------------------ sample/evaluate
def test_sample_and_evaluate_errors(tmp_path, capsys):
    c = _toml(tmp_path / "mix.toml", MIX)
    assert run(["train", c, "--out", tmp_path / "run"], capsys)[0] == 0
    model = tmp_path / "run" / "model.npz"
    code, _, err = run(["sample", model, "-n", "0", "--out", tmp_path / "s.npy"], capsys)
    assert code == 2 and "at least 1" in err
    code, _, err = run(["sample", model, "-n", "3", "--out", tmp_path / "s.csv"], capsys)
    assert code == 2 and ".npy" in err
    code, out, _ = run(["sample", model, "-n", "7", "--out", tmp_path / "s.npy", "--seed", "2"],
                       capsys)
    x = np.load(tmp_path / "s.npy")
    assert code == 0 and x.shape == (7, 6) and set(np.unique(x)) <= {0.0, 1.0}
    np.save(tmp_path / "wide.npy", np.zeros((3, 9)))
    code, _, err = run(["evaluate", model, tmp_path / "wide.npy"], capsys)
    assert code == 2 and "9 units" in err and "6" in err
    np.savez(tmp_path / "d.npz", a=x, b=x)
    code, _, err = run(["evaluate", model, tmp_path / "d.npz"], capsys)
    assert code == 2 and "--key" in err
    code, out, _ = run(["evaluate", model, tmp_path / "d.npz", "--key", "b"], capsys)
    res = json.loads(out)
    assert code == 0 and np.isfinite(res["ll"]) and res["ll_method"] == "exact"
    (tmp_path / "notmodel.npz").write_bytes(b"garbage")
    code, _, err = run(["evaluate", tmp_path / "notmodel.npz", tmp_path / "s.npy"], capsys)
    assert code == 2 and "model file" in err


# ------------------------------------------------------------------------------ GUI hand-off
def test_gui_is_opened_lazily_with_the_options(monkeypatch, capsys, tmp_path):
    calls = []
    fake = types.ModuleType("boltzmann_lab.app.gui")
    fake.run_gui = lambda **kw: calls.append(kw) or 7
    monkeypatch.setitem(sys.modules, "boltzmann_lab.app.gui", fake)
    assert main([]) == 7
    assert calls[-1] == {"preset": None, "autoplay": False, "presentation": False,
                         "screenshot": None, "quit_after": None, "debug": False}
    shot = str(tmp_path / "s.png")
    assert main(["--preset", "rbm-bars", "--autoplay", "--presentation", "--screenshot", shot,
                 "--quit-after", "2.5"]) == 7
    assert calls[-1] == {"preset": "rbm-bars", "autoplay": True, "presentation": True,
                         "screenshot": shot, "quit_after": 2.5, "debug": False}
    assert main(["--debug"]) == 7 and calls[-1]["debug"] is True
    assert main(["--screenshot", "x.jpg"]) == 2
    assert main(["--quit-after", "-1"]) == 2


def test_cli_imports_no_qt_and_runs_as_module(tmp_path):
    script = ("import sys, boltzmann_lab.app.cli\n"
              "bad = [m for m in sys.modules if m.split('.')[0] in ('PySide6', 'pyqtgraph')]\n"
              "assert not bad, bad\n")
    env = {**os.environ, "BOLTZMANN_LAB_CACHE": str(tmp_path / "cache")}
    res = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True,
                         env=env, timeout=300)
    assert res.returncode == 0, res.stderr
    res = subprocess.run([sys.executable, "-m", "app", "presets"], cwd=ROOT, capture_output=True,
                         text=True, env=env, timeout=300)
    assert res.returncode == 0 and "rbm-bars" in res.stdout
    res = subprocess.run([sys.executable, "-m", "app", "train", tmp_path / "none.toml", "--out",
                          tmp_path / "o"], cwd=ROOT, capture_output=True, text=True, env=env,
                         timeout=300)
    assert res.returncode == 2 and "none.toml" in res.stderr and "Traceback" not in res.stderr


# ------------------------------------------------------------------------------ DESIGN.md configs
DESIGN_MAXENT = '''[data]                               # MaxEnt pairwise model, exact gradient
path = "spins.npy"
convention = "spin"
validation_fraction = 0.0
[model]
kind = "maxent"
constraints = ["means", "pairs"]     # also "population" (P(K)); pairs may be restricted (lattice, mask)
[training]
estimator = "exact"                  # or "mcmc", "pseudolikelihood"
seed = 1
'''

DESIGN_RBM = '''[data]                               # RBM, persistent contrastive divergence
path = "images.npy"
convention = "binary"
[model]
kind = "rbm"
hidden = 20
[training]
method = "pcd"                       # or "cd"
epochs = 20
seed = 1
'''

DESIGN_EM = '''[data]                               # EM on a Bernoulli mixture
path = "binary.npy"
[model]
kind = "mixture"
components = 3
[training]
steps = 200
'''


def test_design_md_configs_work_as_written(tmp_path, capsys):
    from boltzmann_lab.exact.enumeration import log_likelihood
    from boltzmann_lab.data.generators import bars_and_stripes, mixture, sk
    from boltzmann_lab.io.modelio import load_model

    np.save(tmp_path / "spins.npy", sk(n=8, beta=0.5, samples=2000, seed=1).x)
    np.save(tmp_path / "images.npy", bars_and_stripes(4, samples=200, seed=1).x)
    np.save(tmp_path / "binary.npy", mixture(n=10, components=3, samples=300, seed=1).x)
    for name, text, data, n in (("maxent", DESIGN_MAXENT, "spins.npy", 8),
                                ("rbm", DESIGN_RBM, "images.npy", 16),
                                ("em", DESIGN_EM, "binary.npy", 10)):
        cfg = _toml(tmp_path / f"{name}.toml", text)
        out = tmp_path / f"run-{name}"
        code, _, err = run(["train", cfg, "--out", out], capsys)
        assert code == 0, (name, err)
        code, _, err = run(["sample", out / "model.npz", "-n", "25", "--out",
                            tmp_path / f"{name}-s.npy"], capsys)
        assert code == 0, err
        assert np.load(tmp_path / f"{name}-s.npy").shape == (25, n)
        code, stdout, err = run(["evaluate", out / "model.npz", tmp_path / data], capsys)
        assert code == 0, err
        res = json.loads(stdout)
        assert np.isfinite(res["ll"]) and isinstance(res["ll_method"], str)
        if name == "maxent":
            m = load_model(out / "model.npz")
            x = np.load(tmp_path / data)
            assert res["ll_method"] == "exact"
            assert res["ll"] == pytest.approx(log_likelihood(x, m.h, m.J, "spin"), rel=1e-10)


def test_progress_bar_draws_on_a_terminal_only():
    import io

    from boltzmann_lab.app.cli_train import Progress
    from boltzmann_lab.learning.trainer import Snapshot

    class Tty(io.StringIO):
        def isatty(self):
            return True

    s = Tty()
    p = Progress(s, total=10, enabled=True)
    p.update(Snapshot(step=5, epoch=2.5, kind="rbm", metrics={"train_ll": -3.25}), force=True)
    p.close()
    text = s.getvalue()
    assert text.startswith("\r[###############...............] 5/10") and "train_ll -3.25" in text
    assert text.endswith("\n")
    quiet = io.StringIO()
    q = Progress(quiet, total=10, enabled=False)
    q.update(Snapshot(step=5, epoch=2.5, kind="rbm"), force=True)
    q.close()
    assert quiet.getvalue() == ""
