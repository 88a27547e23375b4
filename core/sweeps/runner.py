"""``sweep(...)``: a grid of runs, serially or on dask.distributed, into a sweep directory.

Order of work: expand and validate every point (:func:`boltzmann_lab.sweeps.grid.expand`:
ConfigError before anything runs); open the sweep directory and find the finished points
(:mod:`boltzmann_lab.sweeps.results`); load each distinct data set once and estimate each point's
memory (:mod:`boltzmann_lab.sweeps.memory`); start the executor (:mod:`boltzmann_lab.sweeps.executor`)
and refuse points that cannot fit a worker's memory limit; submit the rest; write each point and
its CSV row as it finishes; rewrite the CSV in grid order at the end (also after Ctrl-C or a stop
request, which cancel the unfinished points and keep the finished ones).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from boltzmann_lab.config import ConfigError
from boltzmann_lab.sweeps import grid as G
from boltzmann_lab.sweeps import memory as M
from boltzmann_lab.sweeps import results as R
from boltzmann_lab.sweeps.executor import ALLOWED_FAILURES, SweepError, open_executor
from boltzmann_lab.sweeps.point import run_point

#: a point may use at most this share of a worker's memory limit (dask pauses a worker at 80 %)
MEMORY_SHARE = 0.8


@dataclass
class SweepEvent:
    """What a ``progress`` callback receives.

    kind : ``"start"`` (``message`` says where the points run), ``"skipped"`` (finished in an
        earlier run), ``"finished"`` or ``"failed"``.
    total, done : points in the sweep, points with a result so far.
    point, row : the point and its results-table row (``None`` for ``"start"``).
    """

    kind: str
    total: int
    done: int
    point: G.Point | None = None
    row: dict | None = None
    message: str = ""


class ResultTable(list):
    """The results table: a list of row dicts (one per point, grid order, every row with every
    column; ``None`` where a point has no value) plus ``columns`` and :meth:`column`."""

    columns: list

    def column(self, name: str) -> np.ndarray:
        """One column as an array (float when every value is a number or None, else object)."""
        values = [r.get(name) for r in self]
        if all(v is None or (isinstance(v, (int, float)) and not isinstance(v, bool))
               for v in values):
            return np.array([np.nan if v is None else v for v in values], dtype=np.float64)
        return np.array(values, dtype=object)

    @property
    def failed(self) -> list:
        return [r for r in self if str(r.get("status", "")).startswith("failed")]


def _base(config) -> tuple[dict, str]:
    """(unresolved base config, name for messages) from a path or a dict."""
    if isinstance(config, (str, Path)):
        return G.load_raw(config), str(config)
    if isinstance(config, dict):
        return copy.deepcopy(config), "config"
    raise ConfigError(f"sweep config {config!r}: give a TOML file path or a config dict")


def plan(config, grid=None, seeds: int = 1) -> tuple[list[G.Point], list[str]]:
    """The validated points of a sweep and its swept keys (ConfigError on any bad point)."""
    base, source = _base(config)
    points = G.expand(base, grid or {}, seeds, source)
    keys = list(points[0].params) if points else []
    return points, keys


def sweep(config, grid: dict | None = None, *, seeds: int = 1, out=None, scheduler=None,
          workers: int | None = None, memory_limit="auto", allowed_failures: int = ALLOWED_FAILURES,
          progress: Callable[[SweepEvent], None] | None = None, stop=None) -> ResultTable:
    """Train every point of ``grid`` × ``seeds`` over ``config`` and return the results table.

    Parameters
    ----------
    config : a TOML run-config path or a config dict (the base of every point).
    grid : ``{"section.key": [values]}``, e.g. ``{"training.l1": [0, 0.003, 0.01],
        "model.hidden": [16, 32]}``; values may be strings as on the command line.  Points are the
        Cartesian product (last key fastest), every value checked by the config schema.
    seeds : seed indices per grid point; point s has ``[training] seed`` = base seed + s.
    out : the sweep directory (``None``: nothing is written, the table is only returned).  A rerun
        with the same ``out`` skips the points finished before.
    scheduler : ``None``/``"local"`` (a LocalCluster on this machine), ``"serial"`` (this process),
        ``"tcp://HOST:PORT"`` (a running dask scheduler) or a ``distributed.Client``
        (:mod:`boltzmann_lab.sweeps.executor`).
    workers : LocalCluster worker processes (default: the usable cores).
    memory_limit : LocalCluster memory limit per worker (``"auto"``: memory / workers; bytes or
        a string such as ``"4GB"``).
    allowed_failures : retries of a point whose worker died (LocalCluster; a remote scheduler
        uses its own setting).
    progress : called with a :class:`SweepEvent` in the calling thread as points finish.
    stop : a ``threading.Event``; when set, unfinished points are cancelled and the table of what
        finished is returned (rows ``status = "not run"`` for the rest).

    Returns
    -------
    ResultTable : one row per point in grid order — ``point`` (its folder name), the swept keys,
    ``seed`` (the index), ``status`` (the trainer's final message, or ``failed: why``), ``step``,
    ``epoch`` and every metric of the final row, ``best_<validation metric>`` and ``best_step``.

    Raises ConfigError (bad grid or config), LoadError (bad data: every distinct data set is
    loaded once first) and SweepError (bad ``out``, unreachable scheduler, a point over the memory
    limit) before anything runs — and before ``out`` is created; KeyboardInterrupt after
    cancelling the unfinished points and writing the table of the finished ones.
    """
    base, source = _base(config)
    points = G.expand(base, grid or {}, seeds, source)
    keys = list(points[0].params) if points else []
    out = None if out is None else Path(out)
    if out is not None:
        R.check_out_dir(out)

    def finished():
        found = {}
        for p in points:
            marker = R.read_marker(out / p.name) if out is not None else None
            if marker is not None:
                found[p.name] = R.marker_row(marker)
        return found

    rows: dict[str, dict] = finished()
    todo = [p for p in points if p.name not in rows]
    shapes = M.data_shapes((p.config for p in todo), source)   # LoadError: nothing written yet
    estimates = {p.name: M.point_bytes(p.config, shapes[M.data_key(p.config)]) for p in todo}
    csv = R.ResultsCSV(None if out is None else out / R.CSV_FILE, ["point", *keys, "seed",
                                                                   "status"])
    lock = None
    if out is not None:
        lock = R.open_sweep_dir(out, {"format": "boltzmann-lab-sweep", "version": 1,
                                      "base_config": base, "grid": {k: _values(points, k)
                                                                    for k in keys},
                                      "seeds": seeds, "points": [p.name for p in points]})
    try:
        rows = finished()                 # again, under the lock
        todo = [p for p in points if p.name not in rows]
        csv.rewrite([rows[p.name] for p in points if p.name in rows])
        total, done = len(points), len(rows)

        def emit(kind, point=None, row=None, message=""):
            if progress is not None:
                progress(SweepEvent(kind, total, done, point, row, message))

        if not todo:
            emit("start", message="every point finished in an earlier run")
            for p in points:
                emit("skipped", p, rows[p.name])
            return _table(points, rows, csv)
        with open_executor(scheduler, workers=workers, memory_limit=memory_limit,
                           allowed_failures=allowed_failures) as ex:
            _check_memory(todo, estimates, ex.memory_limit, ex.description)
            emit("start", message=f"{len(todo)} of {total} points {ex.description}"
                                  + (f" ({total - len(todo)} finished earlier)"
                                     if len(todo) < total else ""))
            for p in points:
                if p.name in rows:
                    emit("skipped", p, rows[p.name])
            extra = {"stop": stop} if ex.in_process else {}
            calls = [(run_point, (p.config,), {"files": out is not None,
                                                "source": f"sweep point {p.name}", **extra})
                     for p in todo]
            outcomes = ex.run(calls, stop=stop)
            try:
                for outcome in outcomes:
                    p = todo[outcome.index]
                    if outcome.error is not None:
                        row, kind = R.failed_row(p, outcome.error), "failed"
                    else:
                        marker = R.make_marker(p, outcome.value)
                        if out is not None:
                            R.commit_point(out, p.name, outcome.value["files"], marker)
                        row, kind = R.marker_row(marker), "finished"
                    rows[p.name] = row
                    csv.add(row)
                    done += 1
                    emit(kind, p, row)
            finally:
                outcomes.close()
        return _table(points, rows, csv)
    finally:
        if out is not None:
            try:
                csv.rewrite([rows[p.name] for p in points if p.name in rows])
            finally:
                lock.close()


def _values(points, key) -> list:
    """The values of ``key`` in the order they first appear in the grid."""
    values = []
    for p in points:
        if p.params[key] not in values:
            values.append(p.params[key])
    return values


def _check_memory(todo, estimates, limit, where) -> None:
    if limit is None or not todo:
        return
    worst = max(todo, key=lambda p: estimates.get(p.name, 0))
    need = estimates.get(worst.name, 0)
    if need > MEMORY_SHARE * limit:
        raise SweepError(
            f"point {worst.name} needs about {M.human(need)} of memory (estimate: "
            f"boltzmann_lab.memory, plus a worker's own {M.human(M.WORKER_BASE)}) but the "
            f"workers {where} may use {M.human(limit)} each "
            f"(a point may take {int(MEMORY_SHARE * 100)} %); nothing was submitted. Use fewer "
            f"workers (--workers) so each gets more memory, a cluster with larger workers, or a "
            f"smaller model or data set")


def _table(points, rows, csv) -> ResultTable:
    table = ResultTable()
    full = [rows.get(p.name) or R.pending_row(p) for p in points]
    columns = list(csv.columns)
    for r in full:
        columns += [k for k in r if k not in columns]
    table.columns = columns
    for r in full:
        table.append({c: r.get(c) for c in columns})
    return table
