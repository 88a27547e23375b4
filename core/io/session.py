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

Reading is defensive (a session file is user data): :func:`load_session` checks the JSON header's
fields and types, resolves the run config and checks that its run fits in memory, and bounds the
arrays' declared sizes before reading them (headers first, never more bytes than declared);
:func:`restore` checks every entry against the state of the freshly built trainer it is loaded
into (:func:`validate_state`: dtype, shape, finiteness, counters, hyperparameters within the
config schema's ranges).  Every failure is one :class:`SessionError` naming the file.

Resuming: :func:`load_session` returns a :class:`Session`; ``build_trainer(session)`` rebuilds the
trainer from the saved config (``boltzmann_lab.build.make_trainer``) and loads the state, so
``k`` steps + save + load + ``m`` steps gives exactly the parameters and chains of ``k + m``
uninterrupted steps with the same seed.
"""

from __future__ import annotations

import collections
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
    #: the file it was read from (named in errors), when read from one
    path: Path | None = None

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


#: the JSON header holds the config, scalars and key lists: a few kB, never this much
MAX_META_BYTES = 16 << 20
#: the trainer keeps at most 200 000 history rows; a session holding far more is not ours
MAX_CURVE_ROWS = 1_000_000
_SCALAR_TYPES = (type(None), bool, int, float, str)


def _fail(path, text) -> SessionError:
    return SessionError(f"{path}: {text}")


def _meta_fields(path, meta):
    """Check the JSON header's fields and their types; returns them."""
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        found = meta.get("format") if isinstance(meta, dict) else None
        raise _fail(path, f"not a Boltzmann Lab session file (format {found!r})")
    version = meta.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise _fail(path, f"the session's format version is {version!r}, not a version number; "
                          f"the file is corrupt")
    if version > VERSION:
        raise _fail(path, f"session format version {version} is newer than this program "
                          f"understands ({VERSION}); update Boltzmann Lab")
    config = meta.get("config")
    if not isinstance(config, dict) or not isinstance(config.get("model"), dict):
        raise _fail(path, "the session holds no run config")
    scalars = meta.get("scalars", {})
    keys = meta.get("state_keys", [])
    curves = meta.get("curve_names", [])
    extra = meta.get("extra") or {}
    for name, value, kind in (("scalars", scalars, dict), ("state_keys", keys, list),
                              ("curve_names", curves, list), ("extra", extra, dict)):
        if not isinstance(value, kind):
            raise _fail(path, f"the session's {name!r} is {type(value).__name__}, not a "
                              f"{kind.__name__}; the file is corrupt")
    for name, items in (("state_keys", keys), ("curve_names", curves)):
        if not all(isinstance(k, str) for k in items) or len(set(items)) != len(items):
            raise _fail(path, f"the session's {name!r} must list distinct names; the file is "
                              f"corrupt")
    for key, value in scalars.items():
        if not isinstance(value, _SCALAR_TYPES):
            raise _fail(path, f"state entry {key!r} is a {type(value).__name__}; a session "
                              f"holds only numbers, strings, booleans and None besides arrays")
    return config, scalars, keys, curves, extra


def _resolved(path, config) -> dict:
    from boltzmann_lab.config import ConfigError, resolve
    try:
        return resolve(config, source=f"{path} (its run config)")
    except ConfigError as exc:
        raise SessionError(str(exc)) from None
    except RecursionError:
        raise _fail(path, "the session's run config is nested too deeply") from None


def load_session(path) -> Session:
    """Read a session file written by :func:`save_session` (never unpickles).

    Checked before any array is read: the JSON header's fields and types; the run config (it must
    resolve, and the run it describes must fit in memory, ``boltzmann_lab.memory.check_run``); the
    declared size of every array (against the run's own estimate and the available memory).
    Every failure is one :class:`SessionError` naming the file and the problem.  Entries are
    checked against the model they are restored into by :func:`restore`."""
    from boltzmann_lab import memory
    from boltzmann_lab.data.loaders import NpzArchive, check_path

    path = Path(path)
    try:
        check_path(path, "session file")
    except ValueError as exc:
        raise SessionError(str(exc)) from None
    try:
        if path.stat().st_size == 0:
            raise _fail(path, "the file is empty (0 bytes); it is not a session")
        with NpzArchive(path, error=SessionError, what="session") as z:
            m = z.members.get("meta")
            if m is None:
                raise _fail(path, "not a Boltzmann Lab session (no meta entry)")
            if m.dtype.kind not in "US" or m.shape != () or m.nbytes > MAX_META_BYTES:
                raise _fail(path, f"not a readable session file (its meta entry has dtype "
                                  f"{m.dtype} and shape {m.shape}, not a JSON string)")
            try:
                meta = json.loads(str(z.read("meta")[()]))
            except (ValueError, RecursionError) as exc:
                raise _fail(path, f"not a readable session file (the meta entry is not JSON: "
                                  f"{exc})") from None
            config, scalars, keys, curves, extra = _meta_fields(path, meta)
            cfg = _resolved(path, config)
            array_keys = [k for k in keys if k not in scalars]
            for key in array_keys:
                if f"state:{key}" not in z.members:
                    raise _fail(path, f"the session is incomplete (state entry {key!r} is "
                                      f"missing)")
            curve_keys = [k for k in curves if f"curves:{k}" in z.members]
            for k in curve_keys:
                c = z.members[f"curves:{k}"]
                if len(c.shape) != 1 or c.dtype.kind not in "biuf" or c.shape[0] > MAX_CURVE_ROWS:
                    raise _fail(path, f"curve {k!r} has shape {c.shape} and dtype {c.dtype}; "
                                      f"curves are 1-D number columns of at most "
                                      f"{MAX_CURVE_ROWS:,} rows")
            if len({z.members[f"curves:{k}"].shape for k in curve_keys}) > 1:
                raise _fail(path, "the curve columns have different lengths; the file is corrupt")
            declared = z.total_bytes([f"state:{k}" for k in array_keys]
                                     + [f"curves:{k}" for k in curve_keys])
            # the run the session describes must fit, and its state cannot outweigh that run
            try:
                parts = memory.check_run(cfg, source=f"{path} (its run config)")
            except memory.MemoryBudgetError as exc:
                raise SessionError(str(exc)) from None
            bound = 2 * memory.total(parts) + (64 << 20)
            if parts and declared > bound:
                raise _fail(path, f"the session's arrays declare {memory.fmt_bytes(declared)}, "
                                  f"more than the run in its config can use (about "
                                  f"{memory.fmt_bytes(memory.total(parts))}); the file is "
                                  f"corrupt or crafted, and its arrays were not read")
            memory.check_bytes(declared, "reading this session", "", source=str(path))
            state = {}
            for key in keys:
                state[key] = scalars[key] if key in scalars else z.read(f"state:{key}")
            cols = {k: np.asarray(z.read(f"curves:{k}"), dtype=np.float64) for k in curve_keys}
    except SessionError:
        raise
    except memory.MemoryBudgetError as exc:
        raise SessionError(str(exc)) from None
    except (OSError, ValueError, KeyError, TypeError, EOFError, zipfile.BadZipFile) as exc:
        raise _fail(path, f"not a readable session file ({type(exc).__name__}: {exc})") from None
    return Session(config=config, state=state, history=history_rows(cols), extra=extra, path=path)


# ----------------------------------------------------------------------------- validation
#: state entries named like a config key (last path component) are checked by that key's schema;
#: these are the entries whose name differs from the key's
STATE_CONFIG_NAMES = {"lr0": "learning_rate", "iterations": "mean_field_iterations"}


def _config_key(cfg, name):
    from boltzmann_lab.config import sections_schema
    name = STATE_CONFIG_NAMES.get(name, name)
    schema = sections_schema(cfg)
    for section in ("training", "model"):
        if name in schema[section]:
            return section, name, schema[section][name]
    return None


def _plain(value):
    if isinstance(value, np.ndarray) and value.ndim == 0:
        return value.item()
    if isinstance(value, np.generic):
        return value.item()
    return value


def _check_entry(key, value, ref, cfg):
    """Problem with one state entry compared with the fresh trainer's ``ref``, or ''."""
    from boltzmann_lab.config import ConfigError
    if isinstance(ref, np.ndarray) or isinstance(value, np.ndarray):
        if not (isinstance(ref, np.ndarray) and isinstance(value, np.ndarray)):
            if ref is None or value is None:
                return ""
            return (f"is a {type(value).__name__}, but this model keeps an array of shape "
                    f"{np.shape(ref)} there")
        if value.shape != ref.shape:
            return f"has shape {value.shape}, but this model needs {ref.shape}"
        same = (value.dtype == ref.dtype or (value.dtype.kind in "US" and ref.dtype.kind in "US"))
        if not same:
            return f"has dtype {value.dtype}, but this model keeps {ref.dtype}"
        if value.dtype.kind in "fc" and value.size and not np.isfinite(value).all():
            return "contains NaN or infinite values"
    else:
        if ref is not None and value is not None:
            if isinstance(ref, bool) != isinstance(value, bool) or \
                    (isinstance(ref, str) != isinstance(value, str)) or \
                    (isinstance(ref, int) and not isinstance(ref, bool)
                     and not isinstance(value, int)):
                return (f"is {type(value).__name__} {value!r}, but this model keeps a "
                        f"{type(ref).__name__} there")
    plain = _plain(value)
    if isinstance(plain, int) and not isinstance(plain, bool) and plain < 0 \
            and not (isinstance(_plain(ref), int) and _plain(ref) < 0):
        return f"is {plain}, but counters and sizes are never negative"
    if isinstance(plain, (int, float, str)) and not isinstance(plain, bool):
        found = _config_key(cfg, key.rsplit("/", 1)[-1])
        if found is not None and isinstance(_plain(ref), type(plain)):
            section, name, schema_key = found
            try:
                schema_key.check(section, name, plain)
            except ConfigError as exc:
                return f"(the run's {exc})"
    return ""


def validate_state(state: dict, template: dict, config: dict, where="session") -> None:
    """Check a session's state against the state of a freshly built trainer of the same config
    (``template``): every entry present, arrays of the same dtype and shape, finite floats,
    scalars of the same type, no negative counters, and entries that mirror config keys
    (learning rate, k, temperature, ...) within the config schema's range.  Raises one
    :class:`SessionError` naming the first bad entry."""
    missing = [k for k in template if k not in state]
    if missing:
        raise SessionError(f"{where}: the session does not fit this model: it lacks the state "
                           f"entries {', '.join(map(repr, missing[:5]))}"
                           + (" …" if len(missing) > 5 else ""))
    for key, value in state.items():
        ref = template.get(key)
        if key not in template and isinstance(value, np.ndarray) and value.dtype.kind in "fc" \
                and value.size and not np.isfinite(value).all():
            raise SessionError(f"{where}: state entry {key!r} contains NaN or infinite values")
        if key not in template:
            continue
        problem = _check_entry(key, value, ref, config)
        if problem:
            raise SessionError(f"{where}: the session does not fit this model: state entry "
                               f"{key!r} {problem}")


def restore(trainer, session: Session, where: str | None = None) -> None:
    """Load a session's state and history into a freshly built trainer of the same config, after
    :func:`validate_state` against that trainer's own state.  Any failure is a SessionError; the
    trainer is then half-loaded and must be discarded (the app builds it for the new run only)."""
    where = where or str(session.path or "session")
    template = trainer.state_dict()
    validate_state(session.state, template, session.config, where)
    try:
        trainer.load_state_dict(session.state)
    except (KeyError, ValueError, IndexError, TypeError, AttributeError, ArithmeticError) as exc:
        raise SessionError(f"{where}: the session does not fit this model "
                           f"({exc.__class__.__name__}: {exc})") from None
    trainer.history = collections.deque((dict(r) for r in session.history),
                                        maxlen=trainer.history.maxlen)


def build_trainer(session: Session, dataset=None):
    """Rebuild the trainer of ``session`` from its config and restore its state."""
    from boltzmann_lab.build import make_trainer
    from boltzmann_lab.config import resolve
    cfg = resolve(session.config, source="session")
    trainer = make_trainer(cfg, dataset)
    restore(trainer, session)
    return trainer
