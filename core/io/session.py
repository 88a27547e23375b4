"""Sessions: a run saved mid-training to ONE ``.npz`` file and resumed bit for bit.

A session holds

* the resolved run config (so the same data and model are rebuilt: generators are seeded, files are
  re-read from their path);
* ``trainer.state_dict()`` — the trainer's bookkeeping and the learner's complete state (learned
  parameters, optimizer moments, persistent chains, RNG lanes, schedules);
* the curve history (``trainer.history``: one row of scalar metrics per logged step).

File layout (``numpy.savez``, read back with ``allow_pickle=False``; nothing is ever unpickled):

* ``meta`` — a 0-d unicode array holding JSON: ``{"format": "boltzmann-lab-session", "version": 1,
  "kind", "config", "scalars", "state_keys", "curve_names", "extra"}``.  ``scalars`` holds the
  non-array entries of the state dict (ints, floats incl. inf/NaN, strings, booleans, None) with
  their Python types preserved by JSON; ``state_keys`` lists every state entry in order.
* ``state:<key>`` — each numpy array of the state dict (numeric, boolean or unicode dtypes; object
  arrays are refused).  Numpy scalars are stored as 0-d arrays so their dtype survives.
* ``curves:step`` (T,) and ``curves:<metric>`` (T,) float64 columns of the history, NaN where a
  step did not log that metric.

Writes are atomic: the file is written next to the target under a temporary name and moved into
place with :func:`os.replace`, so a crash never leaves a half-written session behind.

Resuming: :func:`load_session` returns a :class:`Session`; ``build_trainer(session)`` rebuilds the
trainer from the saved config (``boltzmann_lab.build.make_trainer``) and loads the state, so
``k`` steps + save + load + ``m`` steps gives exactly the parameters and chains of ``k + m``
uninterrupted steps with the same seed.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

FORMAT = "boltzmann-lab-session"
VERSION = 1
SUFFIX = ".npz"


class SessionError(ValueError):
    """A session file cannot be written or read; the message names the file and the problem."""


@dataclass
class Session:
    """What a session file holds (see the module docstring)."""

    config: dict
    state: dict[str, Any]
    history: list[dict[str, float]] = field(default_factory=list)
    extra: dict = field(default_factory=dict)

    @property
    def kind(self) -> str:
        return self.config["model"]["kind"]

    @property
    def step(self) -> int:
        return int(self.state.get("trainer/step", 0))


# ----------------------------------------------------------------------------- encoding
def _json_scalar(key, value):
    """A JSON-able (type tag, value) for a non-array state entry, or raise SessionError."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value        # json writes inf/NaN as Infinity/NaN and reads them back exactly
    raise SessionError(f"state entry {key!r} has type {type(value).__name__}, which a session "
                       f"file cannot hold (arrays, numbers, strings, booleans and None only)")


def encode_state(state: dict[str, Any]) -> tuple[dict[str, np.ndarray], dict[str, Any], list]:
    """Split a state dict into (arrays by key, JSON scalars by key, ordered key list)."""
    arrays, scalars, keys = {}, {}, []
    for key, value in state.items():
        if not isinstance(key, str):
            raise SessionError(f"state keys must be strings, got {key!r}")
        keys.append(key)
        if isinstance(value, np.generic):
            value = np.asarray(value)
        if isinstance(value, np.ndarray):
            if value.dtype.hasobject:
                raise SessionError(f"state entry {key!r} is an object array; sessions store "
                                   f"numeric, boolean and string arrays only (no pickle)")
            arrays[key] = value          # savez writes any layout; keeps 0-d arrays 0-d
        else:
            scalars[key] = _json_scalar(key, value)
    return arrays, scalars, keys


def history_columns(history: list[dict[str, float]]) -> dict[str, np.ndarray]:
    """Column arrays (``step`` and every metric name, NaN where absent) from history rows."""
    names: list[str] = []
    seen = set()
    for row in history:
        for k in row:
            if k not in seen:
                seen.add(k)
                names.append(k)
    cols = {k: np.full(len(history), np.nan) for k in names}
    for i, row in enumerate(history):
        for k, v in row.items():
            try:
                cols[k][i] = float(v)
            except (TypeError, ValueError):
                pass
    return cols


def history_rows(columns: dict[str, np.ndarray]) -> list[dict[str, float]]:
    """Inverse of :func:`history_columns` (NaN entries dropped, ``step`` kept as int)."""
    if not columns:
        return []
    n = len(next(iter(columns.values())))
    rows = []
    for i in range(n):
        row = {}
        for k, col in columns.items():
            v = float(col[i])
            if not math.isnan(v):
                row[k] = int(v) if k == "step" else v
        rows.append(row)
    return rows


