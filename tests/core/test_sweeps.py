"""Sweeps (issue 15): grids typed by the config schema and refused before anything runs, one folder
per point written atomically, serial and dask runs giving the same table, a killed worker's point
retried, reruns skipping finished points, Ctrl-C and stop keeping what finished.

The dask tests start LocalClusters of 2 worker processes (CI has 2 cores).  Points are tiny runs
(tens of milliseconds) except in the worker-kill test, whose points last about a second so that the
kill lands while the worker is busy.  Nothing here asserts a time.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
import threading

import numpy as np
import pytest

from boltzmann_lab import config as C
from boltzmann_lab.app.cli import main
from boltzmann_lab.config import ConfigError
from boltzmann_lab.sweeps import SweepError, sweep
from boltzmann_lab.sweeps import executor as E
from boltzmann_lab.sweeps import grid as G
from boltzmann_lab.sweeps import results as R

#: a stochastic run (PCD on 3×3 bars and stripes): different seeds give different numbers, so
#: "serial == distributed" is a real check of the seeding
RBM = {"data": {"generator": "bars_and_stripes", "size": 3, "samples": 200, "seed": 1,
                "validation_fraction": 0.25},
       "model": {"kind": "rbm", "hidden": 4},
       "training": {"steps": 60, "chains": 20, "batch_size": 20, "eval_every": 20, "seed": 5}}
GRID = {"training.learning_rate": [0.02, 0.1], "model.hidden": [3, 6]}

RBM_TOML = """\
[data]
generator = "bars_and_stripes"
size = 3
samples = 200
seed = 1
validation_fraction = 0.25
[model]
kind = "rbm"
hidden = 4
[training]
steps = 60
chains = 20
batch_size = 20
eval_every = 20
seed = 5
"""


@pytest.fixture(scope="module")
def cluster():
    """A LocalCluster of 2 worker processes shared by the module's dask tests, and a client."""
    from distributed import Client, LocalCluster
    lc = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None, silence_logs=logging.ERROR, env=E.WORKER_ENV,
                      scheduler_kwargs={"allowed_failures": 3})
    client = Client(lc, set_as_default=False)
    yield lc, client
    client.close()
    lc.close()


@pytest.fixture(scope="module")
def serial_table(tmp_path_factory):
    out = tmp_path_factory.mktemp("serial") / "sweep"
    return out, sweep(RBM, GRID, seeds=2, out=out, scheduler="serial")


def _no_metrics(table):
    return [r for r in table if r["status"].startswith(("failed", "not run"))]


# ----------------------------------------------------------------------------- grid
def test_grid_values_are_typed_by_the_schema():
    base = {"model": {"kind": "dbm"}, "data": {"generator": "bars_and_stripes"}}
    g = G.typed_grid({"training.learning_rate": ["0", "0.003", "1e-2"],
                      "training.chains": ["10", "20"],
                      "model.hidden": ["[20,10]", "[8, 4, 2]"],
                      "training.early_stopping": ["true", "false"],
                      "training.optimizer": ["sgd", "'adam'"]}, base)
    assert g["training.learning_rate"] == [0.0, 0.003, 0.01]
    assert all(type(v) is float for v in g["training.learning_rate"])
    assert g["training.chains"] == [10, 20] and all(type(v) is int for v in g["training.chains"])
    assert g["model.hidden"] == [[20, 10], [8, 4, 2]]
    assert g["training.early_stopping"] == [True, False]
    assert g["training.optimizer"] == ["sgd", "adam"]
    assert G.parse_grid_args(["model.hidden=[20,10],[40,20]", "training.l1=0,0.1"]) == \
        {"model.hidden": ["[20,10]", "[40,20]"], "training.l1": ["0", "0.1"]}


