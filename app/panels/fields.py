"""One editor widget per config :class:`~boltzmann_lab.config.Key`, generated from the schema.

choices -> combo box; bool -> check box; int -> spin box; number -> a spin box that shows and
accepts any float (``1e-4`` as well as ``0.05``); list with ``item_choices`` -> a row of check
boxes; other lists -> a line edit with validation (red when it does not parse); ``path``/``mask``
-> a line edit with a file chooser; optional numbers -> a check box that switches the value
between ``None`` and a number.  Every field has ``value()``, ``set_value(v)`` and a ``changed``
signal; tooltips come from ``Key.doc``.
"""

from __future__ import annotations

import math

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDoubleSpinBox, QFileDialog, QHBoxLayout,
                               QLineEdit, QPushButton, QSpinBox, QWidget)

INT_MAX = 2_147_483_647
FILE_KEYS = {"path", "mask", "contacts"}
NONE_TEXT = "—"


class Field(QWidget):
    changed = Signal(object)

    def __init__(self, key, parent=None):
        super().__init__(parent)
        self.key = key
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(4)
        self.layout_ = lay
        if key.doc:
            self.setToolTip(key.doc)

    def value(self):
        raise NotImplementedError

    def set_value(self, value):
        raise NotImplementedError

    def _emit(self, *_):
        self.changed.emit(self.value())


class ChoiceField(Field):
    def __init__(self, key, parent=None):
        super().__init__(key, parent)
        self.combo = QComboBox()
        self.items = ([None] if key.optional else []) + list(key.choices)
        for c in self.items:
            self.combo.addItem(NONE_TEXT if c is None else str(c))
        self.layout_.addWidget(self.combo, 1)
        self.combo.currentIndexChanged.connect(self._emit)

    def value(self):
        return self.items[self.combo.currentIndex()]

    def set_value(self, value):
        if value in self.items:
            self.combo.setCurrentIndex(self.items.index(value))


class BoolField(Field):
    def __init__(self, key, parent=None):
        super().__init__(key, parent)
        self.box = QCheckBox()
        self.layout_.addWidget(self.box)
        self.layout_.addStretch(1)
        self.box.toggled.connect(self._emit)

    def value(self):
        return self.box.isChecked()

    def set_value(self, value):
        self.box.setChecked(bool(value))


class SciSpinBox(QDoubleSpinBox):
    """A float spin box that shows values in %g form and steps by about 10 % in log scale for
    positive-only keys (learning rates, penalties)."""

    def __init__(self, log_steps=False, parent=None):
        super().__init__(parent)
        self.setDecimals(12)
        self.log_steps = log_steps
        self.setKeyboardTracking(False)

    def textFromValue(self, value):
        return f"{value:.6g}"

    def valueFromText(self, text):
        try:
            return float(text)
        except ValueError:
            return self.value()

    def validate(self, text, pos):
        from PySide6.QtGui import QValidator
        t = text.strip()
        if t in ("", "-", "+", ".", "-.", "e", "1e", "1e-"):
            return QValidator.Intermediate, text, pos
        try:
            float(t)
            return QValidator.Acceptable, text, pos
        except ValueError:
            if t[-1:] in "eE-+" or t.lower().endswith(("e-", "e+")):
                return QValidator.Intermediate, text, pos
            return QValidator.Invalid, text, pos

    def stepBy(self, steps):
        v = self.value()
        if self.log_steps and v > 0:
            self.setValue(v * (10 ** (0.1 * steps)))
        elif self.log_steps and v == 0 and steps > 0:
            self.setValue(1e-4)
        else:
            super().stepBy(steps)


class NumberField(Field):
    def __init__(self, key, integer: bool, parent=None):
        super().__init__(key, parent)
        self.integer = integer
        self.opt = None
        if key.optional:
            self.opt = QCheckBox()
            self.opt.setToolTip("set a value (unchecked: not set)")
            self.layout_.addWidget(self.opt)
        if integer:
            self.spin = QSpinBox()
            lo = int(key.low) if key.low is not None else -INT_MAX
            hi = int(key.high) if key.high is not None else INT_MAX
            self.spin.setRange(lo, hi)
            self.spin.setKeyboardTracking(False)
        else:
            log = key.low is not None and key.low >= 0 and (key.high is None or key.high > 1)
            self.spin = SciSpinBox(log_steps=log)
            self.spin.setRange(-1e12 if key.low is None else float(key.low),
                               1e12 if key.high is None else float(key.high))
            d = key.default if isinstance(key.default, (int, float)) else 1.0
            step = 10 ** math.floor(math.log10(abs(d))) if d else 0.1
            self.spin.setSingleStep(step)
        self.layout_.addWidget(self.spin, 1)
        self.spin.valueChanged.connect(self._emit)
        if self.opt is not None:
            self.opt.toggled.connect(self._opt_toggled)

    def _opt_toggled(self, on):
        self.spin.setEnabled(on)
        self._emit()

    def value(self):
        if self.opt is not None and not self.opt.isChecked():
            return None
        v = self.spin.value()
        return int(v) if self.integer else float(v)

    def set_value(self, value):
        self.blockSignals(True)
        try:
            if self.opt is not None:
                self.opt.setChecked(value is not None)
                self.spin.setEnabled(value is not None)
            if value is not None:
                self.spin.setValue(value)
        finally:
            self.blockSignals(False)


