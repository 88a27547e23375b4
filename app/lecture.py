"""Lecture-hall features wired into the main window with one call: ``install(window)``.

Adds a second toolbar (Gallery, Session, Export, Focus, Help), the lecture bar under the transport
(:mod:`boltzmann_lab.app.lecture_bar`), drawing tools and hover read-outs on the image views
(:mod:`boltzmann_lab.app.drawing`, :mod:`boltzmann_lab.app.hover`), presentation/focus modes (:mod:`boltzmann_lab.app.presentation`), the
keyboard shortcuts and their help overlay (:mod:`boltzmann_lab.app.shortcuts`, :mod:`boltzmann_lab.app.help_overlay`),
sessions (:mod:`boltzmann_lab.app.session`), export (:mod:`boltzmann_lab.app.export`) and remembered settings
(:mod:`boltzmann_lab.app.settings`), and the Hopfield recall traces of user changes (:mod:`boltzmann_lab.app.recall_trace`).

Everything is connected through the window's explicit hooks (``MainWindow.run_starting``,
``ViewGrid.view_created`` / ``snapshot_shown`` / ``points_arriving``, ``LatticeView.tool``);
no method of the window or its views is replaced.
"""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence, QShortcut
from PySide6.QtWidgets import QFileDialog, QMenu, QToolBar, QToolButton

from . import export, settings
from . import session as gui_session
from .analyses import (ResultWindow, capacity_curves, denoise_on_worker, draw_capacity,
                       draw_denoise, draw_lambda, in_thread, lambda_curves)
from .drawing import DrawingTool
from .gallery import Gallery
from .help_overlay import HelpOverlay
from .hover import HoverReadout
from .lecture_bar import LectureBar
from .presentation import Presentation
from .recall_trace import RecallTrace
from .shortcuts import KEYS

SESSION_FILTER = "Boltzmann Lab session (*.npz)"