@pytest.mark.parametrize("grid, message", [
    ({"training.l3": ["0"]}, "unknown key 'l3' in [training]"),
    ({"modle.hidden": ["3"]}, "unknown section [modle]"),
    ({"hidden": ["3"]}, "SECTION.KEY"),
    ({"training.l1": ["-0.1"]}, "l1 = -0.1 is too small"),
    ({"training.steps": ["0.5"]}, "must be an integer"),
    ({"training.optimizer": ["adamw"]}, "choose one of"),
    ({"training.learning_rate": ["fast"]}, "must be a number"),
    ({"training.l1": ["0", "0.0"]}, "listed twice"),
    ({"model.hidden": ["0"]}, "too small"),
])
def test_bad_grids_are_refused_with_the_key_and_what_is_allowed(grid, message):
    with pytest.raises(ConfigError) as err:
        G.expand(RBM, grid)
    assert message in str(err.value)


def test_a_grid_over_the_kind_checks_each_kinds_keys():
    base = {"data": {"generator": "bars_and_stripes"}, "model": {"kind": "rbm"}}
    # chains exists for both kinds: fine; hidden exists only for rbm: refused at the maxent point
    assert len(G.expand(base, {"model.kind": ["rbm", "maxent"],
                               "training.chains": [10, 20]})) == 4
    with pytest.raises(ConfigError, match="unknown key 'hidden' in \\[model\\] for kind 'maxent'"):
        G.expand(base, {"model.kind": ["rbm", "maxent"], "model.hidden": [3]})


def test_points_are_seeded_from_the_grid_and_named_uniquely():
    pts = G.expand(RBM, GRID, seeds=3)
    assert len(pts) == 2 * 2 * 3
    assert [p.index for p in pts] == list(range(12))
    assert len({p.name for p in pts}) == 12
    for p in pts:
        assert p.config["training"]["seed"] == RBM["training"]["seed"] + p.seed
        assert p.config["training"]["learning_rate"] == p.params["training.learning_rate"]
        assert p.config["model"]["hidden"] == p.params["model.hidden"]
        assert p.config == C.resolve(p.config)          # every point is a resolved config
    # the last key varies fastest, seeds innermost
    assert [(p.params["model.hidden"], p.seed) for p in pts[:4]] == [(3, 0), (3, 1), (3, 2), (6, 0)]
    with pytest.raises(ConfigError, match="both set the training seed"):
        G.expand(RBM, {"training.seed": [1, 2]}, seeds=2)
    with pytest.raises(ConfigError, match="seeds"):
        G.expand(RBM, GRID, seeds=0)


# ----------------------------------------------------------------------------- serial
def test_serial_sweep_writes_one_complete_folder_per_point(serial_table):
    out, table = serial_table
    assert len(table) == 8 and not _no_metrics(table)
    for r in table:
        folder = out / r["point"]
        assert sorted(os.listdir(folder)) == ["config.toml", "metrics.jsonl", "model.npz",
                                              R.MARKER, "session.npz"]
        cfg = C.load(folder / "config.toml")
        assert cfg["training"]["learning_rate"] == r["training.learning_rate"]
        assert cfg["model"]["hidden"] == r["model.hidden"]
        assert cfg["training"]["seed"] == 5 + r["seed"]
        rows = [json.loads(x) for x in (folder / "metrics.jsonl").read_text().splitlines()]
        # the table holds the last row's metrics and the best validation LL over the run
        assert r["step"] == rows[-1]["step"] == 60
        assert r["train_ll"] == rows[-1]["train_ll"]
        vals = [x["val_ll"] for x in rows if x.get("val_ll") is not None]
        assert r["best_val_ll"] == max(vals)
        assert r["best_step"] == next(x["step"] for x in rows if x.get("val_ll") == max(vals))
    # different seeds are different runs
    assert table[0]["train_ll"] != table[1]["train_ll"]
    lines = (out / R.CSV_FILE).read_text().splitlines()
    assert len(lines) == 1 + 8
    assert lines[0].startswith("point,training.learning_rate,model.hidden,seed,status,step")
    assert not any((out / R.PARTIAL).iterdir())


