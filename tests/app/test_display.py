"""Starting without a usable display: a clear message and exit code 2 instead of Qt's abort,
and screenshot runs that switch to the offscreen platform by themselves (boltzmann_lab.app.display)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

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


# ldd on the xcb plugin of a bare Debian 12 that had libxcb-cursor0 but not icccm / keysyms
LDD_OUTPUT = """\
\tlinux-vdso.so.1 (0x00007ffd1a5f2000)
\tlibQt6XcbQpa.so.6 => /venv/PySide6/Qt/lib/libQt6XcbQpa.so.6 (0x00007f3c2a000000)
\tlibxcb-cursor.so.0 => /lib/x86_64-linux-gnu/libxcb-cursor.so.0 (0x00007f37c99f0000)
\tlibxcb-icccm.so.4 => not found
\tlibxcb-util.so.1 => /lib/x86_64-linux-gnu/libxcb-util.so.1 (0x00007f37c99e8000)
\tlibxcb-keysyms.so.1 => not found
\tlibxcb-xinerama.so.0 => not found
\tlibEGL.so.1 => not found
\tlibxcb-icccm.so.4 => not found
\tlibxcb-keysyms.so.1 => not found
\t/lib64/ld-linux-x86-64.so.2 (0x00007f37c9baa000)
"""


def test_ldd_output_becomes_the_exact_install_line():
    missing = display.parse_ldd(LDD_OUTPUT)
    assert missing == ["libxcb-icccm.so.4", "libxcb-keysyms.so.1", "libxcb-xinerama.so.0",
                       "libEGL.so.1"]
    assert display.install_line(missing) == \
        "sudo apt-get install libxcb-icccm4 libxcb-keysyms1 libxcb-xinerama0 libegl1"
    assert display.parse_ldd("\tlibc.so.6 => /lib/libc.so.6 (0x1)\n") == []
    # every package the issue names, from its soname
    for soname, package in [("libxcb-cursor.so.0", "libxcb-cursor0"),
                            ("libxkbcommon-x11.so.0", "libxkbcommon-x11-0"),
                            ("libxcb-image.so.0", "libxcb-image0"),
                            ("libxcb-render-util.so.0", "libxcb-render-util0"),
                            ("libxcb-shape.so.0", "libxcb-shape0"),
                            ("libxcb-randr.so.0", "libxcb-randr0"),
                            ("libxcb-xkb.so.1", "libxcb-xkb1"), ("libGL.so.1", "libgl1"),
                            ("libfontconfig.so.1", "libfontconfig1"),
                            ("libdbus-1.so.3", "libdbus-1-3"), ("libX11-xcb.so.1", "libx11-xcb1")]:
        assert display.debian_package(soname) == package
    message = display.no_xcb_libs_message(missing)
    assert "libxcb-icccm.so.4, libxcb-keysyms.so.1" in message
    assert "    sudo apt-get install libxcb-icccm4 libxcb-keysyms1 libxcb-xinerama0 libegl1\n" \
        in message
    # a Qt library of the wheel itself is not a system package
    assert "reinstall" in display.no_xcb_libs_message(["libQt6XcbQpa.so.6"])


def test_the_full_install_line_is_in_the_readme_and_ci():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert display.APT_LINE in readme
    for package in display.APT_LINE.split()[3:]:
        assert package in ci, f"{package} is not installed by .ci/run"
    assert ".ci/xcb_smoke.sh" in ci and ".ci/xcb_smoke.sh" in readme


def test_missing_libraries_come_from_ldd_or_else_find_library(tmp_path):
    plugin = tmp_path / "libqxcb.so"
    seen = []
    fake_ldd = lambda path: seen.append(path) or LDD_OUTPUT    # noqa: E731
    assert display.missing_xcb_libraries(fake_ldd, plugin=plugin)[:2] == \
        ["libxcb-icccm.so.4", "libxcb-keysyms.so.1"]
    assert seen == [plugin]
    # no ldd: the libraries the plugin is known to need, looked up one by one
    only_cursor = lambda name: "libxcb-cursor.so.0" if name == "xcb-cursor" else "x"   # noqa: E731
    assert display.missing_xcb_libraries(lambda p: None, only_cursor, plugin) == []
    lacks_icccm = lambda name: None if name == "xcb-icccm" else "x"                  # noqa: E731
    assert display.missing_xcb_libraries(lambda p: None, lacks_icccm, plugin) == \
        ["libxcb-icccm.so.4"]
    # the installed PySide6's plugin is found
    assert display.xcb_plugin() is not None and display.xcb_plugin().name == "libqxcb.so"


def test_check_decides_from_the_environment():
    found = lambda: []                                     # noqa: E731
    missing = lambda: ["libxcb-icccm.so.4"]                # noqa: E731
    env = {}
    assert display.check(False, env, "linux", found) == display.NO_DISPLAY
    assert display.check(True, env, "linux", found) is None
    assert env == {"QT_QPA_PLATFORM": "offscreen"}
    # X11 without a library: its install line; Wayland or offscreen do not need it
    assert "sudo apt-get install libxcb-icccm4\n" in \
        display.check(False, {"DISPLAY": ":0"}, "linux", missing)
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


def _png_size(path) -> tuple[int, int]:
    data = Path(path).read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def test_a_screenshot_without_display_goes_offscreen_by_itself(tmp_path):
    shot = tmp_path / "shot.png"
    r = _run(["-m", "app", "--preset", "em-coins", "--screenshot", str(shot),
              "--quit-after", "1"], _env(tmp_path))
    assert r.returncode == 0, r.stderr
    # ...with a screen that has room for the laptop-sized window, not offscreen's 800 x 800
    assert _png_size(shot) == (1600, 900)


def test_a_screenshot_on_plain_offscreen_gets_a_documented_screen(tmp_path):
    env = {"QT_QPA_PLATFORM": "offscreen"}
    token = display.screenshot_screen(False, env)
    folder, old = token
    assert old == "offscreen" and env["QT_QPA_PLATFORM"].startswith("offscreen:configfile=")
    screen = json.loads((folder / "screen.json").read_text())["screens"][0]
    assert (screen["width"], screen["height"]) == display.SCREENSHOT_SCREEN == (1604, 904)
    display.end_screenshot_screen(token, env)
    assert env == {"QT_QPA_PLATFORM": "offscreen"} and not folder.exists()
    # presentation: the 1280 x 800 projector; the plugin's other options are kept
    env = {"QT_QPA_PLATFORM": "offscreen:fontengine=freetype;xcb"}
    folder, _ = display.screenshot_screen(True, env)
    assert env["QT_QPA_PLATFORM"] == f"offscreen:configfile={folder / 'screen.json'}" \
                                     f":fontengine=freetype;xcb"
    screen = json.loads((folder / "screen.json").read_text())["screens"][0]
    assert (screen["width"], screen["height"]) == display.PROJECTOR_SCREEN == (1280, 800)
    display.end_screenshot_screen((folder, "x"), env)
    # a screen configuration of one's own, or another platform: left alone
    for value in ("offscreen:configfile=/x/screen.json", "xcb", "wayland;offscreen", ""):
        env = {"QT_QPA_PLATFORM": value} if value else {}
        assert display.screenshot_screen(False, env) is None
        assert env == ({"QT_QPA_PLATFORM": value} if value else {})


# records, as the screenshot is taken, where the transport buttons are and what the layout probe
# (the layout test's checks: text that does not fit, widgets off the window...) finds wrong
PROBE_SCRIPT = """
import json, sys
from boltzmann_lab.app import gui
from boltzmann_lab.app.main_window import MainWindow
from tests.app.layout_probe import check_window
shot, presentation, out = sys.argv[1], sys.argv[2] == "1", sys.argv[3]
original = MainWindow.shutdown_for_exit
def probe(self, *args, **kw):
    from pathlib import Path
    if not Path(out).exists():
        t = self.transport
        rects = {}
        for b in (t.play_button, t.step_button, t.stop_button, t.reset_button):
            p = b.mapTo(self, b.rect().topLeft())
            rects[b.text()] = [p.x(), p.y(), b.width(), b.height(), b.sizeHint().width()]
        Path(out).write_text(json.dumps({"buttons": rects, "size": [self.width(), self.height()],
                                         "problems": check_window(self, "screenshot")}))
    return original(self, *args, **kw)
