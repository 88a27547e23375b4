"""Lecture-hall features on the real window (offscreen): presentation and focus modes, drawing
reaching the model, Hopfield recall revived by drawing/re-cueing, sessions through the GUI,
export, settings, help overlay and the gallery."""

from __future__ import annotations

import csv

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence, QShortcut
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLabel

from .conftest import start


def on_worker(win, qtbot, fn, timeout=20_000):
    """Run ``fn(worker)`` on the worker thread and return its result."""
    fut = win.worker.call(fn)
    qtbot.waitUntil(fut.done, timeout=timeout)
    return fut.result()


def steps(win, qtbot, n, timeout=60_000):
    w = win.worker
    target = w.step_count + n
    w.step_once(n)
    qtbot.waitUntil(lambda: w.step_count >= target and w.state != "compiling", timeout=timeout)
    qtbot.wait(80)


# ----------------------------------------------------------------------------- presentation
def test_presentation_enlarges_fonts_and_restores_them(window, qtbot):
    from boltzmann_lab.app import theme
    app = QApplication.instance()
    theme.apply(app, False)                 # as run_gui does before opening the window
    before_app = app.font().pointSizeF()
    before_title = window.views.curves.title_label.font().pointSizeF()
    geometry = window.geometry()
    window.presentation_action.setChecked(True)
    qtbot.wait(50)
    assert window.presentation and window.isFullScreen()
    assert app.font().pointSizeF() > before_app
    assert window.views.curves.title_label.font().pointSizeF() > before_title
    assert theme.pen_width() > 2
    window.presentation_action.setChecked(False)
    qtbot.wait(50)
    assert not window.isFullScreen() and not window.presentation
    assert app.font().pointSizeF() == before_app
    assert window.views.curves.title_label.font().pointSizeF() == before_title
    # the window comes back from full screen at its old size as far as the screen allows (the
    # fixture's 1280 x 800 window is larger than the offscreen 800 x 600 screen; offscreen frames
    # differ by a few px)
    avail = window.screen().availableGeometry()
    qtbot.wait(200)
    assert abs(window.width() - min(geometry.width(), avail.width())) < 60
    assert abs(window.height() - min(geometry.height(), avail.height())) < 60
    assert avail.contains(window.frameGeometry())


def test_focus_mode_hides_controls_keeps_views_and_transport(window, qtbot):
    lec = window.lecture
    shown = [window.panel, window.statusBar(), lec.toolbar]
    assert all(w.isVisible() for w in shown)
    lec.presentation.set_focus(True)
    assert not any(w.isVisible() for w in shown)
    assert window.transport.isVisible() and window.views.isVisible()
    assert lec.escape() is None and not lec.presentation.focus_action.isChecked()
    assert all(w.isVisible() for w in shown)


def test_every_listed_shortcut_is_bound_and_help_lists_them(window, qtbot):
    from boltzmann_lab.app.shortcuts import KEYS
    bound = set()
    for a in window.findChildren(QAction):
        bound |= {s.toString() for s in a.shortcuts()}
    for s in window.findChildren(QShortcut):
        bound.add(s.key().toString())
    for key, _ in KEYS:
        if key == "mouse":
            continue
        names = {"→": "Right", "Esc": "Esc"}
        for k in key.replace("or", " ").split():
            k = names.get(k, k)
            assert QKeySequence(k).toString() in bound, f"{k} is listed but not bound"
    lec = window.lecture
    lec.help_action.trigger()
    assert lec.help.isVisible()
    texts = " ".join(l.text() for l in lec.help.findChildren(QLabel))
    assert "Ctrl+S" in texts and "F11" in texts and "Space" in texts
    QTest.keyClick(lec.help, Qt.Key_Escape)
    assert not lec.help.isVisible()


# ----------------------------------------------------------------------------- drawing
def _drag(view, cells, button=Qt.LeftButton):
    """Press at the first (row, col) cell, move through the others, release."""
    vp = view.canvas.viewport()

    def pos(rc):
        sp = view.plot.vb.mapViewToScene(QPointF(rc[1] + 0.5, rc[0] + 0.5))
        return view.canvas.mapFromScene(sp)

    QTest.mousePress(vp, button, Qt.NoModifier, pos(cells[0]))
    for rc in cells[1:]:
        QTest.mouseMove(vp, pos(rc))
    QTest.mouseRelease(vp, button, Qt.NoModifier, pos(cells[-1]))


