"""A layout that puts its widgets in a row and wraps them onto further rows when the row is full
(Qt's "flow layout" example).  The lecture bar uses it: with presentation fonts its controls are
wider than the views' column, and a plain row would force the settings column narrow or the
window wider than the projector."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QRect, QSize, Qt
from PySide6.QtWidgets import QLayout


class FlowLayout(QLayout):
    """Left-aligned rows; items in a row are centred vertically; hidden widgets take no room."""

    def __init__(self, parent=None, spacing: int = 6):
        super().__init__(parent)
        self._items: list = []
        self.setSpacing(spacing)

    # ---------------------------------------------------------------- QLayout interface
    def addItem(self, item):                     # noqa: N802 (Qt names)
        self._items.append(item)

    def count(self):
        return len(self._items)

    def itemAt(self, index):                     # noqa: N802
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index):                     # noqa: N802
        return self._items.pop(index) if 0 <= index < len(self._items) else None

    def expandingDirections(self):               # noqa: N802
        return Qt.Orientation(0)

    def hasHeightForWidth(self):                 # noqa: N802
        return True

    def heightForWidth(self, width):             # noqa: N802
        return self._arrange(QRect(0, 0, width, 0), place=False)

    def setGeometry(self, rect):                 # noqa: N802
        super().setGeometry(rect)
        self._arrange(rect, place=True)

    def sizeHint(self):                          # noqa: N802: everything in one row
        items = [i for i in self._items if not i.isEmpty()]
        w = sum(i.sizeHint().width() for i in items) + self.spacing() * max(len(items) - 1, 0)
        h = max((i.sizeHint().height() for i in items), default=0)
        return QSize(w, h) + self._margins()

    def minimumSize(self):                       # noqa: N802: the widest single item
        size = QSize()
        for i in self._items:
            if not i.isEmpty():
                size = size.expandedTo(i.minimumSize())
        return size + self._margins()

    # ---------------------------------------------------------------- placement
    def _margins(self) -> QSize:
        m = self.contentsMargins()
        return QSize(m.left() + m.right(), m.top() + m.bottom())

    def _arrange(self, rect: QRect, place: bool) -> int:
        """Place the items in ``rect`` (if ``place``); return the height used."""
        m = self.contentsMargins()
        area = rect.adjusted(m.left(), m.top(), -m.right(), -m.bottom())
        gap = self.spacing()
        rows, row, x = [], [], 0
        for item in self._items:
            if item.isEmpty():
                continue
            w = item.sizeHint().width()
            if row and x + w > area.width():
                rows.append(row)
                row, x = [], 0
            row.append(item)
            x += w + gap
        if row:
            rows.append(row)
        y = area.y()
        for row in rows:
            height = max(i.sizeHint().height() for i in row)
            x = area.x()
            for item in row:
                hint = item.sizeHint()
                if place:
                    item.setGeometry(QRect(QPoint(x, y + (height - hint.height()) // 2), hint))
                x += hint.width() + gap
            y += height + gap
        used = y - gap - area.y() if rows else 0
        return used + m.top() + m.bottom()
