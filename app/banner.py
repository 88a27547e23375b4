"""The banner above the views: one message (an error, a note, a finished run) with a dismiss
button; :class:`boltzmann_lab.app.advice_banner.AdviceBanner` adds a remedy button to it."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton


class Banner(QFrame):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("errorBanner")
        lay = QHBoxLayout(self)
        lay.setContentsMargins(10, 6, 6, 6)
        self.label = QLabel("")
        self.label.setWordWrap(True)
        self.label.setTextFormat(Qt.RichText)
        lay.addWidget(self.label, 1)
        close = QPushButton("✕")
        close.setFixedWidth(32)
        close.setToolTip("dismiss")
        close.clicked.connect(self.hide)
        lay.addWidget(close)
        self.hide()

    def show_message(self, html: str, error: bool = True) -> None:
        self.setObjectName("errorBanner" if error else "infoBanner")
        self.label.setText(html)
        for w in (self, self.label):
            w.style().unpolish(w)
            w.style().polish(w)
        self.show()

    def text(self) -> str:
        return self.label.text() if self.isVisible() else ""