def test_a_drawn_stroke_reaches_the_lattice(window, qtbot):
    start(window, qtbot, {"model": {"kind": "ising", "L": 16, "start": "down",
                                    "temperature": 0.5}})
    qtbot.waitUntil(lambda: "lattice" in window.views.visible_names(), timeout=10_000)
    view = window.views.view("lattice")
    qtbot.waitUntil(lambda: view._shape is not None, timeout=5000)
    window.lecture.tool.set_size(1)
    _drag(view, [(3, 4), (3, 5), (3, 6)])
    qtbot.wait(200)
    spins = on_worker(window, qtbot, lambda w: w.trainer.learner.lattice.spins.copy()).reshape(16, 16)
    assert (spins[3, 4:7] == 1).all()
    assert (np.delete(spins.ravel(), [3 * 16 + 4, 3 * 16 + 5, 3 * 16 + 6]) == -1).all()
    # flip mode inverts what is on screen; erase sets down
    window.lecture.tool.set_mode("flip")
    qtbot.waitUntil(lambda: view.snapshot is not None and
                    np.ravel(view.snapshot.views["state"])[3 * 16 + 4] == 1, timeout=5000)
    _drag(view, [(3, 4), (4, 4)])
    qtbot.wait(200)
    spins = on_worker(window, qtbot, lambda w: w.trainer.learner.lattice.spins.copy()).reshape(16, 16)
    assert spins[3, 4] == -1 and spins[4, 4] == 1 and spins[3, 5] == 1


def test_hopfield_recall_is_revived_by_drawing_and_recueing(window, qtbot):
    start(window, qtbot, {"data": {"generator": "patterns", "n": 64, "count": 3, "seed": 2},
                          "model": {"kind": "hopfield", "rule": "pseudoinverse",
                                    "cue_noise": 0.2}})
    window.play()
    qtbot.waitUntil(lambda: window.worker.state == "done", timeout=30_000)
    assert "fixed point" in on_worker(window, qtbot, lambda w: w.trainer.message)
    view = window.views.view("lattice")
    window.lecture.tool.set_size(3)
    _drag(view, [(2, 2), (2, 4)], button=Qt.RightButton)
    qtbot.waitUntil(lambda: window.worker.state == "paused", timeout=5000)
    assert not on_worker(window, qtbot, lambda w: w.trainer.done)
    window.play()
    qtbot.waitUntil(lambda: window.worker.state == "done", timeout=30_000)
    # re-cueing with the noise slider also starts recall again
    window.lecture.bar.noise.setValue(35)
    qtbot.waitUntil(lambda: window.worker.state == "paused", timeout=5000)
    state, noise = on_worker(window, qtbot,
                             lambda w: (w.trainer.learner.state.copy(), w.trainer.learner.cue_noise))
    assert noise == 0.35
    pattern = on_worker(window, qtbot, lambda w: w.trainer.learner.model.patterns[0].copy())
    assert np.sum(state != pattern) == round(0.35 * 64)


def test_hopfield_traces_start_at_the_cue_and_show_drawn_changes(window, qtbot):
    """The cue (a snapshot without metrics) is the first point of the recall traces, and a
    stroke on the state adds a point with the corrupted state's energy E = -1/2 s^T J s."""
    start(window, qtbot, {"data": {"generator": "patterns", "n": 64, "count": 3, "seed": 2},
                          "model": {"kind": "hopfield", "rule": "pseudoinverse",
                                    "cue_noise": 0.3}})
    s0, J, m0 = on_worker(window, qtbot, lambda w: (
        w.trainer.learner.state.copy(), w.trainer.learner.model.J.copy(),
        w.trainer.learner.model.overlaps(w.trainer.learner.state)[0]))
    steps(window, qtbot, 2)
    energy, overlap = (window.views.curves.series[k] for k in ("energy", "overlap"))
    assert energy.x[0] == 0 and list(energy.x[1:energy.n]) == [1, 2]
    assert energy.y[0] == pytest.approx(-0.5 * s0 @ J @ s0)
    assert overlap.y[0] == pytest.approx(m0)
    n = energy.n
    window.lecture.tool.set_size(3)
    _drag(window.views.view("lattice"), [(2, 2), (2, 4)], button=Qt.RightButton)
    qtbot.waitUntil(lambda: energy.n > n, timeout=5000)
    s1 = on_worker(window, qtbot, lambda w: w.trainer.learner.state.copy())
    assert energy.y[energy.n - 1] == pytest.approx(-0.5 * s1 @ J @ s1)


