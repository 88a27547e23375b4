"""What the window says about a run (issue 12): handled errors as one banner without traceback,
loading one's own data from the default preset, the preset box, the progress bar of a converged
run, a reopened session's step-0 points, and settings rows that do not apply."""

from __future__ import annotations

import numpy as np
from PySide6.QtWidgets import QApplication, QMessageBox

from boltzmann_lab import presets
from boltzmann_lab.learning.trainer import Snapshot

from .conftest import start, train


def _preset(window, qtbot, name):
    window.load_config(presets.load_preset(name), preset=name)
    qtbot.waitUntil(lambda: window.pending is None and window.worker is not None,
                    timeout=90_000)
    return window.worker


# ------------------------------------------------------------------------------ errors
def test_a_refused_setting_is_one_banner_without_traceback(window, qtbot, capfd):
    start(window, qtbot, {"data": {"generator": "bars_and_stripes", "size": 3},
                          "model": {"kind": "rbm", "hidden": 4}})
    capfd.readouterr()
    # the exact estimator enumerates 2^n states: 64 units are refused
    window.panel.load({"data": {"generator": "digits", "binarize": "threshold"},
                       "model": {"kind": "maxent"}, "training": {"estimator": "exact"}})
    window.panel.set_modified(True)
    window.apply_settings()
    qtbot.waitUntil(lambda: window.pending is None and bool(window.errors.messages),
                    timeout=60_000)
    qtbot.wait(100)
    assert len(window.errors.messages) == 1
    title, text = window.errors.messages[0]
    assert "exact" in text and "n = 64" in text and "n = 64" in window.banner.text()
    assert not [w for w in QApplication.topLevelWidgets()
                if isinstance(w, QMessageBox) and w.isVisible()]
    out, err = capfd.readouterr()
    assert "Traceback" not in err and err.strip() == "", err


def test_tracebacks_only_with_debug(capsys):
    from boltzmann_lab.app import errors
    try:
        raise ValueError("bad file x.npy")
    except ValueError as exc:
        bad_input = exc
    try:
        raise KeyError("bug")
    except KeyError as exc:
        bug = exc
    try:
        errors.log_exception(bad_input, "while building the run", expected=True)
        assert capsys.readouterr().err == ""
        errors.log_exception(bug, "in a training step")
        err = capsys.readouterr().err
        assert "KeyError in a training step" in err and "--debug" in err
        assert "Traceback" not in err and len(err.strip().splitlines()) == 1
        errors.set_debug(True)
        errors.log_exception(bad_input, "while building the run", expected=True)
        assert "Traceback" in capsys.readouterr().err
    finally:
        errors.set_debug(False)


# ------------------------------------------------------------------------------ own data
def test_own_data_from_the_default_preset_waits_for_apply(window, qtbot, tmp_path):
    w = _preset(window, qtbot, presets.DEFAULT_PRESET)
    panel = window.panel
    assert window.active_cfg["model"]["kind"] == "ising"
    assert panel.data_form.isEnabled() and panel.data_form.field("path").isEnabled()
    data = tmp_path / "spins.npy"
    np.save(data, np.where(np.random.default_rng(1).random((60, 9)) > 0.5, 1.0, -1.0))
    panel.load_file(str(data))
    qtbot.wait(300)
    # the simulation uses no data: the model becomes MaxEnt, and nothing starts before Apply
    assert panel.cfg["model"]["kind"] == "maxent" and panel.modified
    assert window.pending is None and window.worker is w
    assert window.active_cfg["model"]["kind"] == "ising"
    assert window.preset_combo.currentIndex() == -1 and \
        window.preset_combo.placeholderText() == "custom"
    panel.apply_button.click()
    qtbot.waitUntil(lambda: window.pending is None and window.worker is not w, timeout=60_000)
    assert window.active_cfg["data"]["path"] == str(data)
    assert window.active_cfg["model"]["kind"] == "maxent" and window.dataset_info.n == 9
    assert not window.errors.messages


def test_a_refused_file_puts_the_running_data_back(window, qtbot, tmp_path):
    w = _preset(window, qtbot, presets.DEFAULT_PRESET)
    bad = tmp_path / "broken.npy"
    bad.write_bytes(b"not numpy")
    window.panel.load_file(str(bad))
    window.apply_settings()
    qtbot.waitUntil(lambda: window.pending is None and bool(window.errors.messages),
                    timeout=60_000)
    assert window.worker is w and "broken.npy" in window.errors.messages[-1][1]
    # the panel shows the run that goes on: the Ising simulation, no file
    assert window.panel.cfg["model"]["kind"] == "ising"
    assert window.panel.data_form.field("path").value() is None