def test_a_point_equals_boltzmann_lab_train_of_its_config(serial_table, tmp_path, capsys):
    out, table = serial_table
    r = table[5]
    cfg_file = out / r["point"] / "config.toml"
    assert main(["train", str(cfg_file), "--out", str(tmp_path / "run")]) == 0
    capsys.readouterr()
    for name in ("config.toml", "metrics.jsonl"):
        assert (tmp_path / "run" / name).read_text() == (out / r["point"] / name).read_text()
    a = np.load(tmp_path / "run" / "model.npz", allow_pickle=False)
    b = np.load(out / r["point"] / "model.npz", allow_pickle=False)
    assert all(np.array_equal(a[k], b[k]) for k in a.files)


# ----------------------------------------------------------------------------- dask
def test_local_cluster_gives_the_same_table_as_a_serial_run(serial_table, tmp_path):
    out0, table0 = serial_table
    events = []
    table = sweep(RBM, GRID, seeds=2, out=tmp_path / "dask", workers=2, progress=events.append)
    assert "local dask cluster of 2 worker processes" in events[0].message
    assert table == table0
    assert (tmp_path / "dask" / R.CSV_FILE).read_bytes() == (out0 / R.CSV_FILE).read_bytes()
    for r in table:
        for name in ("metrics.jsonl", "config.toml"):
            assert (tmp_path / "dask" / r["point"] / name).read_bytes() == \
                (out0 / r["point"] / name).read_bytes()
    assert sorted(e.point.index for e in events[1:]) == list(range(8))


def test_workers_run_single_threaded_with_boltzmann_lab(cluster):
    from distributed import Client
    lc, _ = cluster
    with E.DaskExecutor(lc.scheduler_address) as ex:
        assert isinstance(ex.client, Client) and ex.n_workers == 2
        assert all(i["NUMBA_NUM_THREADS"] == "1" and i["OPENBLAS_NUM_THREADS"] == "1"
                   for i in ex.worker_info.values())
        assert ex.memory_limit is None or ex.memory_limit > 0


def test_a_killed_worker_has_its_point_retried_and_the_sweep_completes(cluster, tmp_path):
    lc, client = cluster
    slow = json.loads(json.dumps(RBM))
    slow["training"].update(steps=2500, eval_every=500)
    killed = []

    def kill_a_busy_worker(event):
        if event.kind != "finished" or killed:
            return
        busy = {w: keys for w, keys in client.processing().items() if keys}
        if not busy:
            return
        victim = sorted(busy)[0]
        pid = client.run(os.getpid, workers=[victim])[victim]
        os.kill(pid, signal.SIGKILL)
        killed.append(pid)

    table = sweep(slow, GRID, out=tmp_path / "k", scheduler=lc.scheduler_address,
                  progress=kill_a_busy_worker)
    assert killed, "no worker was busy when the first point finished"
    assert not _no_metrics(table) and len(table) == 4
    serial = sweep(slow, GRID, scheduler="serial")
    assert table == serial                               # the retried point is the same run
    rows = (tmp_path / "k" / R.CSV_FILE).read_text().splitlines()[1:]
    assert len(rows) == 4 and len({x.split(",")[0] for x in rows}) == 4    # one row per point
    assert not any((tmp_path / "k" / R.PARTIAL).iterdir())
    client.wait_for_workers(2, timeout=120)               # the nanny restarted the worker
    assert killed[0] not in client.run(os.getpid).values()