class CheckListField(Field):
    """A list whose items come from ``item_choices`` (e.g. MaxEnt constraints)."""

    def __init__(self, key, parent=None):
        super().__init__(key, parent)
        self.boxes = {}
        for item in key.item_choices:
            b = QCheckBox(str(item))
            b.toggled.connect(self._emit)
            self.boxes[item] = b
            self.layout_.addWidget(b)
        self.layout_.addStretch(1)

    def value(self):
        return [k for k, b in self.boxes.items() if b.isChecked()]

    def set_value(self, value):
        value = value or []
        for k, b in self.boxes.items():
            b.setChecked(k in value)


def parse_list(text: str):
    """``"0.8, 0.4"`` -> [0.8, 0.4]; ``"a, b"`` -> ["a", "b"]; empty -> None.  Brackets are
    optional.  Raises ValueError for an unbalanced or empty item."""
    t = text.strip()
    if t.startswith("[") and t.endswith("]"):
        t = t[1:-1].strip()
    if not t:
        return None
    out = []
    for part in t.split(","):
        p = part.strip().strip("'\"")
        if not p:
            raise ValueError("empty item")
        try:
            v = int(p)
        except ValueError:
            try:
                v = float(p)
            except ValueError:
                if any(c in p for c in "[]{}="):
                    raise ValueError(f"cannot read {p!r}") from None
                v = p
        out.append(v)
    return out


def format_list(value) -> str:
    if value is None:
        return ""
    return ", ".join(f"{v:g}" if isinstance(v, float) else str(v) for v in value)


class ListField(Field):
    def __init__(self, key, parent=None):
        super().__init__(key, parent)
        self.edit = QLineEdit()
        self.edit.setPlaceholderText("comma-separated, e.g. 1.75, 2.25, 2.75"
                                     if not key.optional else "not set")
        self.layout_.addWidget(self.edit, 1)
        self._value = key.default
        self.edit.editingFinished.connect(self._parse)

    def valid(self) -> bool:
        return self.edit.property("invalid") != "true"

    def _mark(self, bad: bool, why: str = ""):
        self.edit.setProperty("invalid", "true" if bad else "false")
        self.edit.setToolTip(why or self.key.doc)
        self.edit.style().unpolish(self.edit)
        self.edit.style().polish(self.edit)

    def _parse(self):
        try:
            v = parse_list(self.edit.text())
            if v is None and not self.key.optional:
                raise ValueError("a value is required")
        except ValueError as exc:
            self._mark(True, f"not a valid list: {exc}")
            return
        self._mark(False)
        if v != self._value:
            self._value = v
            self._emit()

    def value(self):
        return self._value

    def set_value(self, value):
        self._value = value
        self.edit.setText(format_list(value))
        self._mark(False)


class TextField(Field):
    chosen = Signal(str)       # a file picked with the chooser (not typed)

    def __init__(self, key, parent=None, file_chooser=False):
        super().__init__(key, parent)
        self.edit = QLineEdit()
        if key.optional:
            self.edit.setPlaceholderText("not set")
        self.layout_.addWidget(self.edit, 1)
        self.edit.editingFinished.connect(self._finished)
        self._value = key.default
        self.button = None
        if file_chooser:
            self.button = QPushButton("…")
            self.button.setToolTip("choose a file")
            self.button.setFixedWidth(34)
            self.button.clicked.connect(self.choose)
            self.layout_.addWidget(self.button)

    def choose(self):
        path, _ = QFileDialog.getOpenFileName(
            self, "Choose a file", "",
            "Data (*.npy *.npz *.csv *.txt *.dat *.idx *ubyte *.gz);;All files (*)")
        if path:
            self.set_value(path)
            self._emit()
            self.chosen.emit(path)

    def _finished(self):
        t = self.edit.text().strip()
        v = t if t else (None if self.key.optional else "")
        if v != self._value:
            self._value = v
            self._emit()

    def value(self):
        return self._value

    def set_value(self, value):
        self._value = value
        self.edit.setText("" if value is None else str(value))


def make_field(name: str, key) -> Field:
    """The editor for config key ``name``."""
    types = key.type if isinstance(key.type, tuple) else (key.type,)
    if key.choices is not None:
        return ChoiceField(key)
    if bool in types:
        return BoolField(key)
    if list in types:
        return CheckListField(key) if key.item_choices else ListField(key)
    if name in FILE_KEYS:
        return TextField(key, file_chooser=True)
    if types == (int,):
        return NumberField(key, integer=True)
    if float in types or int in types:
        return NumberField(key, integer=False)
    return TextField(key)
