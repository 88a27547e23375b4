"""The sweep directory and the results table.

::

    DIR/sweep.json          the sweep: base config, typed grid, seeds, point names (rewritten per run)
    DIR/results.csv         one row per point: point, the swept keys, seed, status, final metrics,
                            best_<validation metric>, best_step — appended as points finish,
                            rewritten in grid order at the end
    DIR/<point>/            config.toml  model.npz  metrics.jsonl  session.npz  result.json
    DIR/.partial/           points being written (emptied at the start of every run)

A point is *finished* when its directory holds ``result.json`` — the complete marker, written last
and atomically, holding the point's row.  Its directory is assembled under ``DIR/.partial`` and
renamed into place in one step, so a point directory is either complete or absent; a rerun with
the same ``--out`` skips finished points and rebuilds their rows from the markers.  One client at a
time writes a sweep directory (the run-directory lock of :mod:`boltzmann_lab.io.rundir`).
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import uuid
from pathlib import Path

from boltzmann_lab.io.rundir import atomic_write_text, json_safe
from boltzmann_lab.sweeps.executor import SweepError

MARKER = "result.json"
SWEEP_FILE = "sweep.json"
CSV_FILE = "results.csv"
PARTIAL = ".partial"
FORMAT = "boltzmann-lab-sweep-point"
VERSION = 1


# ----------------------------------------------------------------------------- rows
def make_marker(point, result: dict) -> dict:
    """The JSON content of ``result.json`` for ``point`` and :func:`~boltzmann_lab.sweeps.point.run_point`'s
    ``result`` (non-finite floats become null, so a row read back equals the row written)."""
    marker = {"format": FORMAT, "version": VERSION, "point": point.name,
              "params": point.params, "seed": point.seed, "status": result["status"],
              "diverged": bool(result["diverged"]), "metrics": result["metrics"],
              "best": result["best"], "seconds": result["seconds"],
              "files": sorted(result.get("files") or ())}
    return json.loads(json.dumps(_clean(marker), allow_nan=False))


def _clean(value):
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if hasattr(value, "item") and getattr(value, "size", 2) == 1:
        value = value.item()
    return json_safe(value)


def marker_row(marker: dict) -> dict:
    """A results-table row from a marker: point, swept keys, seed, status, metrics, best."""
    return {"point": marker["point"], **marker["params"], "seed": marker["seed"],
            "status": marker["status"], **marker["metrics"], **marker["best"]}


def failed_row(point, why: str) -> dict:
    return {"point": point.name, **point.params, "seed": point.seed, "status": f"failed: {why}"}


def pending_row(point) -> dict:
    return {"point": point.name, **point.params, "seed": point.seed, "status": "not run"}


def read_marker(folder: Path) -> dict | None:
    """The marker of a finished point folder, or ``None`` (missing, unreadable or foreign)."""
    try:
        marker = json.loads((Path(folder) / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(marker, dict) or marker.get("format") != FORMAT:
        return None
    if not all(k in marker for k in ("point", "params", "seed", "status", "metrics", "best")):
        return None
    return marker


# ----------------------------------------------------------------------------- directory
def check_out_dir(out) -> None:
    """``out`` may be new, empty, or a sweep directory written before (it holds ``sweep.json``);
    anything else is refused (SweepError) so a sweep never scatters point folders into a folder
    of other files.  Writes nothing."""
    from boltzmann_lab.io.rundir import user_files
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise SweepError(f"--out {out}: exists and is not a directory")
    if out.is_dir() and user_files(out) and not (out / SWEEP_FILE).exists():
        raise SweepError(f"--out {out}: the folder is not empty and is not a sweep directory "
                         f"(it has no {SWEEP_FILE}); choose a new or empty folder")


def open_sweep_dir(out, description: dict):
    """Check (:func:`check_out_dir`) and prepare the sweep directory ``out``; returns the lock
    (release with ``close``).  ``description`` is written to ``sweep.json``."""
    out = Path(out)
    check_out_dir(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SweepError(f"--out {out}: cannot create the folder ({exc.strerror or exc})") from None
    lock = _lock(out)
    try:
        shutil.rmtree(out / PARTIAL, ignore_errors=True)     # leftovers of a killed client
        atomic_write_text(out / SWEEP_FILE, json.dumps(_clean(description), indent=1) + "\n")
    except BaseException:
        lock.close()
        raise
    return lock


class _Lock:
    """The run-directory lock of :mod:`boltzmann_lab.io.rundir`, held for the whole sweep."""

    def __init__(self, out: Path):
        from boltzmann_lab.io.rundir import RunDirBusy, RunDirLock
        self.lock = RunDirLock(out)
        try:
            self.lock.acquire()
        except RunDirBusy:
            raise SweepError(f"--out {out}: another sweep or run is writing to this folder right "
                             f"now; wait for it or choose another folder") from None

    def close(self) -> None:
        self.lock.release()


def _lock(out: Path):
    return _Lock(out)


def commit_point(out: Path, name: str, files: dict[str, bytes], marker: dict) -> bool:
    """Write point ``name``'s files and, last, its marker under ``out/.partial``, then rename the
    folder to ``out/name``.  Returns False (and writes nothing) if the point is already finished.
    A folder ``out/name`` without a marker (never produced by this function) is replaced."""
    final = out / name
    if read_marker(final) is not None:
        return False
    part = out / PARTIAL / f"{name}.{uuid.uuid4().hex[:8]}"
    part.mkdir(parents=True)
    try:
        for fname, data in files.items():
            with open(part / fname, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
        atomic_write_text(part / MARKER, json.dumps(marker, indent=1) + "\n")
        if final.exists():
            shutil.rmtree(final)
        os.rename(part, final)
    except BaseException:
        shutil.rmtree(part, ignore_errors=True)
        raise
    return True


# ----------------------------------------------------------------------------- CSV
def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, (list, dict)):
        return json.dumps(value)
    return str(value)


class ResultsCSV:
    """``results.csv``: rows appended as points finish (one per point, keyed by name); the whole
    file is rewritten atomically when a row brings a new column and at the end (grid order)."""

    def __init__(self, path: Path | None, lead: list[str]):
        self.path = path
        self.columns = list(lead)
        self.rows: dict[str, dict] = {}

    def _grow(self, row) -> bool:
        new = [k for k in row if k not in self.columns]
        self.columns += new
        return bool(new)

    def _text(self, rows) -> str:
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(self.columns)
        for r in rows:
            w.writerow([_cell(r.get(c)) for c in self.columns])
        return buf.getvalue()

    def rewrite(self, rows=None) -> None:
        """Write every row (``rows``, default the rows held, in insertion order)."""
        rows = list(self.rows.values()) if rows is None else list(rows)
        for r in rows:
            self.rows.setdefault(r["point"], r)
            self._grow(r)
        if self.path is not None:
            atomic_write_text(self.path, self._text(rows))

    def add(self, row: dict) -> None:
        """Add or replace the row of ``row["point"]``; append it to the file when possible."""
        replaced = row["point"] in self.rows
        self.rows[row["point"]] = row
        if self._grow(row) or replaced or self.path is None or not self.path.exists():
            self.rewrite()
            return
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerow([_cell(row.get(c)) for c in self.columns])
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(buf.getvalue())
            f.flush()
            os.fsync(f.fileno())


def format_table(rows: list[dict], columns: list[str], max_width: int = 160) -> str:
    """A plain-text table of ``rows`` (numbers with 5 significant digits) for the terminal."""
    def fmt(v):
        if v is None:
            return "—"
        if isinstance(v, float):
            return f"{v:.5g}"
        return _cell(v)

    cells = [[fmt(r.get(c)) for c in columns] for r in rows]
    widths = [max([len(c)] + [len(row[i]) for row in cells]) for i, c in enumerate(columns)]
    widths = [min(w, 40) for w in widths]

    def line(items):
        text = "  ".join(str(x)[:w].ljust(w) for x, w in zip(items, widths)).rstrip()
        return text[:max_width]

    return "\n".join([line(columns), line(["-" * w for w in widths])] + [line(r) for r in cells])