def test_a_rerun_skips_finished_points_and_redoes_unfinished_ones(serial_table, tmp_path,
                                                                  cluster):
    import shutil
    out0, table0 = serial_table
    out = tmp_path / "re"
    shutil.copytree(out0, out)
    names = [r["point"] for r in table0]
    (out / names[2] / R.MARKER).unlink()                 # killed before its marker: unfinished
    shutil.rmtree(out / names[5])                        # never written
    stamp = (out / names[0] / "model.npz").stat().st_mtime_ns
    events = []
    table = sweep(RBM, GRID, seeds=2, out=out, scheduler=cluster[0].scheduler_address,
                  progress=events.append)
    kinds = {e.point.name: e.kind for e in events if e.point is not None}
    assert sorted(n for n, k in kinds.items() if k == "finished") == sorted([names[2], names[5]])
    assert sum(k == "skipped" for k in kinds.values()) == 6
    assert table == table0
    assert (out / names[0] / "model.npz").stat().st_mtime_ns == stamp     # not rewritten
    assert (out / R.CSV_FILE).read_bytes() == (out0 / R.CSV_FILE).read_bytes()
    # everything finished: a third run submits nothing
    events.clear()
    assert sweep(RBM, GRID, seeds=2, out=out, scheduler="serial", progress=events.append) == table0
    assert {e.kind for e in events} == {"start", "skipped"}


def test_em_restarts_lambda_paths_and_capacity_run_the_same_on_a_cluster(cluster, monkeypatch):
    from boltzmann_lab.build import make_learner
    from boltzmann_lab.data.prepare import load_dataset
    from boltzmann_lab.sweeps.capacity import capacity_curves, capacity_sweep
    from boltzmann_lab.sweeps.lambda_sweep import lambda_paths, lambda_sweep

    mix = C.resolve({"data": {"generator": "mixture", "n": 8, "components": 3, "samples": 300},
                     "model": {"kind": "mixture", "components": 3, "restarts": 4,
                               "init": "random"},
                     "training": {"steps": 30}})
    ds = load_dataset(mix)
    serial = make_learner(mix, ds)
    monkeypatch.setenv(E.ENV_SCHEDULER, cluster[0].scheduler_address)
    remote = make_learner(mix, ds)
    assert len(set(serial.restart_results)) > 1
    assert remote.restart_results == serial.restart_results and remote.restart == serial.restart
    monkeypatch.delenv(E.ENV_SCHEDULER)

    me = C.resolve({"data": {"generator": "sk", "n": 6, "samples": 300, "seed": 1},
                    "model": {"kind": "maxent"},
                    "training": {"estimator": "exact", "learning_rate": 0.1}})
    lams = [0.0, 0.01, 0.1]
    paths = lambda_paths(me, lambdas=lams, penalties=("l1", "l2"), max_steps=100,
                         scheduler=cluster[0].scheduler_address)
    direct = lambda_sweep(me, load_dataset(me), lambdas=lams, penalty="l2", max_steps=100)
    assert [r["val"] for r in paths[("l2", 0)]] == [r["val"] for r in direct]
    assert all(np.array_equal(a["params"]["J"], b["params"]["J"])
               for a, b in zip(paths[("l2", 0)], direct))

    curves = capacity_curves(40, [0.05, 0.2], rules=("hebbian", "storkey"), max_cues=10,
                             scheduler=cluster[0].scheduler_address)
    one = capacity_sweep(40, [0.2], "storkey", max_cues=10)        # another grid, serially
    assert curves["storkey"]["mean_overlap"][1] == one["mean_overlap"][0]


# ----------------------------------------------------------------------------- faults
def test_stop_cancels_keeps_the_finished_points_and_a_rerun_completes(tmp_path):
    stop = threading.Event()

    def after_three(event):
        if event.kind == "finished" and event.done == 3:
            stop.set()

    table = sweep(RBM, GRID, seeds=2, out=tmp_path / "s", scheduler="serial",
                  progress=after_three, stop=stop)
    assert [r["status"] == "not run" for r in table] == [False] * 3 + [True] * 5
    assert len((tmp_path / "s" / R.CSV_FILE).read_text().splitlines()) == 1 + 3
    assert len([d for d in (tmp_path / "s").iterdir() if (d / R.MARKER).exists()]) == 3
    events = []
    table = sweep(RBM, GRID, seeds=2, out=tmp_path / "s", scheduler="serial",
                  progress=events.append)
    assert not _no_metrics(table)
    assert sum(e.kind == "finished" for e in events) == 5