MainWindow.shutdown_for_exit = probe
sys.exit(gui.run_gui(preset="rbm-bars", presentation=presentation, screenshot=shot,
                     quit_after=3))
"""


@pytest.mark.parametrize("presentation,size", [(False, (1600, 900)), (True, (1280, 800))])
def test_a_screenshot_on_plain_offscreen_keeps_the_transport_readable(tmp_path, presentation,
                                                                      size):
    # before: the window fitted offscreen's 800 x 800 screen, 796 px wide, and Step, Stop and
    # Reset were squeezed over each other ("ep H", "Sto")
    shot, out = tmp_path / "shot.png", tmp_path / "probe.json"
    env = _env(tmp_path, QT_QPA_PLATFORM="offscreen")
    r = _run(["-c", PROBE_SCRIPT, str(shot), "1" if presentation else "0", str(out)], env)
    assert r.returncode == 0, r.stderr
    assert _png_size(shot) == size
    seen = json.loads(out.read_text())
    assert seen["problems"] == []
    rects = sorted(seen["buttons"].values())
    for text, (x, y, w, h, hint) in seen["buttons"].items():
        assert w >= hint, f"{text!r} squeezed to {w} px (needs {hint})"
    for (x1, _, w1, *_), (x2, *_) in zip(rects, rects[1:]):
        assert x1 + w1 <= x2, f"transport buttons overlap: {seen['buttons']}"


def test_missing_xcb_libraries_are_named_instead_of_a_qt_abort(tmp_path):
    # a fake ldd first on PATH reports two libraries missing; the display does not exist, so
    # without the check Qt would abort trying to reach it
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (tmp_path / "ldd.txt").write_text(LDD_OUTPUT)
    ldd = bin_dir / "ldd"
    ldd.write_text(f"#!/bin/sh\ncat {tmp_path / 'ldd.txt'}\n")
    ldd.chmod(0o755)
    env = _env(tmp_path, DISPLAY=":97")
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    r = _run(["-m", "app", "--preset", "em-coins"], env)
    assert r.returncode == 2, r.stderr
    assert "sudo apt-get install libxcb-icccm4 libxcb-keysyms1 libxcb-xinerama0 libegl1" \
        in r.stderr
    assert "libxcb-icccm.so.4" in r.stderr and "Traceback" not in r.stderr
    assert "xcb-cursor" not in r.stderr        # present here: not the library to blame


def test_qt_failing_to_load_a_system_library_names_its_package():
    exc = ImportError("libGL.so.1: cannot open shared object file: No such file or directory")
    message = display.import_error_message(exc)
    assert "libGL.so.1" in message and "    sudo apt-get install libgl1" in message
    assert "apt-get" not in display.import_error_message(ImportError("No module named 'x'"))


def test_the_screenshot_tool_has_help_and_names_an_unknown_preset(capsys):
    from boltzmann_lab.app import screenshots
    with pytest.raises(SystemExit) as e:
        screenshots.main(["--help"])
    assert e.value.code == 0 and "--presentation" in capsys.readouterr().out
    with pytest.raises(SystemExit) as e:
        screenshots.main(["no-such-preset"])
    err = capsys.readouterr().err
    assert e.value.code == 2 and "unknown preset no-such-preset" in err and "rbm-bars" in err
