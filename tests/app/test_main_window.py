"""The real main window driving the real model kinds (offscreen): views appear and update,
transport buttons behave, bad files leave the running model alone, closing stops the worker."""

from __future__ import annotations


import numpy as np
import pytest
from PySide6.QtCore import QElapsedTimer, QTimer

from .conftest import start, train


# (kind, raw config, views that must appear, metrics that must be plotted)
KINDS = [
    ("ising", {"model": {"kind": "ising", "L": 24}},
     {"lattice"}, {"energy", "exact_energy", "magnetization"}),
    ("maxent", {"data": {"generator": "sk", "n": 8, "samples": 500},
                "model": {"kind": "maxent"}, "training": {"estimator": "exact"}},
     {"moments", "weights"}, {"max_moment_error"}),
    ("gaussian", {"data": {"generator": "gaussian_mixture", "n": 4, "samples": 300},
                  "model": {"kind": "gaussian"}},
     {"moments", "weights"}, {"train_ll"}),
    ("rbm", {"data": {"generator": "bars_and_stripes", "size": 3},
             "model": {"kind": "rbm", "hidden": 6},
             "training": {"batch_size": 7, "chains": 10}},
     {"samples", "weights"}, {"recon_error"}),
    ("dbm", {"data": {"generator": "bars_and_stripes", "size": 3},
             "model": {"kind": "dbm", "hidden": [6, 4]},
             "training": {"batch_size": 7, "chains": 10, "pretrain_epochs": 0}},
     {"samples"}, set()),
    ("hopfield", {"data": {"generator": "patterns", "n": 64, "count": 3},
                  "model": {"kind": "hopfield", "cue_noise": 0.3}},
     {"lattice", "overlaps", "weights"}, {"overlap", "energy"}),
    ("mixture", {"data": {"generator": "coin_tosses"},
                 "model": {"kind": "mixture", "components": 2, "init": "given",
                           "init_params": [0.6, 0.5]}},
     {"em"}, {"train_ll", "bound"}),
]

@pytest.mark.parametrize("kind,raw,views,metrics", KINDS, ids=[k[0] for k in KINDS])
def test_each_kind_trains_and_its_views_update(window, qtbot, kind, raw, views, metrics):
    start(window, qtbot, raw)
    qtbot.waitUntil(lambda: window.last_snapshot is not None, timeout=5000)
    assert window.last_snapshot.step == 0
    first = {k: np.array(v, copy=True) for k, v in window.last_snapshot.views.items()}
    steps = train(window, qtbot, 6)
    assert steps >= 1 and not window.errors.messages
    snap = window.last_snapshot
    assert snap.step == window.worker.step_count
    shown = set(window.views.visible_names())
    assert views <= shown, f"missing views {views - shown}"
    assert metrics <= set(window.views.curves.series), \
        f"missing curves {metrics - set(window.views.curves.series)}"
    # something the views draw changed with training
    changed = [k for k, v in snap.views.items() if k in first and
               (v.shape != first[k].shape or not np.array_equal(v, first[k]))]
    assert changed, "no view changed after training"
    for name in shown:
        if name != "curves":
            view = window.views.view(name)
            assert view.isVisible() and view.title_label.text()


def test_panels_rebuild_kind_and_generator_keys(window, qtbot):
    p = window.panel
    from boltzmann_lab.config import default_config
    p.load(default_config("maxent", "sk"))
    assert "constraints" in p.model_form.fields and "hidden" not in p.model_form.fields
    assert "beta" in p.data_form.fields
    p.model_form.fields["kind"].set_value("rbm")          # as the user picks it
    assert "hidden" in p.model_form.fields and "constraints" not in p.model_form.fields
    assert "method" in p.training_form.fields and "estimator" not in p.training_form.fields
    p.data_form.fields["generator"].set_value("bars_and_stripes")
    assert "size" in p.data_form.fields and "beta" not in p.data_form.fields
    p.model_form.fields["hidden"].spin.setValue(33)
    cfg = p.config()
    assert cfg["model"] == {**cfg["model"], "kind": "rbm", "hidden": 33}
    assert cfg["data"]["generator"] == "bars_and_stripes" and "beta" not in cfg["data"]
    assert p.modified
    from boltzmann_lab.config import dumps, resolve
    import tomllib
    assert resolve(tomllib.loads(dumps(cfg))) == cfg      # a session is a config file