# ----------------------------------------------------------------------------- sessions
def test_session_save_load_continue_equals_not_stopping(window, qtbot, tmp_path):
    from boltzmann_lab.build import make_trainer
    from boltzmann_lab.config import resolve
    raw = {"model": {"kind": "ising", "L": 16, "temperature": 2.4}, "training": {"seed": 11}}
    start(window, qtbot, raw)
    k, m = 5, 4
    steps(window, qtbot, k)
    fut = window.lecture.save_session(tmp_path / "lecture")
    qtbot.waitUntil(fut.done, timeout=10_000)
    path = fut.result()
    assert path.exists() and path.suffix == ".npz"
    steps(window, qtbot, 3)                       # the live run goes on; the file does not
    session = window.lecture.open_session(path)
    assert session is not None and session.step == k
    qtbot.waitUntil(lambda: window.pending is None and window.worker.step_count == k,
                    timeout=30_000)
    qtbot.waitUntil(lambda: window.views.curves.has_data(), timeout=5000)
    assert window.views.curves.series["energy"].n == k          # saved curves are back
    steps(window, qtbot, m)
    got = on_worker(window, qtbot, lambda w: (w.trainer.step_count,
                                              w.trainer.learner.lattice.spins.copy(),
                                              w.trainer.learner.lattice.lanes.copy()))
    ref = make_trainer(resolve(raw))
    for _ in range(k + m):
        ref.step()
    assert got[0] == k + m
    assert np.array_equal(got[1], ref.learner.lattice.spins)
    assert np.array_equal(got[2], ref.learner.lattice.lanes)
    assert window.views.curves.series["energy"].n == k + m


def test_a_bad_session_file_shows_an_error_and_keeps_the_run(window, qtbot, tmp_path):
    start(window, qtbot, {"model": {"kind": "ising", "L": 8}})
    w = window.worker
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"garbage")
    assert window.lecture.open_session(bad) is None
    assert window.errors.messages and "session" in window.errors.messages[-1][0].lower()
    assert window.worker is w and window.pending is None


# ----------------------------------------------------------------------------- export
def test_export_view_png_at_2x_csv_and_clipboard(window, qtbot, tmp_path):
    start(window, qtbot, {"model": {"kind": "ising", "L": 16}})
    steps(window, qtbot, 6)
    from boltzmann_lab.app import export
    from PySide6.QtGui import QImage
    view = window.views.view("lattice")
    out = export.save_png(view, tmp_path / "lattice")
    img = QImage(str(out))
    assert out.suffix == ".png" and not img.isNull()
    assert (img.width(), img.height()) == (2 * view.width(), 2 * view.height())
    # the picture is not blank: the lattice has both colours
    colours = {img.pixel(x, y) for x in range(0, img.width(), 7) for y in range(0, img.height(), 7)}
    assert len(colours) > 3
    csv_path = export.save_curves_csv(window.views.curves, tmp_path / "curves")
    rows = list(csv.reader(csv_path.open()))
    assert rows[0][0] == "step" and "energy" in rows[0] and "exact_energy" in rows[0]
    assert [int(r[0]) for r in rows[1:]] == list(range(1, 7))
    e = rows[0].index("energy")
    assert np.allclose([float(r[e]) for r in rows[1:]], window.views.curves.series["energy"].y[:6])
    export.copy_to_clipboard(view)
    assert not QGuiApplication.clipboard().image().isNull()


