"""Presentation mode for the lecture hall, and the "hide controls" focus mode.

Presentation (F11 or the toolbar's Presentation toggle): full screen, large fonts, thick lines and
the high-contrast light theme (``boltzmann_lab.app.theme`` in presentation size; projectors wash out dark themes
and thin lines).  Turning it off restores the window's previous geometry and state and the normal
fonts.

Focus (H or the toolbar's Focus toggle): hides the settings column, the toolbars and the status bar
so that only the live views and the transport (play/pause/step/reset) stay; turning it off shows
exactly what was visible before.  Esc leaves focus mode first, then presentation mode.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QToolBar


class Presentation(QObject):
    """Drives the main window's presentation and focus modes (one per window)."""

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self._saved_geometry = None
        self._saved_size = None
        self._saved_state = None
        self._saved_sizes = None
        self._hidden: list = []
        self.focus_action = QAction("Focus", window)
        self.focus_action.setCheckable(True)
        self.focus_action.setShortcut(QKeySequence("H"))
        self.focus_action.setShortcutContext(Qt.WindowShortcut)
        self.focus_action.setToolTip("hide the controls: only the views and the transport (H)")
        self.focus_action.toggled.connect(self.set_focus)
        window.addAction(self.focus_action)
        action = getattr(window, "presentation_action", None)
        if action is not None:
            # the window's own slot switches fonts/theme; this one adds the full screen
            action.toggled.connect(self._presentation_toggled)

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
                self._saved_geometry = w.saveGeometry()
                self._saved_size = w.size()
                self._saved_state = w.windowState() & ~Qt.WindowFullScreen
            w.showFullScreen()
            if splitter is not None and self._saved_sizes is None:
                # the settings column needs room for 1.5x larger text
                self._saved_sizes = splitter.sizes()
                left, total = self._saved_sizes[0], sum(self._saved_sizes)
                if left > 0:
                    wide = max(left, min(int(left * 1.5), total // 4))
                    splitter.setSizes([wide, total - wide])
        else:
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
            self._saved_geometry = self._saved_state = None

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
