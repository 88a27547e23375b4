"""Hostile session and data files in the real window: every failure is a banner naming the file,
and the running model is untouched (same worker, same step, same weights, still steps)."""

from __future__ import annotations

import struct

import numpy as np
import pytest

from tests.core import hostile as H

from .conftest import start, train

RUN = {"data": {"generator": "bars_and_stripes", "size": 3},
       "model": {"kind": "rbm", "hidden": 4},
       "training": {"batch_size": 7}}


def _sessions(tmp):
    """name -> a bad session file (the ways of the issue: structure, values, memory)."""
    s = {}
    (tmp / "empty.npz").write_bytes(b"")
    s["empty"] = tmp / "empty.npz"
    s["state_keys"] = H.make_session(tmp / "sk.npz", meta_edit=lambda m: m.update(state_keys=5))
    s["curve_names"] = H.make_session(tmp / "cn.npz",
                                      meta_edit=lambda m: m.update(curve_names={"a": 1}))
    s["version"] = H.make_session(tmp / "v.npz", meta_edit=lambda m: m.update(version=[1]))
    s["k"] = H.make_session(tmp / "k.npz", edit=lambda c, st: st.update({"rbm/k": 10 ** 9}))
    s["pos"] = H.make_session(tmp / "pos.npz", edit=lambda c, st: st.update({"rbm/pos": -5}))
    s["chains"] = H.make_session(tmp / "ch.npz",
                                 edit=lambda c, st: c["training"].update(chains=10 ** 9))
    s["W_shape"] = H.make_session(tmp / "w1.npz", edit=lambda c, st: st.update(
        {"param/W": np.zeros(1, np.float32)}))
    s["W_nan"] = H.make_session(tmp / "wn.npz", edit=lambda c, st: st["param/W"].fill(np.nan))
    s["bomb"] = H.session_bomb(tmp / "bomb.npz", H.make_session(tmp / "src.npz"))
    np.savez(tmp / "pk.npz", meta=np.array([{"format": "x"}], dtype=object))
    s["pickle"] = tmp / "pk.npz"
    return s


def _data_files(tmp):
    """name -> a bad data file or folder, as picked with the file chooser."""
    d = {}
    (tmp / "pngbomb").mkdir()
    (tmp / "pngbomb" / "b.png").write_bytes(H.png_inflating_to(1024))
    d["png_bomb"] = tmp / "pngbomb"
    H.write_zip(tmp / "npzbomb.npz", [H.npy_member("x", shape=(4, 2), zero_mb=1024)])
    d["npz_bomb"] = tmp / "npzbomb.npz"
    (tmp / "d255-ubyte").write_bytes(bytes([0, 0, 8, 255]) + struct.pack(">255I", *[1] * 255))
    d["idx_255"] = tmp / "d255-ubyte"
    import os
    os.symlink("loopB", tmp / "loopA")
    os.symlink("loopA", tmp / "loopB")
    d["symlink_loop"] = tmp / "loopA"
    return d


@pytest.fixture
def running(window, qtbot):
    w = start(window, qtbot, RUN)
    train(window, qtbot, 3)
    return w


def _assert_untouched(window, w, step, W, cfg):
    assert window.worker is w and window.pending is None and window.active_cfg is cfg
    assert w.step_count == step
    assert np.array_equal(w.trainer.learner.views()["filters"], W)


def test_bad_sessions_are_banners_and_the_run_stays(window, qtbot, tmp_path, running):
    w = running
    step, cfg = w.step_count, window.active_cfg
    W = np.array(w.trainer.learner.views()["filters"], copy=True)
    for name, path in _sessions(tmp_path).items():
        n = len(window.errors.messages)
        window.lecture.open_session(path)
        # refused on reading (no new run), or when the new run restores it (pending dropped)
        qtbot.waitUntil(lambda: window.pending is None and len(window.errors.messages) > n,
                        timeout=30_000)
        title, text = window.errors.messages[-1]
        assert len(window.errors.messages) == n + 1, (name, window.errors.messages[n:])
        assert path.name in text, (name, text)
        assert "Traceback" not in text and "unexpected" not in text.lower(), (name, text)
        assert window.banner.isVisible() and path.name in window.banner.text(), name
        _assert_untouched(window, w, step, W, cfg)
    assert not window.tick_errors
    window.step()                                 # the old run still works
    qtbot.waitUntil(lambda: w.step_count == step + 1, timeout=10_000)


def test_bad_data_files_are_banners_and_the_run_stays(window, qtbot, tmp_path, running):
    w = running
    step, cfg = w.step_count, window.active_cfg
    W = np.array(w.trainer.learner.views()["filters"], copy=True)
    for name, path in _data_files(tmp_path).items():
        n = len(window.errors.messages)
        window.panel.load_file(str(path))         # what picking it with the file chooser does
        window.panel.apply_button.click()         # nothing starts before Apply
        qtbot.waitUntil(lambda: window.pending is None and len(window.errors.messages) > n,
                        timeout=30_000)
        title, text = window.errors.messages[-1]
        assert path.name in text and "previous data and model were kept" in text, (name, text)
        assert window.banner.isVisible() and path.name in window.banner.text(), name
        _assert_untouched(window, w, step, W, cfg)
        # the Data panel shows the data still in use again, not the refused file
        assert window.panel.cfg["data"] == cfg["data"], name
        assert window.panel.data_form.field("path").value() == cfg["data"]["path"], name
    assert not window.tick_errors