def test_a_failing_point_is_reported_and_retried_by_the_next_run(tmp_path, monkeypatch):
    from boltzmann_lab.sweeps import runner
    real = runner.run_point

    def flaky(cfg, **kw):
        assert kw["source"].startswith("sweep point ")
        if cfg["model"]["hidden"] == 6 and cfg["training"]["seed"] == 6:
            raise RuntimeError("disk full")
        return real(cfg, **kw)

    monkeypatch.setattr(runner, "run_point", flaky)
    table = sweep(RBM, GRID, seeds=2, out=tmp_path / "f", scheduler="serial")
    failed = table.failed
    assert len(failed) == 2 and all(r["status"] == "failed: RuntimeError: disk full"
                                    for r in failed)
    assert not any((tmp_path / "f" / r["point"]).exists() for r in failed)
    monkeypatch.setattr(runner, "run_point", real)
    events = []
    table = sweep(RBM, GRID, seeds=2, out=tmp_path / "f", scheduler="serial",
                  progress=events.append)
    assert not table.failed and sum(e.kind == "finished" for e in events) == 2


def test_out_must_be_new_empty_or_a_sweep_directory(tmp_path):
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "thesis.tex").write_text("precious")
    with pytest.raises(SweepError, match="not a sweep directory"):
        sweep(RBM, {"training.learning_rate": [0.1]}, out=tmp_path / "notes", scheduler="serial")
    assert os.listdir(tmp_path / "notes") == ["thesis.tex"]


def test_memory_estimates_are_checked_before_submission(tmp_path, monkeypatch):
    monkeypatch.setattr(E.SerialExecutor, "memory_limit", property(lambda self: 100 * 2**20))
    with pytest.raises(SweepError, match="needs about .* of memory"):
        sweep(RBM, GRID, out=tmp_path / "m", scheduler="serial")
    assert not [d for d in (tmp_path / "m").iterdir() if d.is_dir() and d.name != R.PARTIAL]


def test_the_memory_check_uses_the_projects_one_estimate(monkeypatch):
    from boltzmann_lab import memory
    from boltzmann_lab.sweeps import memory as sm
    cfg = C.resolve(RBM)
    shapes = sm.data_shapes([cfg])
    shape = shapes[sm.data_key(cfg)]
    assert shape == memory.data_shape(cfg)
    assert sm.point_bytes(cfg, shape) == \
        int(memory.total(memory.estimate_run(cfg, shape))) + sm.WORKER_BASE


# ----------------------------------------------------------------------------- CLI
def _toml(tmp_path):
    p = tmp_path / "rbm.toml"
    p.write_text(RBM_TOML)
    return str(p)


def test_cli_sweep_prints_the_table_and_reruns_skip(tmp_path, capsys):
    c = _toml(tmp_path)
    argv = ["sweep", c, "--grid", "training.learning_rate=0.02,0.1", "--grid",
            "model.hidden=3,6", "--seeds", "2", "--out", str(tmp_path / "o"), "--serial"]
    assert main(argv) == 0
    out, err = capsys.readouterr()
    assert "8 of 8 points finished" in out and "best_val_ll" in out
    assert "8 of 8 points serially" in err
    text = (tmp_path / "o" / R.CSV_FILE).read_text()
    assert main(argv) == 0
    out, err = capsys.readouterr()
    assert "every point finished in an earlier run" in err
    assert (tmp_path / "o" / R.CSV_FILE).read_text() == text


