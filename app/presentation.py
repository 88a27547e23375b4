"""Presentation mode for the lecture hall, and the "hide controls" focus mode.

Presentation (F11 or the toolbar's Presentation toggle): full screen, large fonts, thick lines and
the high-contrast light theme (``boltzmann_lab.app.theme`` in presentation size; projectors wash out dark themes
and thin lines).  It is designed for 1280 x 720, 1280 x 800 and 1024 x 768 projectors: fonts
follow the screen's height (:func:`boltzmann_lab.app.screen_fit.presentation_point_size`), the
settings column is put away (S brings it back), the two toolbars take a row each, and the views
are fewer and larger — the demo's main view and the curves side by side; the other views take
the main place with Tab (Shift+Tab back) or their number key (1-9), as the hint above the views
says.  Turning it off restores the window's previous geometry (fitted to the screen) and state,
the normal fonts and every view.

Focus (H or the toolbar's Focus toggle): hides the settings column, the toolbars and the status bar
so that only the live views and the transport (play/pause/step/reset) stay; turning it off shows
exactly what was visible before.  Esc leaves focus mode first, then presentation mode.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence, QShortcut
from PySide6.QtWidgets import QComboBox, QLabel, QToolBar

from . import screen_fit

#: fewest characters of the preset box in presentation mode; it takes what its toolbar row leaves,
#: so that a preset title is rarely shortened (then with "…", in full in its tooltip and list)
PRESET_CHARS = 22


class Presentation(QObject):
    """Drives the main window's presentation and focus modes (one per window)."""

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self._saved_geometry = None
        self._saved_size = None
        self._saved_state = None
        self._saved_sizes = None
        self._saved_frame = None
        self._refit_until = 0.0
        self._refitting = False
        self._hidden: list = []
        self.focus_action = QAction("Focus", window)
        self.focus_action.setCheckable(True)
        self.focus_action.setShortcut(QKeySequence("H"))
        self.focus_action.setShortcutContext(Qt.WindowShortcut)
        self.focus_action.setToolTip("hide the controls: only the views and the transport (H)")
        self.focus_action.toggled.connect(self.set_focus)
        window.addAction(self.focus_action)
        self._panel_was_visible = None
        self.settings_action = QAction("Settings", window)
        self.settings_action.setShortcut(QKeySequence("S"))
        self.settings_action.setShortcutContext(Qt.WindowShortcut)
        self.settings_action.setToolTip("show / hide the settings column (S)")
        self.settings_action.triggered.connect(self.toggle_settings)
        window.addAction(self.settings_action)
        # compact views: Tab / Shift+Tab / 1-9 pick the main view (presentation mode only)
        self.page_keys = []
        for key, slot in [("Tab", lambda: self._page(1)), ("Backtab", lambda: self._page(-1))] + \
                [(str(i), (lambda i=i: self._goto(i - 1))) for i in range(1, 10)]:
            sc = QShortcut(QKeySequence(key), window)
            sc.setContext(Qt.WindowShortcut)
            sc.setEnabled(False)
            sc.activated.connect(slot)
            self.page_keys.append(sc)
        window.installEventFilter(self)      # toolbars take two rows when one is too narrow
        if hasattr(window, "run_starting"):
            window.run_starting.connect(self._run_starting)
        action = getattr(window, "presentation_action", None)
        if action is not None:
            # the window's own slot switches fonts/theme; this one adds the full screen
            action.toggled.connect(self._presentation_toggled)

    def _run_starting(self, cfg) -> None:
        """A preset's ``[view] main_view`` (a view name: lattice, samples, moments, weights,
        em, contacts, ...) is the view its run shows first in presentation mode."""
        views = getattr(self.window, "views", None)
        if views is not None:
            main = ((cfg or {}).get("view") or {}).get("main_view")
            views.main_view = str(main) if main else None

    # ------------------------------------------------------------------ toolbars
    def eventFilter(self, obj, event):             # noqa: N802 (Qt name)
        if obj is self.window and event.type() in (QEvent.Resize, QEvent.Show):
            self.wrap_toolbars()
        if obj is self.window and event.type() in (QEvent.Move, QEvent.Resize) and \
                time.monotonic() < self._refit_until:
            self._refit()
        return False

    def _refit(self):
        """Just after full screen the window system moves and frames the window in several
        steps: keep it within the screen until it has settled."""
        w = self.window
        if self._refitting or w.isFullScreen() or w.isMaximized():
            return
        if screen_fit.available_geometry(w).contains(w.frameGeometry()):
            return
        self._refitting = True
        try:
            screen_fit.fit_window(w, frame=self._saved_frame)
        finally:
            self._refitting = False

    def wrap_toolbars(self) -> None:
        """One row of toolbars when they fit the window's width, else a row each (nothing goes
        behind a toolbar's overflow button: Session, Export, Focus and Help stay in reach)."""
        w = self.window
        bars = [b for b in w.findChildren(QToolBar) if b.parent() is w and not b.isHidden()]
        if len(bars) < 2:
            return
        need = sum(b.sizeHint().width() for b in bars) + 8
        wrap = self.active or need > w.width()
        if wrap != w.toolBarBreak(bars[1]):
            if wrap:
                w.insertToolBarBreak(bars[1])
            else:
                w.removeToolBarBreak(bars[1])

    def _combo_room(self, bar, combo, title) -> int:
        """Width (px) the preset box may take in its toolbar row on this screen: what the row's
        other entries (in presentation fonts, measured) leave."""
        others = 0
        shown = 0
        for a in bar.actions():
            wd = bar.widgetForAction(a)
            if wd is None or wd is combo or wd is title or not a.isVisible():
                continue
            others += wd.sizeHint().width()
            shown += 1
        spacing = bar.layout().spacing() if bar.layout() is not None else 6
        m = bar.contentsMargins()
        width = screen_fit.screen_of(self.window).geometry().width()
        return int(width - others - spacing * (shown + 1) - m.left() - m.right() - 40)

    # ------------------------------------------------------------------ presentation
    @property
    def active(self) -> bool:
        return bool(getattr(self.window, "presentation", False))

    def set_presentation(self, on: bool) -> None:
        """Enter or leave presentation mode (same as toggling the toolbar action)."""
        action = getattr(self.window, "presentation_action", None)
        if action is not None and action.isChecked() != bool(on):
            action.setChecked(bool(on))          # emits toggled -> window + _presentation_toggled
        elif action is None:
            self.window.set_presentation(bool(on))
            self._presentation_toggled(bool(on))

    def _presentation_toggled(self, on: bool) -> None:
        w = self.window
        splitter = getattr(w, "splitter", None)
        if on:
            if not w.isFullScreen():
                self._saved_frame = screen_fit.frame_margins(w)
                self._saved_geometry = w.saveGeometry()
                self._saved_size = w.size()
                self._saved_state = w.windowState() & ~Qt.WindowFullScreen
            if splitter is not None and self._saved_sizes is None:
                self._saved_sizes = splitter.sizes()
            self._compact(True)
            w.showFullScreen()
        else:
            self._compact(False)
            if splitter is not None and self._saved_sizes is not None:
                splitter.setSizes(self._saved_sizes)
            self._saved_sizes = None
            if w.isFullScreen() or self._saved_state is not None:
                w.setWindowState(self._saved_state if self._saved_state is not None
                                 else Qt.WindowNoState)
                if self._saved_geometry is not None:
                    w.restoreGeometry(self._saved_geometry)
                    if not self._saved_state & Qt.WindowMaximized:
                        # restoreGeometry shrinks a window to fit a (virtual) screen smaller than
                        # it was; the user's own window size comes back as it was
                        w.resize(self._saved_size)
                w.show()
            # ...but never larger than the screen it is on now (a projector); again once the
            # window system has carried out the change of state
            size = None if self._saved_geometry is not None else screen_fit.PREFERRED_SIZE
            frame = self._saved_frame
            screen_fit.fit_window(w, size, centre=size is not None, frame=frame)
            self._refit_until = time.monotonic() + 3.0
            for ms in (0, 150, 500, 1500):
                QTimer.singleShot(ms, w, self._refit)
            self._saved_geometry = self._saved_state = None

    def _compact(self, on: bool) -> None:
        """Fewer, larger views and controls that fit a projector (see the module docstring)."""
        w = self.window
        panel = getattr(w, "panel", None)
        if on:
            if panel is not None and self._panel_was_visible is None:
                self._panel_was_visible = not panel.isHidden()
                panel.hide()
        elif self._panel_was_visible is not None:
            if panel is not None:
                panel.setVisible(self._panel_was_visible)
            self._panel_was_visible = None
        bars = [b for b in w.findChildren(QToolBar) if b.parent() is w]
        title = w.findChild(QLabel, "appTitle")
        if title is not None and len(bars):
            # a widget in a toolbar is shown and hidden through its action
            for a in bars[0].actions():
                if bars[0].widgetForAction(a) is title:
                    a.setVisible(not on)
        combo = getattr(w, "preset_combo", None)
        if isinstance(combo, QComboBox):
            if on:
                combo.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
                from PySide6.QtGui import QFont, QFontMetrics
                from . import theme
                font = QFont(combo.font())
                font.setPointSize(theme.presentation_size())
                fm = QFontMetrics(font)
                room = self._combo_room(bars[0], combo, title) if bars else 400
                need = max((fm.horizontalAdvance(combo.itemText(i))
                            for i in range(combo.count())), default=0) + 40
                chars = min(room, need) // max(fm.averageCharWidth(), 1)
                combo.setMinimumContentsLength(int(max(PRESET_CHARS, chars)))
                combo.setMaximumWidth(max(room, 200))
            else:
                combo.setSizeAdjustPolicy(QComboBox.AdjustToContentsOnFirstShow)
                combo.setMinimumContentsLength(0)
                combo.setMaximumWidth(16777215)
                combo.setMinimumWidth(260)
        views = getattr(w, "views", None)
        if views is not None and hasattr(views, "set_compact"):
            views.set_compact(on)
        for sc in self.page_keys:
            sc.setEnabled(on)
        self.wrap_toolbars()

    def _page(self, delta: int) -> None:
        views = getattr(self.window, "views", None)
        if views is not None and getattr(views, "compact", False):
            views.next_page(delta)

    def _goto(self, index: int) -> None:
        views = getattr(self.window, "views", None)
        if views is not None and getattr(views, "compact", False) and index < len(views.pages()):
            views.show_page(index)

    def toggle_settings(self) -> None:
        """S: show or hide the settings column (put away in presentation mode)."""
        panel = getattr(self.window, "panel", None)
        if panel is None:
            return
        if self.focus_action.isChecked():
            self.set_focus(False)
        panel.setVisible(panel.isHidden())
        if self._panel_was_visible is not None and not panel.isHidden():
            splitter = getattr(self.window, "splitter", None)
            if splitter is not None:
                total = max(sum(splitter.sizes()), 1)
                left = min(max(panel.minimumSizeHint().width(), 340), total // 2)
                splitter.setSizes([left, total - left])

    # ------------------------------------------------------------------ focus
    def _controls(self) -> list:
        w = self.window
        out = []
        panel = getattr(w, "panel", None)
        if panel is not None:
            out.append(panel)
        out += list(w.findChildren(QToolBar))
        out.append(w.statusBar())
        return out

    @property
    def focused(self) -> bool:
        return bool(self._hidden) or self.focus_action.isChecked()

    def set_focus(self, on: bool) -> None:
        """Hide (or show again) everything but the views and the transport."""
        if self.focus_action.isChecked() != bool(on):
            self.focus_action.setChecked(bool(on))   # re-enters through toggled
            return
        if on and not self._hidden:
            self._hidden = [c for c in self._controls() if c.isVisible()]
            for c in self._hidden:
                c.hide()
        elif not on and self._hidden:
            for c in self._hidden:
                c.show()
            self._hidden = []

    def escape(self) -> bool:
        """Esc: leave focus mode, else presentation mode; return whether anything changed."""
        if self.focus_action.isChecked():
            self.set_focus(False)
            return True
        if self.active:
            self.set_presentation(False)
            return True
        return False