# ----------------------------------------------------------------------------- settings
def test_recent_files_and_window_layout_are_remembered(window, qtbot, tmp_path):
    from boltzmann_lab.app import settings
    assert str(settings.settings_file()).startswith(str(tmp_path))   # redirected by conftest
    a, b = tmp_path / "a.npz", tmp_path / "b.toml"
    a.write_bytes(b"x")
    b.write_text("")
    settings.add_recent(a)
    settings.add_recent(b)
    settings.add_recent(a)
    assert settings.recent_files() == [str(a.resolve()), str(b.resolve())]
    window.splitter.setSizes([250, 1000])
    sizes = window.splitter.sizes()
    settings.save_window(window)
    window.splitter.setSizes([600, 650])
    assert settings.restore_window(window)
    assert window.splitter.sizes()[0] == sizes[0]      # the settings column width is back


# ----------------------------------------------------------------------------- lecture bar
def test_lecture_bar_fits_the_model_and_sends_commands(window, qtbot):
    start(window, qtbot, {"model": {"kind": "ising", "L": 16, "temperature": 3.0}})
    bar = window.lecture.bar
    qtbot.waitUntil(lambda: bar.kind == "ising", timeout=5000)
    assert bar.t_slider.isVisible() and not bar.l1.isVisible()
    assert abs(bar.t_slider.float_value() - 3.0) < 1e-9
    bar.tc_button.click()
    qtbot.waitUntil(lambda: on_worker(window, qtbot, lambda w: w.trainer.learner.lattice.T)
                    == pytest.approx(2.2692, abs=1e-4), timeout=5000)
    assert window.panel.cfg["model"]["temperature"] == pytest.approx(2.2692, abs=1e-4)
    bar.algorithm.setCurrentIndex(bar.algorithm.findData("wolff"))
    qtbot.waitUntil(lambda: on_worker(window, qtbot, lambda w: w.trainer.learner.algorithm)
                    == "wolff", timeout=5000)


def test_l1_slider_drives_the_graphical_lasso(window, qtbot):
    """Gaussian MaxEnt gets the MaxEnt L1 slider (no Λ sweep); moving it re-fits live: more
    penalty, fewer non-zero couplings."""
    from boltzmann_lab.app.lecture_bar import slider_from_l1
    from boltzmann_lab.config import resolve
    from boltzmann_lab.presets import load_preset
    cfg = load_preset("gaussian-glasso")
    start(window, qtbot, cfg)
    bar = window.lecture.bar
    qtbot.waitUntil(lambda: bar.kind == "gaussian", timeout=5000)
    assert bar.l1.isVisible() and not bar.lambda_button.isVisible()
    assert bar.l1.value() == slider_from_l1(resolve(cfg)["training"]["l1"])
    window.play()
    qtbot.waitUntil(lambda: window.worker.state == "done", timeout=30_000)
    nz = lambda: on_worker(window, qtbot, lambda w: w.trainer.learner.step()["n_nonzero"])
    before = nz()
    bar.l1.setValue(bar.l1.maximum())                  # Λ = 0.1
    qtbot.waitUntil(lambda: on_worker(window, qtbot, lambda w: w.trainer.learner.cs.l1)
                    == pytest.approx(0.1), timeout=5000)
    window.play()
    qtbot.waitUntil(lambda: window.worker.state == "done", timeout=30_000)
    assert nz() < before
    assert window.panel.cfg["training"]["l1"] == pytest.approx(0.1)   # the form follows
    assert not window.errors.messages


# ----------------------------------------------------------------------------- gallery, physics
def test_gallery_lists_every_preset_with_its_screenshot(window, qtbot):
    from boltzmann_lab.app.gallery import screenshot_path
    from boltzmann_lab.presets import preset_names
    window.lecture.show_gallery()
    g = window.lecture.gallery
    assert g.isVisible() and g.names() == preset_names()
    shots = [n for n in preset_names() if screenshot_path(n).is_file()]
    assert g.thumbnails == len(shots)
    assert len(shots) >= len(preset_names()) - 1, "screenshots missing from resources/screenshots"
    g.close()