@pytest.mark.parametrize("grid, message", [
    ("training.l3=0,1", "unknown key 'l3'"),
    ("training.learning_rate=0.1,-1", "too small"),
    ("training.learning_rate", "expected SECTION.KEY=V1,V2"),
    ("training.learning_rate=0.1,,0.2", "empty value"),
])
def test_cli_refuses_a_bad_grid_with_exit_2_before_anything_is_submitted(tmp_path, capsys,
                                                                        monkeypatch, grid,
                                                                        message):
    def no_executor(*a, **k):
        raise AssertionError("an executor was started for a bad grid")

    monkeypatch.setattr("boltzmann_lab.sweeps.runner.open_executor", no_executor)
    code = main(["sweep", _toml(tmp_path), "--grid", grid, "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 2 and message in err and "Traceback" not in err
    assert not (tmp_path / "o").exists()


def test_cli_bad_data_exits_2_before_the_sweep_directory_is_made(tmp_path, capsys):
    c = tmp_path / "file.toml"
    c.write_text('[data]\npath = "missing.npy"\n[model]\nkind = "rbm"\n')
    code = main(["sweep", str(c), "--grid", "model.hidden=3,4", "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 2 and "missing.npy" in err and "Traceback" not in err
    assert not (tmp_path / "o").exists()


def test_cli_usage_errors_exit_2(tmp_path, capsys):
    c = _toml(tmp_path)
    for argv, message in (
            (["--workers", "2", "--serial"], "--workers"),
            (["--serial", "--scheduler", "tcp://x:1"], "not allowed with"),
            (["--memory-limit", "lots"], "--memory-limit"),
            (["--seeds", "0"], "--seeds")):
        code = main(["sweep", c, "--grid", "training.l1=0", "--out", str(tmp_path / "o"),
                     *argv])
        assert code == 2 and message in capsys.readouterr().err, argv


def test_cli_unreachable_scheduler_exits_2(tmp_path, capsys):
    import dask
    with dask.config.set({"distributed.comm.timeouts.connect": "2s"}):
        code = main(["sweep", _toml(tmp_path), "--grid", "training.l1=0", "--out",
                     str(tmp_path / "o"), "--scheduler", "tcp://127.0.0.1:9"])
    err = capsys.readouterr().err
    assert code == 2 and "cannot reach a dask scheduler" in err and "dask scheduler" in err


def test_cli_ctrl_c_exits_130_and_keeps_the_finished_points(tmp_path, capsys, monkeypatch):
    from boltzmann_lab.sweeps import runner
    real, calls = runner.run_point, []

    def interrupted_third(cfg, **kw):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real(cfg, **kw)

    monkeypatch.setattr(runner, "run_point", interrupted_third)
    code = main(["sweep", _toml(tmp_path), "--grid", "training.learning_rate=0.02,0.1",
                 "--grid", "model.hidden=3,6", "--out", str(tmp_path / "o"), "--serial"])
    err = capsys.readouterr().err
    assert code == 130 and "Run the same command again" in err
    assert len((tmp_path / "o" / R.CSV_FILE).read_text().splitlines()) == 1 + 2
    assert len([d for d in (tmp_path / "o").iterdir() if (d / R.MARKER).exists()]) == 2


def test_importing_sweeps_and_the_cli_does_not_import_dask():
    import subprocess
    code = ("import sys, boltzmann_lab.sweeps, boltzmann_lab.app.cli, boltzmann_lab.app.analyses\n"
            "bad = [m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')]\n"
            "assert not bad, bad\n")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**os.environ, "QT_QPA_PLATFORM": "offscreen"}, timeout=300)
    assert res.returncode == 0, res.stderr


def test_one_client_at_a_time_writes_a_sweep_directory(tmp_path):
    from boltzmann_lab.io.rundir import RunDirLock
    out = tmp_path / "busy"
    sweep(RBM, {"training.learning_rate": [0.1]}, out=out, scheduler="serial")
    with RunDirLock(out):                      # e.g. another sweep still running on it
        with pytest.raises(SweepError, match="another sweep or run is writing"):
            sweep(RBM, {"training.learning_rate": [0.1, 0.2]}, out=out, scheduler="serial")
    assert len(sweep(RBM, {"training.learning_rate": [0.1, 0.2]}, out=out,
                     scheduler="serial")) == 2
