"""Every shipped preset opens in the real window and trains a few steps without an error."""

from __future__ import annotations

import numpy as np

import pytest

from boltzmann_lab.presets import list_presets, load_preset

NAMES = [name for name, _, _ in list_presets()]


@pytest.fixture(autouse=True)
def _cache(tmp_path_factory, monkeypatch):
    # generated data sets are cached per test session, not in the user's cache folder
    monkeypatch.setenv("BOLTZMANN_LAB_CACHE", str(tmp_path_factory.getbasetemp() / "cache"))


@pytest.mark.parametrize("name", NAMES)
def test_each_preset_loads_and_trains_a_few_steps(window, qtbot, name):
    cfg = load_preset(name)
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
    # the lecture bar follows the running model (it updates on its own timer, hence the wait)
    qtbot.waitUntil(lambda: window.lecture.bar.kind == cfg["model"]["kind"], timeout=5000)


def _write_idx_images(path, images):
    """A minimal MNIST-format IDX3 file (unsigned bytes, big-endian dimensions)."""
    import struct
    n, r, c = images.shape
    path.write_bytes(struct.pack(">BBBBIII", 0, 0, 0x08, 3, n, r, c) +
                     images.astype(np.uint8).tobytes())


def test_digits_preset_trains_on_an_mnist_idx_file(window, qtbot, tmp_path):
    """The NB17 preset with ``[data] path`` set to the user's MNIST file instead of the bundled
    digits (here a small synthetic file in the same format)."""
    from boltzmann_lab.config import resolve
    rng = np.random.default_rng(0)
    images = (rng.random((120, 28, 28)) < 0.2) * 255
    idx = tmp_path / "train-images-idx3-ubyte"
    _write_idx_images(idx, images)
    cfg = load_preset("rbm-digits")
    raw = {k: dict(v) for k, v in cfg.items()}
    raw["data"] = {"path": str(idx), "binarize": "threshold", "threshold": 0.5,
                   "validation_fraction": 0.1, "seed": 1}
    raw["training"]["batch_size"] = 20
    window.load_config(resolve(raw))
    qtbot.waitUntil(lambda: window.pending is None, timeout=60_000)
    assert not window.errors.messages, window.errors.messages
    assert window.dataset_info.image_shape == (28, 28) and window.dataset_info.n == 784
    w = window.worker
    w.step_once(2)
    qtbot.waitUntil(lambda: w.step_count >= 2, timeout=60_000)
    qtbot.waitUntil(lambda: "samples" in window.views.visible_names(), timeout=10_000)
