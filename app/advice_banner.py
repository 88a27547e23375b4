"""The advice banner: when a run's likelihood sits below the independent-unit baseline or swings,
say so above the views, with the likely cause and a one-click remedy.

What to say comes from :class:`boltzmann_lab.learning.advice.AdviceMonitor` (core, no Qt; the CLI
prints the same advice); this widget only feeds it the metric points the worker delivers and
shows its :class:`~boltzmann_lab.learning.advice.Advice`.  The remedy button emits
``remedy_requested(name, value)``; the main window applies it like an edit of that setting.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QPushButton

from boltzmann_lab.learning.advice import AdviceMonitor

from .banner import Banner


class AdviceBanner(Banner):
    remedy_requested = Signal(str, float)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.button = QPushButton("")
        self.button.clicked.connect(self._apply)
        self.layout().insertWidget(1, self.button)       # between the message and dismiss
        self.monitor = AdviceMonitor()
        self.advice = None

    def reset(self, learning_rate=None) -> None:
        """A new run (or a reset): forget what was said; ``learning_rate``: the run's base
        rate (the remedy divides it by 10)."""
        self.monitor.reset(learning_rate)
        self.advice = None
        self.hide()

    def feed(self, points) -> None:
        """``points``: (step, epoch, metrics) from the worker, in order."""
        for step, epoch, metrics in points:
            tip = self.monitor.update(step, epoch, metrics)
            if tip is not None:
                self.show_advice(tip)

    def show_advice(self, advice) -> None:
        self.advice = advice
        self.label.setText(f"<b>Training looks wrong.</b> {html.escape(advice.message)}")
        self.button.setText(advice.remedy)
        self.button.setVisible(advice.hyper is not None)
        self.button.setEnabled(True)
        self.show()

    def _apply(self) -> None:
        a = self.advice
        if a is None or a.hyper is None:
            return
        self.button.setEnabled(False)
        if a.hyper == "learning_rate":
            self.monitor.base_lr = float(a.value)
        self.remedy_requested.emit(a.hyper, float(a.value))
        self.label.setText(self.label.text() + f" <i>Applied: {html.escape(a.hyper)} = "
                                               f"{a.value:g}.</i>")