def test_the_preset_box_says_custom_after_kind_or_session(window, qtbot, tmp_path):
    _preset(window, qtbot, "rbm-bars")
    box = window.preset_combo
    assert box.currentData() == "rbm-bars"
    window.panel.set_value("model", "kind", "dbm")          # as choosing it in the panel
    assert box.currentIndex() == -1 and box.placeholderText() == "custom"
    # RBM hidden = 16 does not fit DBM's list of layers: the DBM default instead of a crash
    assert isinstance(window.panel.cfg["model"]["hidden"], list)
    window.panel.config()
    _preset(window, qtbot, "rbm-bars")
    assert box.currentData() == "rbm-bars"
    train(window, qtbot, 2)
    fut = window.lecture.save_session(tmp_path / "s")
    qtbot.waitUntil(fut.done, timeout=20_000)
    window.lecture.open_session(fut.result())
    assert box.currentIndex() == -1
    qtbot.waitUntil(lambda: window.pending is None, timeout=60_000)
    assert box.currentIndex() == -1 and window.windowTitle() == "Boltzmann Lab"


# ------------------------------------------------------------------------------ progress
def _snap(step, total, done=False, message=""):
    return Snapshot(step=step, epoch=0.0, kind="mixture", metrics={}, views={},
                    image_shape=None, convention="binary", done=done, message=message,
                    total_steps=total)


def test_progress_text_says_how_a_run_ended():
    from boltzmann_lab.app.main_window import progress_of
    assert progress_of(_snap(5, 20)) == (5, "%p%")
    assert progress_of(_snap(20, 20, True, "finished 20 steps")) == (20, "%p%")
    assert progress_of(_snap(7, 20, True, "converged: the objective rose by 1e-10")) == \
        (20, "converged at step 7")
    assert progress_of(_snap(2, 50, True, "recall reached a fixed point")) == \
        (50, "converged at step 2")
    assert progress_of(_snap(9, 20, True, "early stopping: val_ll did not improve")) == \
        (20, "stopped early at step 9")
    assert progress_of(_snap(3, 20, True, "stopped by user")) == (3, "stopped at step 3")
    assert progress_of(_snap(4, 20, True, "training diverged (NaN)")) == \
        (4, "diverged at step 4")


def test_a_converged_run_fills_the_progress_bar(window, qtbot):
    _preset(window, qtbot, "em-coins")           # 20 steps planned, EM converges at ~7
    w = window.worker
    window.play()
    qtbot.waitUntil(lambda: w.state == "done", timeout=60_000)
    qtbot.wait(150)
    bar = window.progress
    assert w.step_count < w.total_steps
    assert bar.value() == bar.maximum() == w.total_steps
    assert bar.text() == f"converged at step {w.step_count}"
    window.reset()                               # a new run: a percentage again
    qtbot.waitUntil(lambda: w.state == "ready", timeout=30_000)
    qtbot.wait(150)
    assert bar.format() == "%p%"


# ------------------------------------------------------------------------------ sessions
def test_a_reopened_session_keeps_the_step0_points(window, qtbot, tmp_path):
    _preset(window, qtbot, "hopfield-memory")
    w = window.worker
    w.step_once(1)
    qtbot.waitUntil(lambda: w.step_count >= 1, timeout=30_000)
    qtbot.wait(150)
    energy = window.views.curves.series["energy"]
    assert energy.x[0] == 0                      # the cue, before the first sweep
    before = (energy.x[:energy.n].copy(), energy.y[:energy.n].copy())
    fut = window.lecture.save_session(tmp_path / "hop")
    qtbot.waitUntil(fut.done, timeout=20_000)
    window.lecture.open_session(fut.result())
    qtbot.waitUntil(lambda: window.pending is None and window.worker is not w, timeout=60_000)
    qtbot.wait(150)
    energy = window.views.curves.series["energy"]
    n = len(before[0])
    assert np.array_equal(energy.x[:n], before[0]) and np.allclose(energy.y[:n], before[1])
    assert np.all(np.diff(energy.x[:energy.n]) >= 0)         # in step order


# ------------------------------------------------------------------------------ panel rows
def test_rows_that_do_not_apply_are_hidden(window, qtbot):
    _preset(window, qtbot, "ising-review")       # a list of temperatures
    panel = window.panel
    form = panel.data_form
    assert form.form.isRowVisible(form.field("temperatures"))
    assert not form.form.isRowVisible(form.field("temperature"))
    assert not form.form.isRowVisible(form.field("threshold"))      # binarize = none
    panel.set_value("data", "temperatures", None)
    assert form.form.isRowVisible(form.field("temperature"))
    panel.set_value("data", "binarize", "threshold")
    assert form.form.isRowVisible(form.field("threshold"))


def test_the_denoise_button_text_fits(window, qtbot):
    _preset(window, qtbot, "rbm-digits")
    qtbot.wait(200)
    b = window.lecture.bar.denoise
    assert b.isVisible() and "…" not in b.text() and "..." not in b.text()
    assert b.width() >= b.fontMetrics().horizontalAdvance(b.text()) + 8
