"""Can a window open here?  Checked before Qt starts, because Qt aborts the process (no message
an ordinary user can act on) when its platform plugin cannot start.

* Linux without ``DISPLAY`` / ``WAYLAND_DISPLAY`` (an ssh session, a container, CI) and no
  ``QT_QPA_PLATFORM``: a screenshot run switches to Qt's ``offscreen`` platform by itself; any
  other run gets a one-paragraph explanation instead of Qt's abort.
* Linux on X11 (Qt's ``xcb`` plugin) without ``libxcb-cursor``: the PySide6 wheel needs system
  libraries it does not carry; say which (the README's troubleshooting line) instead of letting
  Qt abort with "Could not load the Qt platform plugin xcb".

Imports no Qt.
"""

from __future__ import annotations

import ctypes.util
import os
import sys
import textwrap

APT_LINE = "sudo apt-get install libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1"

NO_DISPLAY = (
    textwrap.fill("boltzmann-lab: there is no display to open the window on (neither DISPLAY "
                  "nor WAYLAND_DISPLAY is set, as in an ssh session or a container). Run it on a "
                  "desktop or with X forwarding (ssh -X); or save a picture of the window "
                  "without a display (--screenshot alone switches to Qt's offscreen platform):",
                  88)
    + "\n\n    QT_QPA_PLATFORM=offscreen boltzmann-lab --preset NAME --autoplay "
      "--screenshot shot.png --quit-after 10\n\n"
    + "The headless commands (train, sample, evaluate) need no display at all.")

NO_XCB_LIBS = (
    textwrap.fill("boltzmann-lab: Qt's X11 platform plugin (xcb) cannot start here: the system "
                  "library libxcb-cursor is missing (the PySide6 wheel does not carry it). "
                  "Install the libraries it needs (README, troubleshooting) and start again:", 88)
    + f"\n\n    {APT_LINE}\n\n"
    + textwrap.fill("Without a window: QT_QPA_PLATFORM=offscreen with --screenshot FILE.png.", 88))


def _will_use_xcb(env) -> bool:
    """Will Qt pick its xcb plugin (X11) with this environment?  (Qt 6 on Linux: the first
    entry of QT_QPA_PLATFORM; unset, wayland in a Wayland session, else xcb.)"""
    qpa = env.get("QT_QPA_PLATFORM", "")
    if qpa:
        return qpa.split(";")[0].split(":")[0].strip() == "xcb"
    if env.get("WAYLAND_DISPLAY") and env.get("XDG_SESSION_TYPE") == "wayland":
        return False
    return bool(env.get("DISPLAY"))


def check(screenshot: bool, env=None, platform: str | None = None,
          find_library=None) -> str | None:
    """None when the window can open (possibly after setting ``QT_QPA_PLATFORM=offscreen`` in
    ``env`` for a screenshot run), else the message to print before exiting with code 2.

    ``env`` (default ``os.environ``, changed in place), ``platform`` (default ``sys.platform``)
    and ``find_library`` (default ``ctypes.util.find_library``) are parameters for tests."""
    env = os.environ if env is None else env
    platform = sys.platform if platform is None else platform
    find_library = find_library or ctypes.util.find_library
    if not platform.startswith("linux"):
        return None
    if not env.get("QT_QPA_PLATFORM") and not env.get("DISPLAY") and \
            not env.get("WAYLAND_DISPLAY"):
        if screenshot:
            env["QT_QPA_PLATFORM"] = "offscreen"
            return None
        return NO_DISPLAY
    if _will_use_xcb(env) and find_library("xcb-cursor") is None:
        return NO_XCB_LIBS
    return None
