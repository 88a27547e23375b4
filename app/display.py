"""Can a window open here?  Checked before Qt starts, because Qt aborts the process (no message
an ordinary user can act on) when its platform plugin cannot start.

* Linux without ``DISPLAY`` / ``WAYLAND_DISPLAY`` (an ssh session, a container, CI) and no
  ``QT_QPA_PLATFORM``: a screenshot run switches to Qt's ``offscreen`` platform by itself; any
  other run gets a one-paragraph explanation instead of Qt's abort.
* Linux on X11 (Qt's ``xcb`` plugin): the PySide6 wheel needs system libraries it does not carry
  (which ones depends on the machine: a bare Debian 12 had ``libxcb-cursor0`` but lacked
  ``libxcb-icccm4`` and ``libxcb-keysyms1``, and Qt's abort still named xcb-cursor).  So the
  plugin's real dependencies are resolved — ``ldd`` on ``platforms/libqxcb.so`` (it follows
  ``libQt6XcbQpa`` and every transitive library) — and the libraries reported "not found" are
  named, with the exact ``apt-get install`` line for them.  Where ``ldd`` is not available, the
  libraries the plugin is known to need are looked up with ``ctypes.util.find_library``.

Imports no Qt (``import PySide6`` only, for the location of its plugins).
"""

from __future__ import annotations

import ctypes.util
import os
import re
import shutil
import subprocess
import sys
import textwrap
import tempfile
from pathlib import Path

#: everything the xcb plugin of the PySide6 6.x wheels may need from the system (README line)
APT_LINE = ("sudo apt-get install libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 "
            "libxcb-render-util0 libxcb-shape0 libxcb-randr0 libxcb-xinerama0 libxcb-xkb1 "
            "libxkbcommon-x11-0 libegl1 libgl1 libfontconfig1 libdbus-1-3")

#: soname -> Debian/Ubuntu package; names not listed follow Debian's rule (:func:`debian_package`)
PACKAGES = {
    "libGL.so.1": "libgl1", "libEGL.so.1": "libegl1", "libGLX.so.0": "libglx0",
    "libOpenGL.so.0": "libopengl0", "libGLdispatch.so.0": "libglvnd0",
    "libX11.so.6": "libx11-6", "libX11-xcb.so.1": "libx11-xcb1", "libXau.so.6": "libxau6",
    "libXdmcp.so.6": "libxdmcp6", "libSM.so.6": "libsm6", "libICE.so.6": "libice6",
    "libxkbcommon.so.0": "libxkbcommon0", "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libfontconfig.so.1": "libfontconfig1", "libfreetype.so.6": "libfreetype6",
    "libdbus-1.so.3": "libdbus-1-3", "libglib-2.0.so.0": "libglib2.0-0",
    "libgthread-2.0.so.0": "libglib2.0-0", "libz.so.1": "zlib1g", "libpng16.so.16": "libpng16-16",
    "libexpat.so.1": "libexpat1", "libzstd.so.1": "libzstd1", "libbrotlidec.so.1": "libbrotli1",
    "libbrotlicommon.so.1": "libbrotli1", "libpcre2-8.so.0": "libpcre2-8-0",
    "libstdc++.so.6": "libstdc++6", "libgcc_s.so.1": "libgcc-s1",
}

#: what the xcb plugin links against, for the fallback without ldd (find_library names)
KNOWN_NEEDS = {"xcb-cursor": "libxcb-cursor.so.0", "xcb-icccm": "libxcb-icccm.so.4",
               "xcb-keysyms": "libxcb-keysyms.so.1", "xcb-image": "libxcb-image.so.0",
               "xcb-render-util": "libxcb-render-util.so.0", "xcb-shape": "libxcb-shape.so.0",
               "xcb-randr": "libxcb-randr.so.0", "xcb-xkb": "libxcb-xkb.so.1",
               "xkbcommon-x11": "libxkbcommon-x11.so.0", "EGL": "libEGL.so.1", "GL": "libGL.so.1",
               "fontconfig": "libfontconfig.so.1", "dbus-1": "libdbus-1.so.3"}

NO_DISPLAY = (
    textwrap.fill("boltzmann-lab: there is no display to open the window on (neither DISPLAY "
                  "nor WAYLAND_DISPLAY is set, as in an ssh session or a container). Run it on a "
                  "desktop or with X forwarding (ssh -X); or save a picture of the window "
                  "without a display (--screenshot alone switches to Qt's offscreen platform):",
                  88)
    + "\n\n    QT_QPA_PLATFORM=offscreen boltzmann-lab --preset NAME --autoplay "
      "--screenshot shot.png --quit-after 10\n\n"
    + "The headless commands (train, sample, evaluate) need no display at all.")


