"""Leaving the app, always within about a second.

* **Quit**: Ctrl+Q and the Session menu's Quit entry (listed in the F1 help) close the window and
  end the event loop, whatever other windows (analyses, gallery, sweep) are open.
* **Bounded stop**: closing the window hides it at once and waits at most :data:`EXIT_WAIT_S`
  for the worker threads.  A worker finishes its current step before it sees the quit command,
  and one step can be long (a numba compile, an exact log-likelihood, a large data set being
  built), so :func:`finish_process` then ends the process without waiting for them: ``run_gui``
  calls it after the event loop when it owns the application.  (Python's normal shutdown would
  also spend seconds tearing down thousands of Qt and pyqtgraph objects, and aborts with
  "QThread: Destroyed while thread is still running" if a worker has not finished.)
* **A window destroyed under the app** (``xdotool windowclose``, a crashed window manager, an X
  client killing it): Qt is not told to close, so before this the process lived on without a
  window.  On X11 a native event filter sees the window's ``DestroyNotify`` and quits.
"""

from __future__ import annotations

import ctypes
import os
import sys

from PySide6.QtCore import QAbstractNativeEventFilter, Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QApplication

#: longest wait for worker threads when the window closes (s); sessions are written atomically,
#: so a save cut short leaves the previous file intact
EXIT_WAIT_S = 0.5

#: X11 core event codes (xcb_generic_event_t.response_type without the "sent" bit)
XCB_DESTROY_NOTIFY = 17


def install_quit_action(window) -> QAction:
    """Ctrl+Q on ``window`` (any focus inside it): close it and leave the event loop."""
    action = QAction("Quit", window)
    action.setShortcut(QKeySequence("Ctrl+Q"))
    action.setShortcutContext(Qt.WindowShortcut)
    action.setToolTip("stop the run and close Boltzmann Lab (Ctrl+Q)")
    action.setMenuRole(QAction.QuitRole)
    action.triggered.connect(lambda: quit_app(window))
    window.addAction(action)
    return action


def quit_app(window) -> None:
    """Close ``window`` (its closeEvent stops the workers, bounded) and end the event loop."""
    window.close()
    app = QApplication.instance()
    if app is not None:
        app.quit()


class WindowGoneFilter(QAbstractNativeEventFilter):
    """Quits when the X11 window of ``window`` is destroyed without a close request."""

    def __init__(self, window):
        super().__init__()
        self.window = window
        self.fired = False

    def nativeEventFilter(self, event_type, message):
        if not self.fired and bytes(event_type) == b"xcb_generic_event_t":
            try:
                addr = int(message)
                code = ctypes.c_uint8.from_address(addr).value & 0x7F
                if code == XCB_DESTROY_NOTIFY:
                    # xcb_destroy_notify_event_t: response_type, pad, sequence, event, window
                    gone = ctypes.c_uint32.from_address(addr + 8).value
                    if gone == int(self.window.winId()):
                        self.fired = True
                        QTimer.singleShot(0, self._window_gone)
            except Exception:     # never let a filter error reach Qt's event dispatch
                pass
        return False, 0

    def _window_gone(self):
        print("boltzmann-lab: the window was destroyed; quitting", file=sys.stderr)
        self.window.shutdown_for_exit()
        QApplication.instance().quit()


def watch_window(app, window) -> WindowGoneFilter | None:
    """Install :class:`WindowGoneFilter` on X11 (other platforms close windows through Qt)."""
    if app.platformName() != "xcb":
        return None
    f = WindowGoneFilter(window)
    app.installNativeEventFilter(f)
    return f


def finish_process(code: int) -> None:
    """End the process now with ``code``: output flushed, no waiting for worker threads or for
    Python's teardown of the Qt objects (settings are already synced when written)."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass
    os._exit(int(code))