def test_ising_observables_match_hand_computed_values():
    from boltzmann_lab.app.lecture_bar import ising_observables
    up = np.ones((1, 16))
    assert ising_observables(up, (4, 4)) == (-2.0, 1.0)          # every bond satisfied
    checker = np.indices((4, 4)).sum(0) % 2 * 2.0 - 1.0         # every bond broken, m = 0
    assert ising_observables(checker.reshape(1, 16), (4, 4)) == (2.0, 0.0)
    binary = (checker.reshape(1, 16) + 1) / 2                   # 0/1 units are converted
    assert ising_observables(binary, (4, 4)) == (2.0, 0.0)


def test_hover_reads_the_value_under_the_cursor():
    from boltzmann_lab.app.hover import couplings_text, filters_text, lattice_text
    state = np.arange(12.0)
    assert "unit 7" in lattice_text(state, (3, 4), 1, 3) and "+7" in lattice_text(state, (3, 4), 1, 3)
    assert lattice_text(state, (3, 4), 3, 0) is None
    J = np.arange(9.0).reshape(3, 3)
    assert "J[1, 2] = +5" in couplings_text(J, 1, 2)
    W = np.arange(8.0 * 3).reshape(8, 3)                        # 8 visible (2x4 images), 3 hidden
    # tiles 2x4 with a 1-pixel gap, 2 columns: hidden unit 1 starts at column 5
    assert "hidden unit 1, visible 6" in filters_text(W, (2, 4), 1, 7)
    assert f"{W[6, 1]:+.4g}" in filters_text(W, (2, 4), 1, 7)


def test_drawing_brush_and_values():
    from boltzmann_lab.app.drawing import brush_cells, stroke_values
    assert list(brush_cells(0, 0, 1, (4, 4))) == [0]
    disc = brush_cells(2, 2, 2, (5, 5))
    assert sorted(disc) == sorted([7, 11, 12, 13, 17] + [6, 8, 16, 18])
    idx = np.array([0, 1])
    state = np.array([1.0, -1.0, 1.0])
    assert list(stroke_values("flip", "spin", True, idx, state)) == [-1.0, 1.0]
    assert list(stroke_values("erase", "binary", True, idx, None)) == [0.0, 0.0]
    assert list(stroke_values("paint", "spin", False, idx, None)) == [-1.0, -1.0]


def test_learning_ising_data_compares_fantasy_and_data_physics(window, qtbot):
    start(window, qtbot, {"data": {"generator": "ising", "L": 8, "samples": 200, "seed": 1},
                          "model": {"kind": "maxent", "pairs": "lattice"},
                          "training": {"estimator": "mcmc", "chains": 40}})
    steps(window, qtbot, 3)
    label = window.lecture.bar.ising_stats
    qtbot.waitUntil(lambda: "mean learned J" in label.text(), timeout=5000)
    assert label.isVisible() and label.text().startswith("data: E/N")
    assert "fantasy: E/N" in label.text()
    assert "(1/T = 0.441)" in label.text()           # the generator's default T = 2.269


# ----------------------------------------------------------------------------- analyses
def test_denoising_cleans_most_flipped_pixels(window, qtbot):
    start(window, qtbot, {"data": {"generator": "bars_and_stripes", "size": 4, "samples": 300,
                                   "seed": 1, "validation_fraction": 0.2},
                          "model": {"kind": "rbm", "hidden": 16},
                          "training": {"optimizer": "sgd", "learning_rate": 0.1, "chains": 50,
                                       "batch_size": 10, "seed": 1, "method": "pcd",
                                       "schedule": "constant", "centering": False}})
    steps(window, qtbot, 1500, timeout=120_000)
    win = window.lecture.run_analysis("denoise")
    qtbot.waitUntil(lambda: win.result is not None, timeout=20_000)
    r = win.result
    flipped = round(0.15 * 16)
    assert np.all(np.sum(r["noisy"] != r["clean"], axis=1) == flipped)
    assert r["wrong_before"] == pytest.approx(flipped / 16)
    assert r["wrong_after"] < r["wrong_before"]              # the trained model repairs pixels
    assert "wrong pixels" in win.status.text()
    win.close()


