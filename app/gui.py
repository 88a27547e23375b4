"""Entry point of the desktop app: ``run_gui(...)`` (the CLI imports this lazily).

``run_gui(preset="ising-phases", autoplay=True, screenshot="shot.png", quit_after=8)`` opens the
window on a preset, starts training, and after ``quit_after`` seconds saves a PNG of the whole
window, stops the worker and returns 0 — used for documentation and smoke tests with
``QT_QPA_PLATFORM=offscreen``.
"""

from __future__ import annotations

import sys


def _initial_config(preset):
    """(cfg, preset name) for ``preset`` (default ``boltzmann_lab.presets.DEFAULT_PRESET``)."""
    try:
        from boltzmann_lab import presets
    except ImportError:
        presets = None
    if presets is not None:
        name = preset or presets.DEFAULT_PRESET
        try:
            return presets.load_preset(name), name
        except Exception:
            if preset is not None:
                raise
    elif preset is not None:
        raise RuntimeError(f"presets are not available (boltzmann_lab.presets missing); cannot open "
                           f"{preset!r}")
    # no presets installed: a live Ising simulation needs no data and always works
    from boltzmann_lab.config import resolve
    return resolve({"model": {"kind": "ising"}}), None


def run_gui(preset: str | None = None, autoplay: bool = False, presentation: bool = False,
            screenshot: str | None = None, quit_after: float | None = None,
            debug: bool = False) -> int:
    """Open the Boltzmann Lab window; return the process exit code.

    preset : preset name (``boltzmann-lab presets`` lists them); default the default preset.
    autoplay : start training as soon as the model is built.
    presentation : large fonts and thick lines for a projector.
    screenshot : save a PNG of the whole window after ``quit_after`` seconds (default 5).
    quit_after : close the app after this many seconds (stopping the worker cleanly), exit 0.
    debug : print the traceback of every error the window handles (else none: one banner).

    Exit code 2 with a message (boltzmann_lab.app.display) when no window can open: no display on Linux
    (a screenshot run then uses the offscreen platform by itself), or Qt's X11 plugin would
    abort for want of system libraries.  A screenshot run on the plain offscreen platform (no
    screen configuration) renders a 1600 x 900 window, or a 1280 x 800 projector with
    ``presentation`` (``display.screenshot_screen``).
    """
    widgets = sys.modules.get("PySide6.QtWidgets")
    screen = None
    if widgets is None or widgets.QApplication.instance() is None:
        # Qt aborts the process when its platform plugin cannot start: explain instead, before
        # anything of Qt's is loaded (QtGui itself needs libGL, libEGL, fontconfig...)
        from . import display
        problem = display.check(screenshot=bool(screenshot))
        if problem:
            print(problem, file=sys.stderr)
            return 2
        if screenshot:
            # the plain offscreen platform's 800 x 800 screen would squeeze the window: a
            # 1600 x 900 one (a 1280 x 800 projector in presentation mode) instead
            screen = display.screenshot_screen(presentation)
    try:
        from PySide6.QtWidgets import QApplication
    except ImportError as exc:            # e.g. "libGL.so.1: cannot open shared object file"
        from . import display
        print(display.import_error_message(exc), file=sys.stderr)
        return 2

    from PySide6.QtCore import QTimer

    from . import errors, theme
    from .main_window import MainWindow

    errors.set_debug(debug)
    try:
        cfg, name = _initial_config(preset)
    except Exception as exc:
        print(f"boltzmann-lab: {exc}", file=sys.stderr)
        return 2

    owns_app = QApplication.instance() is None
    app = QApplication.instance() or QApplication(sys.argv[:1])
    if screen is not None:
        from . import display
        display.end_screenshot_screen(screen)
    app.setApplicationName("Boltzmann Lab")
    theme.apply(app, False)
    win = MainWindow(presentation=False)
    # a laptop-sized window, or the remembered one — either way within the screen's available
    # geometry (a 1280 x 800 projector); presentation mode is entered from that window, so Esc
    # comes back to it
    from .screen_fit import PREFERRED_SIZE, fit_window
    # (a screenshot on the screen chosen above has the documented size, whatever was remembered)
    restored = getattr(win, "geometry_restored", False) and screen is None
    fit_window(win, None if restored else PREFERRED_SIZE, centre=not restored)
    win.load_config(cfg, autoplay=autoplay, preset=name)
    win.show()
    app.processEvents()
    fit_window(win)          # again, now that the window manager's frame is known
    if presentation:
        win.presentation_action.setChecked(True)

    if screenshot and quit_after is None:
        quit_after = 5.0
    result = {"code": 0}

    def finish():
        if screenshot:
            win._tick()      # draw the very latest snapshot first
            app.processEvents()
            if not win.grab().save(str(screenshot)):
                print(f"boltzmann-lab: could not write the screenshot {screenshot}",
                      file=sys.stderr)
                result["code"] = 1
        win.shutdown_for_exit()
        win.close()
        app.quit()

    if quit_after is not None:
        QTimer.singleShot(int(float(quit_after) * 1000), finish)
    from . import quitting
    watcher = quitting.watch_window(app, win)   # noqa: F841 - the X window destroyed: quit
    app.exec()
    win.shutdown_for_exit()      # what is left of the close's budget
    if owns_app:
        # no waiting for a worker in a long step, nor for Python's teardown of the Qt objects
        quitting.finish_process(result["code"])
    return result["code"]
