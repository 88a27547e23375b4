"""Fixtures for the app tests: the real main window (offscreen), started on real configs, with
error dialogs replaced by the banner so nothing blocks; every test checks that no worker thread
is left running."""

from __future__ import annotations

import pytest

#: the offscreen platform plugin warns about a feature it lacks whenever a top-level window is
#: shown; it is not an app problem
OFFSCREEN_NOISE = r"This plugin does not support"


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/app" in str(item.fspath).replace("\\", "/"):
            item.add_marker(pytest.mark.qt_log_ignore(OFFSCREEN_NOISE))


@pytest.fixture
def window(qtbot):
    from boltzmann_lab.app.main_window import MainWindow
    win = MainWindow()
    qtbot.addWidget(win)
    win.resize(1280, 800)
    win.show()
    yield win
    workers = [w for w in (win.worker, win.pending) if w is not None] + list(win._retired)
    # a close already gave the workers only a short wait; one evaluation step can take tens of
    # seconds on a loaded machine (e.g. an exact log Z), so the check allows for it
    win.shutdown(180.0)
    assert not [w for w in workers if w.isRunning()], "a worker thread is still running"
    assert not win.tick_errors, "a view raised while drawing:\n" + win.tick_errors[0]


def start(win, qtbot, raw: dict, timeout=90_000, autoplay=False):
    """Load ``raw`` (an unresolved config dict) into the window and wait until its run is built."""
    from boltzmann_lab.config import resolve
    n_err = len(win.errors.messages)
    win.load_config(resolve(raw), autoplay=autoplay)
    qtbot.waitUntil(lambda: win.pending is None, timeout=timeout)
    assert len(win.errors.messages) == n_err, win.errors.messages[-1]
    assert win.worker is not None and win.worker.state != "failed"
    return win.worker


def train(win, qtbot, steps: int, timeout=90_000):
    """Play until ``steps`` steps are done (or the run finishes), then pause and let the GUI
    pull the last snapshot."""
    w = win.worker
    win.play()
    qtbot.waitUntil(lambda: w.step_count >= steps or w.state == "done", timeout=timeout)
    win.pause()
    qtbot.waitUntil(lambda: w.state in ("paused", "done", "ready"), timeout=timeout)
    qtbot.wait(120)   # a few GUI ticks
    return w.step_count


@pytest.fixture(autouse=True)
def _settings_folder(tmp_path, monkeypatch):
    """QSettings (boltzmann_lab.app.settings) go to a temporary folder: tests never touch the user's settings."""
    monkeypatch.setenv("BOLTZMANN_LAB_SETTINGS", str(tmp_path / "settings"))