# ----------------------------------------------------------------------------- save / load
def save_session(path, config: dict, state: dict[str, Any],
                 history: list[dict[str, float]] | None = None, extra: dict | None = None) -> Path:
    """Write a session to ``path`` (``.npz`` appended when missing) atomically; return the path.

    config : the resolved run config (JSON-able dict).
    state : ``trainer.state_dict()``.
    history : ``trainer.history`` (rows of scalar metrics, each with ``step``).
    extra : small JSON-able GUI information (e.g. which preset, view hints).
    """
    path = Path(path)
    if path.suffix != SUFFIX:
        path = path.with_name(path.name + SUFFIX)
    arrays, scalars, keys = encode_state(state)
    cols = history_columns(list(history or []))
    meta = {"format": FORMAT, "version": VERSION, "kind": config["model"]["kind"],
            "config": config, "scalars": scalars, "state_keys": keys,
            "curve_names": list(cols), "extra": extra or {}}
    try:
        meta_text = json.dumps(meta, allow_nan=True)
    except (TypeError, ValueError) as exc:
        raise SessionError(f"{path}: the config or extra data is not JSON-able ({exc})") from None
    entries = {"meta": np.array(meta_text)}
    entries.update({f"state:{k}": v for k, v in arrays.items()})
    entries.update({f"curves:{k}": v for k, v in cols.items()})
    directory = path.parent if str(path.parent) else Path(".")
    try:
        directory.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise SessionError(f"{path}: cannot write the session ({exc.strerror or exc})") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            np.savez(fh, **entries)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise SessionError(f"{path}: cannot write the session "
                               f"({exc.strerror or exc})") from None
        raise
    return path


def save_trainer(path, config: dict, trainer, extra: dict | None = None) -> Path:
    """:func:`save_session` for a :class:`boltzmann_lab.learning.trainer.Trainer` (its state and history)."""
    return save_session(path, config, trainer.state_dict(), trainer.history, extra)


def load_session(path) -> Session:
    """Read a session file written by :func:`save_session` (never unpickles)."""
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as z:
            files = list(z.files)
            if "meta" not in files:
                raise SessionError(f"{path}: not a Boltzmann Lab session (no meta entry)")
            meta = json.loads(str(z["meta"][()]))
            if not isinstance(meta, dict) or meta.get("format") != FORMAT:
                raise SessionError(f"{path}: not a Boltzmann Lab session file "
                                   f"(format {meta.get('format') if isinstance(meta, dict) else None!r})")
            if int(meta.get("version", 0)) > VERSION:
                raise SessionError(f"{path}: session format version {meta['version']} is newer "
                                   f"than this program understands ({VERSION}); update Boltzmann Lab")
            scalars = meta.get("scalars", {})
            state = {}
            for key in meta.get("state_keys", []):
                if key in scalars:
                    state[key] = scalars[key]
                elif f"state:{key}" in files:
                    state[key] = z[f"state:{key}"]
                else:
                    raise SessionError(f"{path}: the session is incomplete (state entry {key!r} "
                                       f"is missing)")
            cols = {k: np.asarray(z[f"curves:{k}"], dtype=np.float64)
                    for k in meta.get("curve_names", []) if f"curves:{k}" in files}
    except SessionError:
        raise
    except FileNotFoundError:
        raise SessionError(f"{path}: no such session file") from None
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, json.JSONDecodeError) as exc:
        raise SessionError(f"{path}: not a readable session file ({exc})") from None
    config = meta.get("config")
    if not isinstance(config, dict) or "model" not in config:
        raise SessionError(f"{path}: the session holds no run config")
    return Session(config=config, state=state, history=history_rows(cols),
                   extra=meta.get("extra") or {})


def restore(trainer, session: Session) -> None:
    """Load a session's state and history into a freshly built trainer of the same config."""
    try:
        trainer.load_state_dict(session.state)
    except (KeyError, ValueError, IndexError) as exc:
        raise SessionError(f"the session does not fit this model ({exc.__class__.__name__}: "
                           f"{exc})") from None
    trainer.history = [dict(r) for r in session.history]


def build_trainer(session: Session, dataset=None):
    """Rebuild the trainer of ``session`` from its config and restore its state."""
    from boltzmann_lab.build import make_trainer
    from boltzmann_lab.config import resolve
    cfg = resolve(session.config, source="session")
    trainer = make_trainer(cfg, dataset)
    restore(trainer, session)
    return trainer
