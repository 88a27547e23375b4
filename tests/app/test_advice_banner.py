"""The advice banner (offscreen): an absurd learning rate sends an RBM below the independent-unit
baseline; the banner says so with the likely cause, and its button applies the remedy (the rate
10x lower) to the running model and to the settings panel.  The likelihood plot carries the
baseline as a reference curve."""

from __future__ import annotations

import pytest

from .conftest import start

RAW = {"data": {"generator": "bars_and_stripes"},
       "model": {"kind": "rbm", "hidden": 8},
       "training": {"learning_rate": 30.0, "eval_every": 1}}


def test_absurd_learning_rate_shows_advice_and_the_remedy_applies(window, qtbot):
    start(window, qtbot, RAW)
    window.play()
    qtbot.waitUntil(lambda: window.advice.isVisible(), timeout=60_000)
    window.pause()
    text = window.advice.text()
    assert "independent-unit baseline" in text or "fell by" in text
    assert "learning rate (30) is too large" in text
    assert window.advice.button.isVisible() and "10× lower (3)" in window.advice.button.text()
    assert "baseline_ll" in window.views.curves.series      # the reference line
    window.advice.button.click()
    qtbot.waitUntil(lambda: window.worker.trainer.learner.opt.lr0 == pytest.approx(3.0),
                    timeout=10_000)
    assert window.panel.config()["training"]["learning_rate"] == pytest.approx(3.0)
    assert "Applied: learning_rate = 3" in window.advice.text()