class Lecture(QObject):
    """Owns the lecture features of one main window (``window.lecture``)."""

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.result_windows: list = []
        self.sweep_dialog = None
        self.gallery: Gallery | None = None
        self.last_saved: Path | None = None
        self._worker = None
        self._dataset_info = None
        self._speed_hint = False
        self._stats_time = 0.0

        self.tool = DrawingTool(self)
        self.hover = HoverReadout(lambda text: window.statusBar().showMessage(text, 3000))
        grid = window.views
        grid.view_created.connect(self._attach_tools)
        for name, view in list(grid.views.items()):
            self._attach_tools(name, view)
        self.recall = RecallTrace(grid, self._cue, self)
        window.run_starting.connect(self._run_starting)

        self.bar = LectureBar(window, self.tool)
        self.bar.analysis_requested.connect(self.run_analysis)
        transport = getattr(window, "transport", None)
        lay = transport.parentWidget().layout() if transport is not None else None
        if lay is not None:
            lay.insertWidget(lay.indexOf(transport) + 1, self.bar)

        self.presentation = Presentation(window)
        self.help = HelpOverlay(window, KEYS)
        self._build_toolbar()
        self._build_shortcuts()

        self._closer = _CloseWatcher(self)
        window.installEventFilter(self._closer)
        try:
            settings.restore_window(window)
        except Exception:   # a corrupt settings file must not stop the app
            pass

        self.timer = QTimer(self)
        self.timer.setInterval(100)
        self.timer.timeout.connect(self._watch_run)
        self.timer.start()

    # ------------------------------------------------------------------ wiring
    def _attach_tools(self, name, view):
        """Drawing tools on the lattice, hover read-outs on the image views."""
        if name == "lattice":
            self.tool.attach(view)
        self.hover.attach(view)

    def _cue(self) -> int:
        """The Hopfield pattern the recall traces follow (the lecture bar's, else the config's)."""
        if self.bar.kind == "hopfield":
            return self.bar.cue.value()
        return int((self.window.active_cfg or {}).get("model", {}).get("cue", 0))

    def _run_starting(self, cfg):
        """A preset's ``[view]`` hints apply before its run starts (the speed must be set before
        an autoplaying run takes its first steps)."""
        try:
            self._apply_view_hints(cfg or {})
        except Exception:     # a bad hint must not stop the run
            pass

    def _build_toolbar(self):
        w = self.window
        tb = QToolBar("lecture")
        tb.setObjectName("lectureToolbar")
        tb.setMovable(False)
        w.addToolBar(tb)
        self.toolbar = tb

        self.gallery_action = QAction("Gallery", w)
        self.gallery_action.setShortcut(QKeySequence("G"))
        self.gallery_action.setToolTip("all demos with thumbnails (G)")
        self.gallery_action.triggered.connect(self.show_gallery)
        tb.addAction(self.gallery_action)

        self.save_session_action = QAction("Save session…", w)
        self.save_session_action.setShortcut(QKeySequence("Ctrl+S"))
        self.save_session_action.triggered.connect(self.save_session_dialog)
        self.open_session_action = QAction("Open session…", w)
        self.open_session_action.setShortcut(QKeySequence("Ctrl+O"))
        self.open_session_action.triggered.connect(self.open_session_dialog)
        self.recent_menu = QMenu("Recent files", w)
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        session_menu = QMenu("Session", w)
        session_menu.addAction(self.save_session_action)
        session_menu.addAction(self.open_session_action)
        session_menu.addMenu(self.recent_menu)
        self.sweep_action = QAction("Sweep a grid of runs…", w)    # boltzmann_lab.app.sweep_dialog
        self.sweep_action.triggered.connect(self.show_sweep_dialog)
        session_menu.addSeparator()
        session_menu.addAction(self.sweep_action)
        if getattr(w, "quit_action", None) is not None:
            session_menu.addSeparator()
            session_menu.addAction(w.quit_action)
        self.session_menu = session_menu
        tb.addWidget(self._menu_button("Session", session_menu,
                                       "save the run mid-training and continue it later "
                                       "(Ctrl+S, Ctrl+O)"))

        self.export_menu = QMenu("Export", w)
        self.export_menu.aboutToShow.connect(self._fill_export)
        self.export_button = self._menu_button("Export", self.export_menu,
                                               "views as PNG at 2× for slides, clipboard, "
                                               "curves as CSV (Ctrl+E)")
        tb.addWidget(self.export_button)
        tb.addAction(self.presentation.focus_action)
        self.help_action = QAction("Help", w)
        self.help_action.setShortcuts([QKeySequence("F1"), QKeySequence("?")])
        self.help_action.setToolTip("keyboard shortcuts (F1 or ?)")
        self.help_action.triggered.connect(self.help.toggle)
        tb.addAction(self.help_action)
        for a in (self.save_session_action, self.open_session_action, self.gallery_action,
                  self.help_action):
            a.setShortcutContext(Qt.WindowShortcut)
            w.addAction(a)

    def _menu_button(self, text, menu, tip):
        b = QToolButton()
        b.setText(text)
        b.setMenu(menu)
        b.setPopupMode(QToolButton.InstantPopup)
        b.setToolTip(tip)
        return b

    def _build_shortcuts(self):
        w = self.window
        self.shortcuts = {}
        for key, slot in (("Ctrl+E", self.show_export_menu), ("Escape", self.escape),
                          ("[", lambda: self.tool.set_size(self.tool.size - 1)),
                          ("]", lambda: self.tool.set_size(self.tool.size + 1)),
                          ("Ctrl+Shift+C", self.copy_main_view)):
            sc = QShortcut(QKeySequence(key), w)
            sc.setContext(Qt.WindowShortcut)
            sc.activated.connect(slot)
            self.shortcuts[key] = sc

    # ------------------------------------------------------------------ run changes
    def _watch_run(self):
        w = self.window
        if w.worker is not self._worker or w.dataset_info is not self._dataset_info:
            self._worker = w.worker
            self._dataset_info = w.dataset_info
            cfg = w.active_cfg
            self.bar.set_run(cfg["model"]["kind"] if cfg else None, cfg)
        if self.bar.ising_stats.isVisible():
            now = time.monotonic()
            if now - self._stats_time > 0.5:
                self._stats_time = now
                self.bar.show_ising_stats(w.last_snapshot)

    def _apply_view_hints(self, cfg):
        """A preset's ``[view]`` table: ``speed`` = steps per frame (e.g. 0.1 to watch a
        Hopfield recall sweep by sweep); without it a speed set by a hint goes back to max."""
        from .panels.transport import SPEEDS
        speed = (cfg.get("view") or {}).get("speed")
        combo = self.window.transport.speed
        if speed is not None:
            values = [v for _, v in SPEEDS]
            best = min((i for i, v in enumerate(values) if v is not None),
                       key=lambda i: abs(values[i] - float(speed)))
            combo.setCurrentIndex(best)
            self._speed_hint = True
        elif self._speed_hint:
            combo.setCurrentIndex(len(SPEEDS) - 1)
            self._speed_hint = False

    def escape(self):
        if self.help.isVisible():
            self.help.close_overlay()
            return
        self.presentation.escape()

    # ------------------------------------------------------------------ gallery
    def show_gallery(self):
        if self.gallery is None:
            self.gallery = Gallery(self.window)
            self.gallery.chosen.connect(lambda name: self.window.load_preset(name, autoplay=True))
        self.gallery.show()
        self.gallery.raise_()

    # ------------------------------------------------------------------ sessions
    def save_session(self, path):
        """Save the active run to ``path``; returns the Future (status bar reports the end)."""
        fut = gui_session.save_session(self.window, path)
        self._report(fut, "saved session", "Could not save the session")
        return fut

    def open_session(self, path, autoplay=False):
        from boltzmann_lab.io.session import SessionError
        try:
            session = gui_session.open_session(self.window, path, autoplay=autoplay)
        except (SessionError, ValueError) as exc:
            self.window.errors.show(str(exc), "Could not open the session")
            return None
        settings.add_recent(path)
        self.window.statusBar().showMessage(f"opened session {path} (step {session.step:,})",
                                            5000)
        return session

    def _report(self, fut, ok_text, fail_title):
        def poll():
            if not fut.done():
                QTimer.singleShot(50, poll)
                return
            try:
                path = fut.result()
            except Exception as exc:
                self.window.errors.show(str(exc), fail_title)
                return
            self.last_saved = Path(path)
            settings.add_recent(path)
            self.window.statusBar().showMessage(f"{ok_text} {path}", 5000)
        QTimer.singleShot(50, poll)

    def save_session_dialog(self):
        if self.window.worker is None:
            return
        path, _ = QFileDialog.getSaveFileName(self.window, "Save the session", "session.npz",
                                              SESSION_FILTER)
        if path:
            self.save_session(path)

    def open_session_dialog(self):
        path, _ = QFileDialog.getOpenFileName(self.window, "Open a session", "", SESSION_FILTER)
        if path:
            self.open_session(path)

    def _fill_recent(self):
        self.recent_menu.clear()
        files = settings.recent_files()
        if not files:
            a = self.recent_menu.addAction("(none yet)")
            a.setEnabled(False)
        for f in files:
            a = self.recent_menu.addAction(Path(f).name)
            a.setToolTip(f)
            a.triggered.connect(lambda _=False, p=f: self.open_recent(p))

    def open_recent(self, path):
        if str(path).endswith(".toml"):
            self.window.open_config(path)
            settings.add_recent(path)
        else:
            self.open_session(path)

    # ------------------------------------------------------------------ export
    def visible_views(self):
        grid = self.window.views
        return [grid.views[n] for n in grid.visible_names() if n in grid.views]

    def _fill_export(self):
        m = self.export_menu
        m.clear()
        m.addAction("Whole window as PNG (2×)…").triggered.connect(
            lambda: self.export_png_dialog(self.window, "boltzmann-lab"))
        views = self.visible_views()
        if views:
            m.addSeparator()
        for v in views:
            label = export.view_label(v)
            m.addAction(f"{label} — PNG (2×)…").triggered.connect(
                lambda _=False, v=v, s=export.safe_stem(label): self.export_png_dialog(v, s))
            m.addAction(f"{label} — copy to clipboard").triggered.connect(
                lambda _=False, v=v: self.copy_view(v))
        m.addSeparator()
        a = m.addAction("Learning curves as CSV…")
        a.setEnabled(self.window.views.curves.has_data())
        a.triggered.connect(self.export_csv_dialog)

    def show_export_menu(self):
        self._fill_export()
        self.export_menu.popup(self.export_button.mapToGlobal(self.export_button.rect()
                                                              .bottomLeft()))

    def export_png_dialog(self, widget, stem):
        path, _ = QFileDialog.getSaveFileName(self.window, "Export as PNG (2×)", f"{stem}.png",
                                              "PNG image (*.png)")
        if path:
            try:
                out = export.save_png(widget, path)
            except OSError as exc:
                self.window.errors.show(str(exc), "Could not export")
                return
            self.window.statusBar().showMessage(f"exported {out}", 5000)

    def export_csv_dialog(self):
        path, _ = QFileDialog.getSaveFileName(self.window, "Export curves as CSV", "curves.csv",
                                              "CSV (*.csv)")
        if path:
            try:
                out = export.save_curves_csv(self.window.views.curves, path)
            except OSError as exc:
                self.window.errors.show(str(exc), "Could not export")
                return
            self.window.statusBar().showMessage(f"exported {out}", 5000)

    def copy_view(self, view):
        export.copy_to_clipboard(view)
        self.window.statusBar().showMessage(f"copied “{export.view_label(view)}” to the "
                                            f"clipboard", 4000)

    def copy_main_view(self):
        views = self.visible_views()
        if views:
            self.copy_view(views[0])

    # ------------------------------------------------------------------ analyses
    def show_sweep_dialog(self):
        """The Sweep dialog (one per window), its base the current run's config."""
        from .sweep_dialog import SweepDialog
        if self.sweep_dialog is None:
            self.sweep_dialog = SweepDialog(self.window)
        self.sweep_dialog.refresh()
        self.sweep_dialog.show()
        self.sweep_dialog.raise_()
        return self.sweep_dialog

    def run_analysis(self, name):
        w = self.window
        if name == "denoise":
            if w.worker is None:
                return None
            win = ResultWindow("Denoising with the RBM", w.worker.call(denoise_on_worker),
                               draw_denoise, w)
        elif name == "capacity":
            win = ResultWindow("Hopfield capacity sweep", in_thread(capacity_curves),
                               draw_capacity, w)
        elif name == "lambda":
            if w.worker is None or w.worker.dataset is None:
                return None
            win = ResultWindow("Λ sweep (L1)", in_thread(lambda_curves, w.active_cfg,
                                                        w.worker.dataset), draw_lambda, w)
        else:
            raise ValueError(f"unknown analysis {name!r}")
        self.result_windows = [r for r in self.result_windows if r.isVisible()] + [win]
        win.show()
        return win


class _CloseWatcher(QObject):
    """Remembers the window layout when the main window closes."""

    def __init__(self, lecture):
        super().__init__(lecture)
        self.lecture = lecture

    def eventFilter(self, obj, event):
        if event.type() == QEvent.Close:
            try:
                if not self.lecture.presentation.active:
                    settings.save_window(obj)
            except Exception:
                pass
            if self.lecture.sweep_dialog is not None:    # a running sweep stops with the app
                self.lecture.sweep_dialog.shutdown()
        return False


def install(window) -> Lecture:
    """Add the lecture features to ``window``; returns the controller (also ``window.lecture``)."""
    window.lecture = Lecture(window)
    from .reference_lines import install as install_reference_lines
    install_reference_lines(window)
    return window.lecture
