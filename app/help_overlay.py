"""The keyboard help overlay (F1 or ?): a translucent card over the window listing every shortcut.

The table is :data:`boltzmann_lab.app.shortcuts.KEYS`, so the overlay cannot drift from the real bindings.
Any key or click closes it.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QFrame, QGridLayout, QLabel, QVBoxLayout, QWidget


class HelpOverlay(QWidget):
    """Covers its parent; shows the shortcut table on a white card."""

    def __init__(self, parent: QWidget, keys: list[tuple[str, str]]):
        super().__init__(parent)
        self.setObjectName("helpOverlay")
        self.setAttribute(Qt.WA_StyledBackground, True)
        self.setStyleSheet("#helpOverlay { background: rgba(31, 41, 51, 150); }"
                           "#helpCard { background: #ffffff; border-radius: 10px; "
                           "border: 1px solid #d9e2ec; }"
                           "#helpCard QLabel { background: transparent; }")
        outer = QVBoxLayout(self)
        outer.setAlignment(Qt.AlignCenter)
        card = QFrame()
        card.setObjectName("helpCard")
        outer.addWidget(card, 0, Qt.AlignCenter)
        grid = QGridLayout(card)
        grid.setContentsMargins(28, 20, 28, 20)
        grid.setHorizontalSpacing(28)
        grid.setVerticalSpacing(6)
        title = QLabel("Keyboard shortcuts")
        f = title.font()
        f.setPointSizeF(f.pointSizeF() * 1.5)
        f.setBold(True)
        title.setFont(f)
        grid.addWidget(title, 0, 0, 1, 2)
        self.rows: list[tuple[str, str]] = list(keys)
        for i, (key, what) in enumerate(self.rows, start=1):
            k = QLabel(f"<b>{key}</b>")
            k.setTextFormat(Qt.RichText)
            k.setAlignment(Qt.AlignRight | Qt.AlignVCenter)
            grid.addWidget(k, i, 0)
            grid.addWidget(QLabel(what), i, 1)
        hint = QLabel("press any key or click to close")
        hint.setStyleSheet("color: #52606d;")
        grid.addWidget(hint, len(self.rows) + 1, 0, 1, 2, Qt.AlignCenter)
        self._tracker = _ResizeTracker(self)
        parent.installEventFilter(self._tracker)
        self.setFocusPolicy(Qt.StrongFocus)
        self.hide()

    def toggle(self) -> None:
        self.close_overlay() if self.isVisible() else self.open_overlay()

    def open_overlay(self) -> None:
        self.setGeometry(self.parentWidget().rect())
        self.show()
        self.raise_()
        self.setFocus()

    def close_overlay(self) -> None:
        self.hide()

    def keyPressEvent(self, event):
        self.close_overlay()
        event.accept()

    def mousePressEvent(self, event):
        self.close_overlay()
        event.accept()


class _ResizeTracker(QObject):
    def __init__(self, overlay):
        super().__init__(overlay)
        self.overlay = overlay

    def eventFilter(self, obj, event):
        if event.type() == QEvent.Resize and self.overlay.isVisible():
            self.overlay.setGeometry(obj.rect())
        return False
