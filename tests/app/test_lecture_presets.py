"""Every shipped preset opens in the real window and trains a few steps without an error."""

from __future__ import annotations

import importlib.util

import pytest

from core.build import LEARNERS
from core.presets import list_presets, load_preset

NAMES = [name for name, _, _ in list_presets()]


@pytest.fixture(autouse=True)
def _cache(tmp_path_factory, monkeypatch):
    # generated data sets are cached per test session, not in the user's cache folder
    monkeypatch.setenv("BOLTZMANN_LAB_CACHE", str(tmp_path_factory.getbasetemp() / "cache"))


@pytest.mark.parametrize("name", NAMES)
def test_each_preset_loads_and_trains_a_few_steps(window, qtbot, name):
    cfg = load_preset(name)
    if importlib.util.find_spec(LEARNERS[cfg["model"]["kind"]]) is None:
        pytest.skip(f"{cfg['model']['kind']} has not landed")
    if cfg["data"].get("generator") == "digits" and importlib.util.find_spec("sklearn") is None:
        pytest.skip("the digits need scikit-learn")
    window.load_preset(name)
    qtbot.waitUntil(lambda: window.pending is None, timeout=120_000)
    assert not window.errors.messages, window.errors.messages
    assert window.preset_combo.currentData() == name
    w = window.worker
    w.step_once(3)
    qtbot.waitUntil(lambda: w.step_count >= 3 or w.state == "done", timeout=120_000)
    qtbot.waitUntil(lambda: window.last_snapshot is not None and window.last_snapshot.step >= 1,
                    timeout=10_000)
    assert not window.errors.messages, window.errors.messages
    assert window.views.visible_names(), "no view is shown"
    assert window.lecture.bar.kind == cfg["model"]["kind"] or window.lecture.bar.kind is None
