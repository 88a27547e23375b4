"""Presets: every shipped preset resolves, lists, and starts training."""

import pytest

from boltzmann_lab import config
from boltzmann_lab.presets import (DEFAULT_PRESET, list_presets, load_preset, preset_names,
                                   preset_path)


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("BOLTZMANN_LAB_CACHE", str(tmp_path / "cache"))


KINDS = ("maxent", "rbm", "dbm", "hopfield", "mixture", "ising")


def test_listing_and_default():
    rows = list_presets()
    names = [r[0] for r in rows]
    assert DEFAULT_PRESET in names and names[0] == DEFAULT_PRESET
    assert len(set(names)) == len(names) == len(preset_names())
    assert all(title and desc for _, title, desc in rows)
    for name in ("ising-phases", "learn-ising", "maxent-moments", "rbm-bars", "rbm-digits",
                 "hopfield-memory", "em-coins", "dbm-bars"):
        assert name in names
    kinds = {load_preset(n)["model"]["kind"] for n in names}
    assert set(KINDS) <= kinds


@pytest.mark.parametrize("name", [r[0] for r in list_presets()])
def test_every_preset_resolves_and_starts(name):
    from boltzmann_lab.build import make_trainer

    cfg = load_preset(name)
    assert set(cfg) >= {"data", "model", "training", "preset"}
    assert cfg == config.resolve(config.load(preset_path(name)), source=name)
    trainer = make_trainer(cfg)
    for _ in range(2):
        if trainer.done:
            break
        snap = trainer.step()
    assert snap.step >= 1 and not snap.message.startswith("training diverged")


def test_unknown_preset_lists_the_known_ones():
    with pytest.raises(config.ConfigError) as info:
        preset_path("nope")
    assert "rbm-bars" in str(info.value) and "'nope'" in str(info.value)


def test_review_ising_setting_is_a_preset():
    from boltzmann_lab.data.generators import REVIEW_TEMPERATURES
    cfg = load_preset("ising-review")
    assert cfg["data"]["L"] == 40 and cfg["data"]["temperatures"] == REVIEW_TEMPERATURES