def test_play_pause_step_reset(window, qtbot):
    w = start(window, qtbot, {"model": {"kind": "ising", "L": 64}})
    window.transport.play_button.click()
    qtbot.waitUntil(lambda: w.step_count >= 20, timeout=60_000)
    assert window.transport.play_button.isChecked()
    window.transport.play_button.click()                   # pause
    qtbot.waitUntil(lambda: w.state == "paused", timeout=10_000)   # handled: no step after it
    frozen = w.step_count
    qtbot.wait(300)
    assert w.step_count == frozen and w.state == "paused"
    assert not window.transport.play_button.isChecked()
    window.transport.step_button.click()
    qtbot.waitUntil(lambda: w.step_count == frozen + 1, timeout=5000)
    qtbot.wait(150)
    assert w.step_count == frozen + 1 and window.last_snapshot.step == frozen + 1
    window.transport.reset_button.click()
    qtbot.waitUntil(lambda: w.step_count == 0 and w.state == "ready", timeout=10_000)
    qtbot.waitUntil(lambda: window.last_snapshot.step == 0, timeout=5000)
    assert not window.views.curves.series                  # curves restart with the run
    window.transport.stop_button.click()                   # a stopped run ends
    qtbot.waitUntil(lambda: w.state == "done", timeout=10_000)


def test_temperature_changes_while_running(window, qtbot):
    w = start(window, qtbot, {"model": {"kind": "ising", "L": 16, "temperature": 2.0}})
    window.play()
    qtbot.waitUntil(lambda: w.step_count > 5, timeout=30_000)
    from boltzmann_lab.exact.onsager import energy_per_spin
    window.transport.temperature.setValue(3.5)
    target = energy_per_spin(3.5)            # the reference line follows the new temperature
    qtbot.waitUntil(lambda: abs(window.views.curves.latest().get("exact_energy", 0) - target)
                    < 1e-9, timeout=5000)
    window.pause()
    assert not window.errors.messages
    assert window.panel.cfg["model"]["temperature"] == 3.5   # the config follows the control


def heartbeat_gap_during(window, qtbot, seconds):
    """Run a 10 ms QTimer while training and return the largest gap between its ticks (ms)."""
    clock = QElapsedTimer()
    gaps = []
    last = [None]

    def beat():
        now = clock.elapsed()
        if last[0] is not None:
            gaps.append(now - last[0])
        last[0] = now

    t = QTimer()
    t.setInterval(10)
    t.timeout.connect(beat)
    clock.start()
    t.start()
    qtbot.wait(int(seconds * 1000))
    t.stop()
    return max(gaps), len(gaps)


@pytest.mark.parametrize("raw", [
    {"data": {"generator": "ising", "L": 64, "temperature": 3.0, "samples": 200},
     "model": {"kind": "rbm", "hidden": 16},
     "training": {"batch_size": 20, "chains": 20}},
    {"data": {"generator": "sk", "n": 20, "samples": 2000},
     "model": {"kind": "maxent"}, "training": {"estimator": "mcmc", "chains": 500}},
], ids=["rbm-64x64-lattice", "maxent-mcmc"])
def test_event_loop_stays_responsive_while_training(window, qtbot, raw):
    w = start(window, qtbot, raw)
    # compile, and build the run's views and curve plots (~20 ms per pyqtgraph plot), outside
    # the measurement: this test is about the steady state of a run being watched
    w_steps = train(window, qtbot, 30)
    qtbot.waitUntil(lambda: bool(window.views.curves.plots), timeout=10_000)
    # the same heartbeat with the run paused: what this (possibly busy, shared) machine gives
    # an idle window; a stall is judged against it, so load alone does not fail the test
    idle, _ = heartbeat_gap_during(window, qtbot, 1.0)
    window.play()
    gap, beats = heartbeat_gap_during(window, qtbot, 2.0)
    steps = w.step_count - w_steps
    window.pause()
    assert steps > 0 and not window.errors.messages
    # 250 ms, about where an audience starts to see a freeze: on this 2-core machine the steady
    # state's worst gap is 60-110 ms (a frame of consume + paint while the worker holds the GIL
    # between its kernels) with a tail to 160 ms in ~1 run in 7 (MaxEnt MCMC with tempering);
    # the stalls this test exists for were 300-500 ms (full garbage-collector passes,
    # app/heap.py) and whole-second evaluations on the worker's GIL
    assert gap < max(250, 4 * idle), \
        f"the event loop stalled for {gap} ms ({beats} heartbeats; idle worst gap {idle} ms)"


