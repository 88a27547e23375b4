"""Leaving the app (boltzmann_lab.app.quitting): Ctrl+Q and Session > Quit, a close that does not
wait for a long step, a destroyed X window, and a process that ends even with a worker stuck in a
step.  The real-window version of these (xcb under Xvfb, a window manager, xdotool) is
``.ci/xcb_smoke.sh``, run by CI."""

from __future__ import annotations

import ctypes
import subprocess
import sys
import threading
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLabel

from .conftest import start

ROOT = Path(__file__).resolve().parents[2]


def test_ctrl_q_closes_the_window_and_stops_training(window, qtbot, monkeypatch):
    start(window, qtbot, {"model": {"kind": "ising", "L": 16}}, autoplay=True)
    w = window.worker
    qtbot.waitUntil(lambda: w.step_count > 3, timeout=30_000)
    quits = []
    monkeypatch.setattr(QApplication, "quit", lambda *a: quits.append(1))
    window.activateWindow()
    QTest.keyClick(window, Qt.Key_Q, Qt.ControlModifier)
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=5000)
    assert quits, "Ctrl+Q must end the event loop"
    assert w.isFinished() and window.worker is None


def test_quit_is_in_the_session_menu_and_the_help(window, qtbot):
    from boltzmann_lab.app.shortcuts import KEYS
    lec = window.lecture
    assert window.quit_action in lec.session_menu.actions()
    assert window.quit_action.shortcut().toString() == "Ctrl+Q"
    assert any(key == "Ctrl+Q" for key, _ in KEYS)
    lec.help.open_overlay()
    texts = " ".join(label.text() for label in lec.help.findChildren(QLabel))
    assert "Ctrl+Q" in texts and "quit" in texts
    lec.help.close_overlay()


def test_closing_does_not_wait_for_a_step_that_takes_long(qtbot):
    """A worker finishes its step before it sees the quit command; the close must not wait for
    it beyond the exit budget (run_gui then ends the process)."""
    from boltzmann_lab.app.main_window import MainWindow
    from boltzmann_lab.config import resolve
    from boltzmann_lab.app.worker import default_builder
    release, entered = threading.Event(), threading.Event()

    def slow_builder(cfg, dataset=None):         # e.g. a numba compile or a large data set
        entered.set()
        release.wait(60)
        return default_builder(cfg, dataset)

    win = MainWindow(builder=slow_builder)
    qtbot.addWidget(win)
    win.show()
    win.load_config(resolve({"model": {"kind": "ising", "L": 8}}))
    qtbot.waitUntil(entered.is_set, timeout=10_000)
    busy = win.pending
    win.close()                                  # returns although the build goes on
    assert not win.isVisible() and busy.isRunning() and not release.is_set()
    assert win._retired == [busy]                # kept referenced while it runs
    release.set()
    assert win.shutdown(30.0) and busy.isFinished()


def test_a_destroyed_x_window_quits(window, qtbot, monkeypatch):
    """xdotool windowclose (XDestroyWindow, no close request): Qt sees only a DestroyNotify."""
    from boltzmann_lab.app import quitting
    start(window, qtbot, {"model": {"kind": "ising", "L": 8}}, autoplay=True)
    quits = []
    monkeypatch.setattr(QApplication, "quit", lambda *a: quits.append(1))
    f = quitting.WindowGoneFilter(window)

    def event(code, win_id):
        buf = (ctypes.c_uint8 * 32)()            # xcb_destroy_notify_event_t, padded to 32
        buf[0] = code
        ctypes.c_uint32.from_buffer(buf, 8).value = win_id
        return f.nativeEventFilter(b"xcb_generic_event_t", ctypes.addressof(buf))

    assert event(quitting.XCB_DESTROY_NOTIFY, int(window.winId()) + 1) == (False, 0)
    assert event(18, int(window.winId())) == (False, 0)           # UnmapNotify: only hidden
    qtbot.wait(50)
    assert not f.fired and not quits
    assert event(quitting.XCB_DESTROY_NOTIFY | 0x80, int(window.winId())) == (False, 0)
    qtbot.waitUntil(lambda: bool(quits), timeout=5000)
    assert f.fired and window.worker is None     # workers stopped before the loop ends
    # only installed where Qt draws through X11
    assert quitting.watch_window(QApplication.instance(), window) is None   # offscreen here


def test_the_process_ends_even_when_a_worker_is_stuck_in_a_step(tmp_path):
    """run_gui ends the process without waiting for a worker that cannot stop (before: a 30 s
    wait, then Python's teardown aborting with "QThread: Destroyed while thread is running")."""
    script = (
        "import threading, sys\n"
        "from boltzmann_lab.app import worker, gui\n"
        "def stuck(cfg, dataset=None):\n"
        "    threading.Event().wait(600)\n"
        "worker.default_builder = stuck\n"
        "sys.exit(gui.run_gui(preset='ising-phases', autoplay=True, quit_after=1.0))\n")
    env = {"QT_QPA_PLATFORM": "offscreen", "BOLTZMANN_LAB_SETTINGS": str(tmp_path / "s"),
           "PATH": "/usr/bin:/bin"}
    r = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert "QThread" not in r.stderr and "Traceback" not in r.stderr
