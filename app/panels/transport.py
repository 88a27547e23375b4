"""Transport controls: Play/Pause, Step, Stop, Reset, speed, and the two hyperparameters that can
change while the model runs (learning rate and temperature).

Where the row is narrower than it needs (the settings column beside it on a 1024 x 768 screen:
the buttons were kept at their minimum widths and drawn over each other) the buttons show their
symbols only — ▶ / ❚❚, +1, ■, ⟲ — with the full names in their tooltips."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QWidget

from .fields import SciSpinBox

#: (label, steps per display frame; None = as fast as the machine allows)
SPEEDS = [("slow: 1 step / 2 s", 1 / 60), ("1 step / 0.3 s", 0.1), ("1 step / frame", 1.0),
          ("5 steps / frame", 5.0), ("20 steps / frame", 20.0), ("100 steps / frame", 100.0),
          ("max speed", None)]

#: button -> (full text, symbols-only text); the play button has one pair per state
LABELS = {"play": ("▶  Play", "▶"), "pause": ("❚❚  Pause", "❚❚"), "step": ("Step +1", "+1"),
          "stop": ("■ Stop", "■"), "reset": ("⟲ Reset", "⟲")}


class Transport(QWidget):
    play_toggled = Signal(bool)
    step_clicked = Signal()
    stop_clicked = Signal()
    reset_clicked = Signal()
    speed_changed = Signal(object)
    hyper_changed = Signal(str, float)

    def __init__(self, parent=None):
        super().__init__(parent)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(6)
        self.compact = False
        self.play_button = QPushButton(LABELS["play"][0])
        self.play_button.setObjectName("play")
        self.play_button.setCheckable(True)
        self.play_button.setToolTip("start / pause training (Space)")
        self.step_button = QPushButton(LABELS["step"][0])
        self.step_button.setToolTip("one training step (→)")
        self.stop_button = QPushButton(LABELS["stop"][0])
        self.stop_button.setToolTip("end this run (final evaluation); Reset starts again")
        self.reset_button = QPushButton(LABELS["reset"][0])
        self.reset_button.setToolTip("rebuild the model from the settings, keep the data (R)")
        for b in (self.play_button, self.step_button, self.stop_button, self.reset_button):
            lay.addWidget(b)
        lay.addSpacing(12)
        lay.addWidget(QLabel("speed"))
        self.speed = QComboBox()
        for label, _ in SPEEDS:
            self.speed.addItem(label)
        self.speed.setCurrentIndex(len(SPEEDS) - 1)
        self.speed.setToolTip("training steps per display frame (30 frames per second)")
        lay.addWidget(self.speed)
        lay.addSpacing(12)
        self.lr_label = QLabel("learning rate")
        lay.addWidget(self.lr_label)
        self.lr = SciSpinBox(log_steps=True)
        self.lr.setRange(0.0, 100.0)
        self.lr.setToolTip("learning rate, changed while running")
        lay.addWidget(self.lr)
        self.t_label = QLabel("temperature T")
        lay.addWidget(self.t_label)
        self.temperature = SciSpinBox(log_steps=False)
        self.temperature.setRange(0.0, 100.0)
        self.temperature.setSingleStep(0.05)
        self.temperature.setToolTip("temperature, changed while running (T_c = 2.269 for the "
                                    "2D Ising model)")
        lay.addWidget(self.temperature)
        lay.addStretch(1)

        self.play_button.toggled.connect(self._play_toggled)
        self.step_button.clicked.connect(self.step_clicked)
        self.stop_button.clicked.connect(self.stop_clicked)
        self.reset_button.clicked.connect(self.reset_clicked)
        self.speed.currentIndexChanged.connect(
            lambda i: self.speed_changed.emit(SPEEDS[i][1]))
        self.lr.valueChanged.connect(lambda v: self.hyper_changed.emit("learning_rate", v))
        self.temperature.valueChanged.connect(lambda v: self.hyper_changed.emit("temperature", v))

    def _buttons(self):
        return ((self.play_button, "pause" if self.play_button.isChecked() else "play"),
                (self.step_button, "step"), (self.stop_button, "stop"),
                (self.reset_button, "reset"))

    def _label(self) -> None:
        """Full or symbols-only button texts (see the module docstring)."""
        for button, key in self._buttons():
            text = LABELS[key][1 if self.compact else 0]
            if button.text() != text:
                button.setText(text)

    def full_width(self) -> int:
        """Width (px) the row needs with the buttons' full texts (while compact, estimated from
        the texts' widths: a style's minimum button width can make it a little less)."""
        need = self.layout().minimumSize().width()
        if self.compact:
            fm = self.play_button.fontMetrics()
            need += sum(fm.horizontalAdvance(LABELS[key][0]) - fm.horizontalAdvance(LABELS[key][1])
                        for _, key in self._buttons())
        return need

    def _fit(self) -> None:
        compact = self.width() < self.full_width()
        if compact != self.compact:
            self.compact = compact
            self._label()

    def resizeEvent(self, event):             # noqa: N802 (Qt name)
        super().resizeEvent(event)
        self._fit()

    def changeEvent(self, event):             # noqa: N802 (presentation fonts change the widths)
        super().changeEvent(event)
        if event.type() in (QEvent.FontChange, QEvent.StyleChange):
            self._fit()

    def _play_toggled(self, on):
        self._label()
        self._fit()
        self.play_toggled.emit(on)

    def set_playing(self, on: bool) -> None:
        """Reflect the worker's state without emitting."""
        if self.play_button.isChecked() != on:
            self.play_button.blockSignals(True)
            self.play_button.setChecked(on)
            self._label()
            self.play_button.blockSignals(False)
            self._fit()

    def speed_value(self):
        return SPEEDS[self.speed.currentIndex()][1]

    def show_hypers(self, lr: float | None, temperature: float | None) -> None:
        """Show the controls that apply to this model, with its values (no signals)."""
        for label, box, value in ((self.lr_label, self.lr, lr),
                                  (self.t_label, self.temperature, temperature)):
            label.setVisible(value is not None)
            box.setVisible(value is not None)
            if value is not None:
                box.blockSignals(True)
                box.setValue(float(value))
                box.blockSignals(False)
        self._fit()         # the row needs more or less room now