def test_bad_file_shows_error_and_keeps_data_and_model(window, qtbot, tmp_path):
    w = start(window, qtbot, {"data": {"generator": "bars_and_stripes", "size": 3},
                              "model": {"kind": "rbm", "hidden": 4},
                              "training": {"batch_size": 7}})
    train(window, qtbot, 3)
    info, cfg, step = window.dataset_info, window.active_cfg, w.step_count
    W = np.array(window.last_snapshot.views["filters"], copy=True)
    bad = tmp_path / "broken.npy"
    bad.write_bytes(b"this is not a numpy file")
    window.panel.load_file(str(bad))           # what picking it with the file chooser does
    qtbot.wait(300)
    assert window.pending is None and window.worker is w      # nothing starts before Apply
    assert window.panel.modified and window.preset_combo.currentText() == ""
    assert window.preset_combo.placeholderText() == "custom"
    window.panel.apply_button.click()
    qtbot.waitUntil(lambda: window.pending is None and bool(window.errors.messages),
                    timeout=30_000)
    title, text = window.errors.messages[-1]
    assert "broken.npy" in text and "previous data and model were kept" in text
    assert "broken.npy" in window.banner.text()
    assert window.worker is w and window.active_cfg is cfg and window.dataset_info is info
    # the Data panel shows the running data again, not the refused path
    assert window.panel.data_form.field("path").value() is None
    assert window.panel.cfg["data"]["generator"] == "bars_and_stripes"
    assert w.state == "paused" and w.step_count == step
    assert np.array_equal(w.trainer.learner.views()["filters"], W)
    window.step()                                     # the old run still works
    qtbot.waitUntil(lambda: w.step_count == step + 1, timeout=10_000)
    good = tmp_path / "good.npy"                      # and a good file replaces it
    np.save(good, (np.random.default_rng(0).random((40, 9)) > 0.5).astype(np.float64))
    window.panel.load_file(str(good))
    window.apply_settings()
    qtbot.waitUntil(lambda: window.pending is None and window.worker is not w, timeout=30_000)
    assert window.active_cfg["data"]["path"] == str(good)
    assert window.dataset_info.n == 9 and window.dataset_info.n_train + \
        window.dataset_info.n_val == 40
    assert len(window.errors.messages) == 1


def test_closing_while_training_stops_the_worker(qtbot):
    from boltzmann_lab.app.main_window import MainWindow
    from boltzmann_lab.config import resolve
    win = MainWindow()
    qtbot.addWidget(win)
    win.show()
    win.load_config(resolve({"model": {"kind": "ising", "L": 32}}), autoplay=True)
    qtbot.waitUntil(lambda: win.worker is not None and win.worker.step_count > 10,
                    timeout=60_000)
    w = win.worker
    assert w.isRunning()
    win.close()
    assert w.isFinished() and win.worker is None


def test_presentation_mode_enlarges_fonts_and_keeps_the_curves(window, qtbot):
    from PySide6.QtWidgets import QApplication
    start(window, qtbot, {"model": {"kind": "ising", "L": 16}})
    train(window, qtbot, 30)
    n_before = window.views.curves.series["energy"].n
    from boltzmann_lab.app import theme
    window.set_presentation(True)
    try:
        # the size follows the screen's height (boltzmann_lab.app.screen_fit), never below 12 pt
        assert QApplication.font().pointSize() == theme.presentation_size() >= 12
        assert window.views.curves.series["energy"].n == n_before       # no data lost
        qtbot.waitUntil(lambda: "lattice" in window.views.visible_names(), timeout=3000)
        pen = window.views.curves.series["energy"].curve.opts["pen"]
        assert pen.width() == 3
    finally:
        window.set_presentation(False)
    assert QApplication.font().pointSize() == theme.BASE_POINT_SIZE < theme.presentation_size()
    assert window.views.curves.series["energy"].curve.opts["pen"].width() == 2