#: the offscreen screen of a plain ``--screenshot`` run: a 1600 x 900 window (screen_fit's
#: PREFERRED_SIZE) inside the offscreen platform's 2 px window frame
SCREENSHOT_SCREEN = (1604, 904)
#: ... and of a ``--presentation --screenshot`` run: the 1280 x 800 projector (full screen)
PROJECTOR_SCREEN = (1280, 800)


def offscreen_screen(folder, size=PROJECTOR_SCREEN) -> str:
    """``QT_QPA_PLATFORM`` value for an offscreen platform with one ``size`` screen (96 dpi),
    described by ``folder/screen.json``."""
    import json
    path = Path(folder) / "screen.json"
    path.write_text(json.dumps({"screens": [{
        "name": "projector" if tuple(size) == PROJECTOR_SCREEN else "screen", "x": 0, "y": 0,
        "width": int(size[0]), "height": int(size[1]), "logicalDpi": 96, "logicalBaseDpi": 96,
        "dpr": 1}]}), encoding="utf-8")
    return f"offscreen:configfile={path}"


def is_plain_offscreen(env=None) -> bool:
    """Will Qt start its offscreen platform with its default 800 x 800 screen (``offscreen``,
    possibly with options, but no ``configfile=``)?"""
    env = os.environ if env is None else env
    first = env.get("QT_QPA_PLATFORM", "").split(";")[0].strip()
    name, _, options = first.partition(":")
    return name == "offscreen" and not any(o.strip().startswith("configfile=")
                                           for o in options.split(":"))


def screenshot_screen(presentation: bool = False, env=None):
    """For a screenshot run on the plain offscreen platform: point ``QT_QPA_PLATFORM`` (in
    ``env``, default ``os.environ``) at a :data:`SCREENSHOT_SCREEN` screen (a
    :data:`PROJECTOR_SCREEN` one for ``presentation``) in a new temporary folder.  Returns
    ``(folder, old value)`` for :func:`end_screenshot_screen` once Qt has started, or None when
    the platform is anything else (then nothing changes)."""
    env = os.environ if env is None else env
    if not is_plain_offscreen(env):
        return None
    old = env["QT_QPA_PLATFORM"]
    folder = Path(tempfile.mkdtemp(prefix="boltzmann-lab-screen-"))
    value = offscreen_screen(folder, PROJECTOR_SCREEN if presentation else SCREENSHOT_SCREEN)
    first, sep, rest = old.strip().partition(";")
    options = first.partition(":")[2]             # e.g. fontengine=freetype: kept
    env["QT_QPA_PLATFORM"] = value + (":" + options if options else "") + sep + rest
    return folder, old


def end_screenshot_screen(token, env=None) -> None:
    """Undo :func:`screenshot_screen` (Qt reads the file only when it starts): the temporary
    folder goes, ``QT_QPA_PLATFORM`` is what it was (for any child process)."""
    if token is None:
        return
    env = os.environ if env is None else env
    folder, old = token
    env["QT_QPA_PLATFORM"] = old
    shutil.rmtree(folder, ignore_errors=True)


def debian_package(soname: str) -> str:
    """The Debian/Ubuntu package that ships ``soname`` (e.g. ``libxcb-icccm.so.4`` ->
    ``libxcb-icccm4``): the table above, else Debian's library-package rule — the name without
    ``.so``, lower case, with a ``-`` before the version when the name ends in a digit."""
    if soname in PACKAGES:
        return PACKAGES[soname]
    m = re.fullmatch(r"(.+?)\.so\.(\d+)(?:\..*)?", soname)
    if not m:
        return soname.lower()
    name, version = m.group(1).lower(), m.group(2)
    return f"{name}-{version}" if name[-1].isdigit() else f"{name}{version}"


def install_line(sonames) -> str:
    """``sudo apt-get install`` with the packages for ``sonames`` (each once, in order); Qt's
    own libraries (a broken PySide6 install, not a system package) are left out."""
    packages = list(dict.fromkeys(debian_package(s) for s in sonames if not _is_qt(s)))
    return "sudo apt-get install " + " ".join(packages) if packages else ""


def _is_qt(soname: str) -> bool:
    return soname.startswith(("libQt6", "libpyside6", "libshiboken6"))


def parse_ldd(text: str) -> list[str]:
    """The sonames ``ldd`` reports as ``not found`` (each once, in order)."""
    missing = re.findall(r"^\s*(\S+)\s+=>\s+not found", text, flags=re.M)
    return list(dict.fromkeys(missing))


