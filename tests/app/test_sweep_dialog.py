"""The Sweep dialog: opened from the Session menu, refuses a bad grid before anything runs, fills
its table and plot as points arrive (the sweep runs on its own thread; the GUI thread only drains a
queue), and opens any finished point as a session in the main window."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import QTimer

from .conftest import start

BASE = {"data": {"generator": "bars_and_stripes", "size": 3, "samples": 200, "seed": 1,
                 "validation_fraction": 0.25},
        "model": {"kind": "rbm", "hidden": 4},
        "training": {"steps": 60, "chains": 20, "batch_size": 20, "eval_every": 20, "seed": 5}}


@pytest.fixture
def dialog(window, qtbot, tmp_path):
    start(window, qtbot, BASE)
    window.lecture.sweep_action.trigger()               # Session ▸ Sweep a grid of runs…
    dlg = window.lecture.sweep_dialog
    assert dlg is not None and dlg.isVisible()
    dlg.out_edit.setText(str(tmp_path / "sweep"))
    yield dlg
    dlg.shutdown()
    dlg.close()


def _fill(dlg, rows, seeds=1, where="serial"):
    for i, (key, values) in enumerate(rows):
        dlg.key_boxes[i].setCurrentText(key)
        dlg.value_edits[i].setText(values)
    dlg.seeds.setValue(seeds)
    dlg.where.setCurrentIndex(dlg.where.findData(where))


def test_a_bad_grid_is_refused_before_anything_runs(dialog, tmp_path):
    assert "training.learning_rate" in [dialog.key_boxes[0].itemText(i)
                                        for i in range(dialog.key_boxes[0].count())]
    _fill(dialog, [("training.learning_rate", "0.1, -1")])
    assert dialog.start() is False
    assert "too small" in dialog.status.text() and dialog.thread is None
    _fill(dialog, [("training.l3", "0, 1")])
    assert dialog.start() is False and "unknown key 'l3'" in dialog.status.text()
    assert not (tmp_path / "sweep").exists()


def test_points_arrive_live_and_a_point_opens_as_a_session(dialog, window, qtbot):
    _fill(dialog, [("training.learning_rate", "0.02, 0.1"), ("model.hidden", "3, 6")], seeds=2)
    ticks = []
    beat = QTimer()
    beat.timeout.connect(lambda: ticks.append(threading.current_thread()))
    beat.start(20)
    assert dialog.start()
    assert dialog.thread is not threading.current_thread()
    qtbot.waitUntil(lambda: dialog.result is not None or dialog.error is not None,
                    timeout=120_000)
    beat.stop()
    assert dialog.error is None, dialog.error
    assert "finished: 8 of 8 runs" in dialog.status.text()
    assert ticks and set(ticks) == {threading.main_thread()}     # the GUI loop kept running
    assert dialog.table.rowCount() == 8
    headers = [dialog.table.horizontalHeaderItem(j).text()
               for j in range(dialog.table.columnCount())]
    assert headers[:6] == ["training.learning_rate", "model.hidden", "seed", "status", "val_ll",
                           "best_val_ll"]
    assert headers[-1] == "point"
    assert dialog.metric_box.currentText() == "val_ll"
    # one line per value of the other swept key
    dialog.x_box.setCurrentText("training.learning_rate")
    assert dialog.line_count == 2
    items = [i for i in dialog.plot.listDataItems() if i.opts.get("pen") is not None]
    assert len(items) == 2 and all(len(i.xData) == 2 for i in items)
    dialog.x_box.setCurrentText("model.hidden")
    assert dialog.line_count == 2
    # a point's run opens in the main window with exactly that point's config
    row = 5
    point = dialog.result[row]
    assert dialog.open_row(row)
    qtbot.waitUntil(lambda: window.pending is None, timeout=60_000)
    cfg = window.active_cfg
    assert cfg["model"]["hidden"] == point["model.hidden"]
    assert cfg["training"]["learning_rate"] == point["training.learning_rate"]
    assert cfg["training"]["seed"] == 5 + point["seed"]
    assert window.worker.step_count == 60                       # restored where it stopped


def test_stop_keeps_the_finished_points_and_start_again_completes(dialog, qtbot):
    _fill(dialog, [("training.steps", "3000, 3001, 3002, 3003")])
    assert dialog.start()
    qtbot.waitUntil(lambda: len(dialog.rows) >= 1, timeout=120_000)
    dialog.stop()
    qtbot.waitUntil(lambda: dialog.result is not None, timeout=120_000)
    done = [r for r in dialog.result if r["status"].startswith("finished")]
    assert 1 <= len(done) < 4 and "stopped early" in dialog.status.text()
    assert dialog.start()
    qtbot.waitUntil(lambda: dialog.result is not None and not dialog.running, timeout=120_000)
    assert all(r["status"].startswith("finished") for r in dialog.result)


def test_the_dialog_runs_a_sweep_on_a_local_dask_cluster(dialog, qtbot):
    _fill(dialog, [("training.learning_rate", "0.02, 0.1")], where="local")
    dialog.workers.setValue(2)
    assert dialog.start()
    qtbot.waitUntil(lambda: dialog.result is not None or dialog.error is not None,
                    timeout=180_000)
    assert dialog.error is None, dialog.error
    assert len(dialog.result) == 2 and not dialog.result.failed
    assert dialog.table.item(0, dialog.columns.index("status")).text().startswith("finished")


def test_the_lambda_sweep_runs_through_the_mechanism_and_draws_the_old_plot(window, qtbot,
                                                                          monkeypatch):
    """The maxent-l1 preset's Λ sweep (the lecture bar's button) is one task of
    boltzmann_lab.sweeps.map_tasks; its numbers — hence its plot — equal the direct warm-started
    path that the button used to compute (the preset's data are shrunk to 10 spins for speed)."""
    from concurrent.futures import Future

    import numpy as np

    from boltzmann_lab import config as C
    from boltzmann_lab.app.analyses import ResultWindow, draw_lambda, lambda_curves
    from boltzmann_lab.data.prepare import load_dataset
    from boltzmann_lab.presets import load_preset
    from boltzmann_lab.sweeps import executor
    from boltzmann_lab.sweeps.lambda_sweep import lambda_sweep

    raw = load_preset("maxent-l1")
    raw["data"].update(n=10, samples=400)
    cfg = C.resolve(raw)
    ds = load_dataset(cfg)
    calls = []
    real = executor.map_tasks
    monkeypatch.setattr(executor, "map_tasks",
                        lambda fn, items, **kw: calls.append(items) or real(fn, items, **kw))
    new = lambda_curves(cfg, ds, max_steps=150)
    assert calls == [[("l1", 0)]]                       # one task: the warm-started L1 path
    old = lambda_sweep(cfg, ds, lambdas=list(np.geomspace(1e-4, 0.1, 9)), penalty="l1",
                       max_steps=150)
    for a, b in zip(new, old):
        assert {k: v for k, v in a.items() if k != "params"} == \
            {k: v for k, v in b.items() if k != "params"}
        assert all(np.array_equal(a["params"][k], b["params"][k]) for k in b["params"])
    drawn = {}
    for name, results in (("new", new), ("old", old)):
        fut = Future()
        fut.set_result(results)
        win = ResultWindow(name, fut, draw_lambda, window)
        qtbot.waitUntil(lambda: win.result is not None, timeout=5000)
        drawn[name] = [(tuple(i.xData), tuple(i.yData)) for item in win.canvas.ci.items
                       for i in item.listDataItems()]
        drawn[name + " status"] = win.status.text()
        win.close()
    assert drawn["new"] == drawn["old"] and drawn["new status"] == drawn["old status"]
    assert len(drawn["new"]) == 3                        # train, validation, non-zero couplings
