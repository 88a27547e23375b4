"""Starting without a usable display: a clear message and exit code 2 instead of Qt's abort,
and screenshot runs that switch to the offscreen platform by themselves (boltzmann_lab.app.display)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from boltzmann_lab.app import display

ROOT = Path(__file__).resolve().parents[2]


def _env(tmp_path, **set_vars):
    """The test environment without any display or Qt platform, plus ``set_vars``."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM", "XDG_SESSION_TYPE")}
    env["BOLTZMANN_LAB_SETTINGS"] = str(tmp_path / "settings")
    env.update(set_vars)
    return env


def _run(args, env):
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)


def test_check_decides_from_the_environment():
    found = lambda name: "libxcb-cursor.so.0"      # noqa: E731
    missing = lambda name: None                     # noqa: E731
    env = {}
    assert display.check(False, env, "linux", found) == display.NO_DISPLAY
    assert display.check(True, env, "linux", found) is None
    assert env == {"QT_QPA_PLATFORM": "offscreen"}
    # X11 without libxcb-cursor: the README's apt line; Wayland or offscreen do not need it
    assert display.APT_LINE in display.check(False, {"DISPLAY": ":0"}, "linux", missing)
    assert display.check(False, {"DISPLAY": ":0"}, "linux", found) is None
    assert display.check(False, {"DISPLAY": ":0", "QT_QPA_PLATFORM": "offscreen"}, "linux",
                         missing) is None
    assert display.check(False, {"WAYLAND_DISPLAY": "wayland-0"}, "linux", missing) is None
    assert display.check(False, {"QT_QPA_PLATFORM": "xcb"}, "linux", missing) is not None
    # other systems are left to Qt
    assert display.check(False, {}, "darwin", missing) is None


def test_no_display_prints_how_to_run_offscreen_and_exits_2(tmp_path):
    r = _run(["-m", "app", "--preset", "em-coins"], _env(tmp_path))
    assert r.returncode == 2, r.stderr
    assert "no display" in r.stderr and "QT_QPA_PLATFORM=offscreen" in r.stderr
    assert "--screenshot" in r.stderr and "Traceback" not in r.stderr


def test_a_screenshot_without_display_goes_offscreen_by_itself(tmp_path):
    shot = tmp_path / "shot.png"
    r = _run(["-m", "app", "--preset", "em-coins", "--screenshot", str(shot),
              "--quit-after", "1"], _env(tmp_path))
    assert r.returncode == 0, r.stderr
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_missing_xcb_libraries_are_named_instead_of_a_qt_abort(tmp_path):
    # a display that does not exist: without the check Qt would abort trying to reach it
    script = ("import ctypes.util; ctypes.util.find_library = lambda name: None\n"
              "from boltzmann_lab.app.gui import run_gui\nraise SystemExit(run_gui(preset='em-coins'))")
    r = _run(["-c", script], _env(tmp_path, DISPLAY=":97"))
    assert r.returncode == 2, r.stderr
    assert display.APT_LINE in r.stderr and "xcb" in r.stderr