def xcb_plugin() -> Path | None:
    """Qt's xcb platform plugin of the installed PySide6 (None when it cannot be found)."""
    dirs = []
    if os.environ.get("QT_QPA_PLATFORM_PLUGIN_PATH"):
        dirs.append(Path(os.environ["QT_QPA_PLATFORM_PLUGIN_PATH"]))
    try:
        import PySide6
        base = Path(PySide6.__file__).parent
        dirs += [base / "Qt" / "plugins" / "platforms", base / "plugins" / "platforms"]
    except Exception:      # no PySide6: the import of the window reports that
        return None
    for d in dirs:
        if (d / "libqxcb.so").is_file():
            return d / "libqxcb.so"
    return None


def run_ldd(path) -> str | None:
    """``ldd PATH``'s output, or None when ldd is not there or fails."""
    ldd = shutil.which("ldd")
    if ldd is None:
        return None
    try:
        r = subprocess.run([ldd, str(path)], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.SubprocessError):
        return None
    return r.stdout if r.stdout else None


def missing_xcb_libraries(ldd=run_ldd, find_library=None, plugin=None) -> list[str]:
    """Sonames the xcb plugin needs that this system lacks ([] when nothing is missing or the
    plugin cannot be found).  ``ldd`` (path -> output or None) and ``find_library`` are
    parameters for tests."""
    plugin = xcb_plugin() if plugin is None else plugin
    if plugin is None:
        return []
    out = ldd(plugin)
    if out is not None:
        return parse_ldd(out)
    find_library = find_library or ctypes.util.find_library
    return [soname for name, soname in KNOWN_NEEDS.items() if find_library(name) is None]


def no_xcb_libs_message(sonames) -> str:
    """The paragraph printed instead of Qt's abort, with the exact install line."""
    names = ", ".join(sonames)
    if any(_is_qt(s) for s in sonames):
        return textwrap.fill(f"boltzmann-lab: Qt's X11 platform plugin (xcb) cannot start here: "
                             f"it needs libraries that are missing: {names}. Qt's own "
                             f"libraries are part of PySide6: reinstall it (pip install "
                             f"--force-reinstall PySide6) and start again.", 88)
    return (textwrap.fill(f"boltzmann-lab: Qt's X11 platform plugin (xcb) cannot start here: "
                          f"it needs system libraries that are missing: {names} (the PySide6 "
                          f"wheel does not carry them). On Debian or Ubuntu install them and "
                          f"start again:", 88)
            + f"\n\n    {install_line(sonames)}\n\n"
            + textwrap.fill("On other systems install the packages that provide these files. "
                            "Without a window: QT_QPA_PLATFORM=offscreen with --screenshot "
                            "FILE.png.", 88))


def import_error_message(exc: ImportError) -> str:
    """The paragraph for Qt's own libraries failing to load (a system library missing even for
    the offscreen platform, e.g. ``libGL.so.1``): the install line when the soname is named."""
    text = str(exc)
    m = re.search(r"(lib[\w.+-]+\.so(?:\.\d+)*)", text)
    head = textwrap.fill(f"boltzmann-lab: the window could not start: {text}. The headless "
                         f"commands (train, sample, evaluate) still work.", 88)
    if m and not _is_qt(m.group(1)):
        return head + (f"\n\nOn Debian or Ubuntu install the missing library and start "
                       f"again:\n\n    {install_line([m.group(1)])}")
    return head


def _will_use_xcb(env) -> bool:
    """Will Qt pick its xcb plugin (X11) with this environment?  (Qt 6 on Linux: the first
    entry of QT_QPA_PLATFORM; unset, wayland in a Wayland session, else xcb.)"""
    qpa = env.get("QT_QPA_PLATFORM", "")
    if qpa:
        return qpa.split(";")[0].split(":")[0].strip() == "xcb"
    if env.get("WAYLAND_DISPLAY") and env.get("XDG_SESSION_TYPE") == "wayland":
        return False
    return bool(env.get("DISPLAY"))


def check(screenshot: bool, env=None, platform: str | None = None, missing=None) -> str | None:
    """None when the window can open (possibly after setting ``QT_QPA_PLATFORM=offscreen`` in
    ``env`` for a screenshot run), else the message to print before exiting with code 2.

    ``env`` (default ``os.environ``, changed in place), ``platform`` (default ``sys.platform``)
    and ``missing`` (default :func:`missing_xcb_libraries`: () -> sonames) are parameters for
    tests."""
    env = os.environ if env is None else env
    platform = sys.platform if platform is None else platform
    missing = missing or missing_xcb_libraries
    if not platform.startswith("linux"):
        return None
    if not env.get("QT_QPA_PLATFORM") and not env.get("DISPLAY") and \
            not env.get("WAYLAND_DISPLAY"):
        if screenshot:
            env["QT_QPA_PLATFORM"] = "offscreen"
            return None
        return NO_DISPLAY
    if _will_use_xcb(env):
        sonames = missing()
        if sonames:
            return no_xcb_libs_message(sonames)
    return None