def test_lambda_sweep_and_capacity_windows_draw_their_results(window, qtbot):
    from concurrent.futures import Future

    from boltzmann_lab.app.analyses import ResultWindow, capacity_curves, draw_capacity
    start(window, qtbot, {"data": {"generator": "sk", "n": 6, "samples": 300, "seed": 1},
                          "model": {"kind": "maxent"},
                          "training": {"estimator": "exact", "learning_rate": 0.1}})
    win = window.lecture.run_analysis("lambda")
    qtbot.waitUntil(lambda: win.result is not None or "failed" in win.status.text(),
                    timeout=60_000)
    assert win.result is not None, win.status.text()
    nz = [r["n_nonzero"] for r in win.result]
    assert nz[0] >= nz[-1] and nz[-1] < 15                  # a strong L1 removes couplings
    assert "best Λ" in win.status.text()
    win.close()
    fut = Future()
    fut.set_result(capacity_curves(n=40, alphas=[0.05, 0.3], rules=("hebbian", "pseudoinverse")))
    cap = ResultWindow("capacity", fut, draw_capacity, window)
    qtbot.waitUntil(lambda: cap.result is not None, timeout=5000)
    heb, pinv = cap.result["hebbian"], cap.result["pseudoinverse"]
    assert pinv["mean_overlap"][1] > heb["mean_overlap"][1]   # pseudo-inverse holds at α = 0.3
    cap.close()


def test_keyboard_drives_the_demo(window, qtbot):
    """Space / → / R on the transport, F1 help, H focus, F11 presentation, Esc back out."""
    from boltzmann_lab.app import theme
    theme.apply(QApplication.instance(), False)
    start(window, qtbot, {"model": {"kind": "ising", "L": 16}})
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=2000)
    w = window.worker
    QTest.keyClick(window, Qt.Key_Right)
    qtbot.waitUntil(lambda: w.step_count == 1, timeout=10_000)
    QTest.keyClick(window, Qt.Key_Space)
    qtbot.waitUntil(lambda: w.playing and w.step_count > 5, timeout=10_000)
    QTest.keyClick(window, Qt.Key_Space)
    qtbot.waitUntil(lambda: not w.playing, timeout=2000)
    QTest.keyClick(window, Qt.Key_R)
    qtbot.waitUntil(lambda: w.step_count == 0, timeout=10_000)
    QTest.keyClick(window, Qt.Key_F1)
    assert window.lecture.help.isVisible()
    QTest.keyClick(window.lecture.help, Qt.Key_Escape)
    assert not window.lecture.help.isVisible()
    QTest.keyClick(window, Qt.Key_H)
    assert not window.panel.isVisible() and window.transport.isVisible()
    QTest.keyClick(window, Qt.Key_Escape)
    assert window.panel.isVisible()
    QTest.keyClick(window, Qt.Key_F11)
    assert window.presentation and window.isFullScreen()
    QTest.keyClick(window, Qt.Key_Escape)
    assert not window.presentation and not window.isFullScreen()


def test_data_temperature_buttons_refit_on_new_data(window, qtbot):
    start(window, qtbot, {"data": {"generator": "ising", "L": 8, "samples": 100, "seed": 1,
                                   "temperature": 2.25},
                          "model": {"kind": "maxent", "pairs": "lattice"},
                          "training": {"estimator": "mcmc", "chains": 20},
                          "view": {"data_temperatures": [1.75, 2.25, 2.75]}})
    bar = window.lecture.bar
    qtbot.waitUntil(lambda: bar.data_t.isVisible() and bar.data_t.count() == 3, timeout=5000)
    assert bar.data_t.currentText() == "2.25"
    old = window.worker
    bar.data_t.setCurrentIndex(2)
    bar.data_t.activated.emit(2)
    qtbot.waitUntil(lambda: window.worker is not old and window.pending is None, timeout=60_000)
    assert window.active_cfg["data"]["temperature"] == 2.75
    assert window.active_cfg["model"]["pairs"] == "lattice"
    qtbot.waitUntil(lambda: window.worker.step_count > 0, timeout=30_000)   # it autoplays
    window.pause()
