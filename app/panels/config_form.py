"""A form for one config section, generated from the schema (``boltzmann_lab.config.sections_schema``).

``set_schema(keys, values)`` (re)builds the rows; the rows of keys that depend on a choice
(generator, kind) are rebuilt when that choice changes, keeping the values of the keys that
remain.  Every edit emits ``changed(section, key, value)``.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFormLayout, QLabel, QWidget

from .fields import make_field


def pretty(name: str) -> str:
    return {"L": "lattice side L", "l1": "L1 penalty Λ₁", "l2": "L2 penalty Λ₂",
            "k": "Gibbs steps k"}.get(name, name.replace("_", " "))


class ConfigForm(QWidget):
    changed = Signal(str, str, object)

    def __init__(self, section: str, hidden: tuple = (), parent=None):
        super().__init__(parent)
        self.section = section
        self.hidden = set(hidden)        # keys edited elsewhere (e.g. by a custom widget)
        self.form = QFormLayout(self)
        self.form.setContentsMargins(4, 4, 4, 4)
        self.form.setVerticalSpacing(5)
        self.fields: dict = {}
        self._keys: tuple = ()

    def set_schema(self, keys: dict, values: dict) -> None:
        """Show exactly ``keys`` (name -> Key), filled from ``values``."""
        names = tuple(n for n in keys if n not in self.hidden)
        if names != self._keys:
            # take the rows out and delete their widgets *later*: this often runs inside the
            # signal of one of these very widgets (choosing another kind or generator), and
            # deleting an object in its own signal handler crashes Qt
            while self.form.rowCount():
                row = self.form.takeRow(0)
                for item in (row.labelItem, row.fieldItem):
                    w = item.widget() if item is not None else None
                    if w is not None:
                        w.hide()
                        w.deleteLater()
            self.fields = {}
            for name in names:
                f = make_field(name, keys[name])
                f.changed.connect(lambda v, n=name: self.changed.emit(self.section, n, v))
                label = QLabel(pretty(name))
                label.setToolTip(keys[name].doc)
                self.form.addRow(label, f)
                self.fields[name] = f
            self._keys = names
        self.set_values(values)

    def set_values(self, values: dict) -> None:
        for name, f in self.fields.items():
            if name in values:
                f.blockSignals(True)
                try:
                    f.set_value(values[name])
                finally:
                    f.blockSignals(False)

    def values(self) -> dict:
        return {name: f.value() for name, f in self.fields.items()}

    def field(self, name):
        return self.fields.get(name)
