"""A combo box that shortens its current text with "…" when the box is narrower than the text.

A QComboBox draws its current text clipped at the edge of its field: in presentation mode on a
1024 x 768 projector the preset box showed "The review's Ising data set with an RBM (NB18):
fantasies vs d".  :class:`ElidedComboBox` elides by drawn width (``QFontMetrics.elidedText``),
puts the full text in its tooltip while it is shortened, and opens its list wide enough for the
longest entry (within the screen), so every title can still be read in full.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import QComboBox, QStyle, QStyleOptionComboBox, QStylePainter

#: px kept free at the end of the text field (the style's own inset of the label)
TEXT_INSET = 4


class ElidedComboBox(QComboBox):
    """QComboBox whose current text is elided to its field; ``base_tip`` is the tooltip shown
    after the full text (and alone when nothing is cut)."""

    def __init__(self, parent=None, base_tip: str = ""):
        super().__init__(parent)
        self._base_tip = base_tip
        super().setToolTip(base_tip)
        self.currentIndexChanged.connect(self._update_tip)

    # ------------------------------------------------------------------ what is drawn
    def full_text(self) -> str:
        """The text of the current entry, or the placeholder when there is none."""
        return self.currentText() if self.currentIndex() >= 0 else self.placeholderText()

    def text_width(self) -> int:
        """Width (px) the style gives the current text."""
        opt = QStyleOptionComboBox()
        self.initStyleOption(opt)
        field = self.style().subControlRect(QStyle.CC_ComboBox, opt, QStyle.SC_ComboBoxEditField,
                                            self)
        icon = opt.iconSize.width() + 4 if not opt.currentIcon.isNull() else 0
        return max(field.width() - icon - TEXT_INSET, 10)

    def shown_text(self) -> str:
        """The current text as drawn: elided with "…" when it does not fit."""
        return self.fontMetrics().elidedText(self.full_text(), Qt.ElideRight, self.text_width())

    def is_elided(self) -> bool:
        return self.shown_text() != self.full_text()

    def paintEvent(self, event):              # noqa: N802 (Qt name) - QComboBox's, elided
        painter = QStylePainter(self)
        painter.setPen(self.palette().color(self.foregroundRole()))
        opt = QStyleOptionComboBox()
        self.initStyleOption(opt)
        painter.drawComplexControl(QStyle.CC_ComboBox, opt)
        if self.currentIndex() < 0 and self.placeholderText():
            opt.palette.setBrush(opt.palette.ColorRole.ButtonText,
                                 opt.palette.placeholderText())
        opt.currentText = self.shown_text()
        painter.drawControl(QStyle.CE_ComboBoxLabel, opt)

    # ------------------------------------------------------------------ the full text
    def setToolTip(self, tip: str) -> None:    # noqa: N802 (Qt name)
        self._base_tip = str(tip)
        self._update_tip()

    def _update_tip(self, *_):
        tip = self._base_tip
        if self.is_elided():
            tip = self.full_text() + (f"\n{tip}" if tip else "")
        if tip != super().toolTip():
            super().setToolTip(tip)

    def resizeEvent(self, event):             # noqa: N802
        super().resizeEvent(event)
        self._update_tip()

    def changeEvent(self, event):             # noqa: N802 (a new font changes the widths)
        super().changeEvent(event)
        if event.type() in (QEvent.FontChange, QEvent.StyleChange):
            self._update_tip()

    def showPopup(self):                      # noqa: N802
        """The list as wide as its longest entry (within the screen), never cut."""
        view = self.view()
        scroll = view.verticalScrollBar().sizeHint().width()
        need = view.sizeHintForColumn(0) + 2 * view.frameWidth() + scroll + 8
        screen = self.screen()
        if screen is not None:
            need = min(need, screen.availableGeometry().width())
        view.setMinimumWidth(max(need, self.width()) if need > self.width() else 0)
        super().showPopup()
