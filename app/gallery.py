"""The preset gallery: every shipped demo as a thumbnail of its screenshot, one click to start it
(as TensorFlow Playground shows its data sets).

Thumbnails are ``resources/screenshots/NAME.png`` (made with ``boltzmann-lab --preset NAME
--autoplay --screenshot ... --quit-after ...``); a preset without one shows its title only.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QLabel, QListWidget, QListWidgetItem,
                               QVBoxLayout)

THUMB = QSize(320, 180)


def screenshot_path(name: str):
    from boltzmann_lab.resources import resource_path
    return resource_path("screenshots", f"{name}.png")


def presets() -> list[tuple[str, str, str]]:
    try:
        from boltzmann_lab.presets import list_presets
        return list_presets()
    except Exception:
        return []


class Gallery(QDialog):
    """A dialog listing the presets with thumbnails; ``chosen(name)`` when one is opened."""

    chosen = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Demo gallery")
        lay = QVBoxLayout(self)
        head = QLabel("Choose a demo — double-click (or Enter) starts it")
        head.setObjectName("hint")
        lay.addWidget(head)
        self.list = QListWidget()
        self.list.setViewMode(QListWidget.IconMode)
        self.list.setIconSize(THUMB)
        self.list.setGridSize(QSize(THUMB.width() + 24, THUMB.height() + 56))
        self.list.setResizeMode(QListWidget.Adjust)
        self.list.setMovement(QListWidget.Static)
        self.list.setWordWrap(True)
        self.list.setSpacing(6)
        self.thumbnails = 0
        for name, title, desc in presets():
            item = QListWidgetItem(title)
            item.setData(Qt.UserRole, name)
            item.setToolTip(desc)
            path = screenshot_path(name)
            if path.is_file():
                pix = QPixmap(str(path))
                if not pix.isNull():
                    item.setIcon(QIcon(pix.scaled(THUMB, Qt.KeepAspectRatio,
                                                  Qt.SmoothTransformation)))
                    self.thumbnails += 1
            self.list.addItem(item)
        self.list.itemActivated.connect(self._activated)
        lay.addWidget(self.list, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.Open | QDialogButtonBox.Close)
        buttons.accepted.connect(lambda: self._activated(self.list.currentItem()))
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)
        self.resize(4 * (THUMB.width() + 30) + 40, 2 * (THUMB.height() + 62) + 120)

    def names(self) -> list[str]:
        return [self.list.item(i).data(Qt.UserRole) for i in range(self.list.count())]

    def _activated(self, item):
        if item is None:
            return
        self.chosen.emit(item.data(Qt.UserRole))
        self.accept()
