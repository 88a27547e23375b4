"""Model files: ``.npz`` archives of plain arrays plus a JSON ``meta`` entry (README, "Model file").

Layout: ``numpy.savez`` of the model's arrays (names by kind, see :data:`REQUIRED`) and one more
entry ``meta``, a 0-d string array holding JSON::

    {"format": "boltzmann-lab-model", "version": 1, "kind": "rbm", "convention": "binary", ...}

where ``...`` is the model's own meta (``to_arrays``).  Files are written atomically (a temporary
file in the same folder, then ``os.replace``) and read with ``allow_pickle=False``: nothing here
ever unpickles.  Model classes are found through :data:`REGISTRY` (kind -> ``"module:Class"``)
and must provide ``to_arrays() -> (meta, arrays)`` and ``from_arrays(meta, arrays)``.
"""

from __future__ import annotations

import importlib
import json
import os
import tempfile
import zipfile
from pathlib import Path

import numpy as np

from boltzmann_lab.data.loaders import LoadError
from boltzmann_lab.kinds import KINDS

FORMAT = "boltzmann-lab-model"
VERSION = 1

#: model kind -> "module:Class" implementing the model protocol (from the kind records)
REGISTRY = {name: k.model for name, k in KINDS.items()}

#: arrays every file of a kind must hold (others are optional and passed through)
REQUIRED = {name: k.required_arrays for name, k in KINDS.items()}


class ModelFileError(LoadError):
    """A model file is missing, corrupt, of an unknown format/version, or lacks arrays."""


def _jsonable(value):
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


def model_class(kind: str):
    """The class registered for ``kind`` (imported on demand)."""
    if kind not in REGISTRY:
        raise ModelFileError(f"unknown model kind {kind!r}; known kinds: {', '.join(REGISTRY)}")
    module, _, cls = REGISTRY[kind].partition(":")
    try:
        return getattr(importlib.import_module(module), cls)
    except (ImportError, AttributeError) as exc:
        raise ModelFileError(f"model kind {kind!r} is not available in this installation "
                             f"({REGISTRY[kind]}: {exc}).") from None


def save_model(path, model) -> Path:
    """Write ``model`` to ``path`` (``.npz``) atomically; returns the path written."""
    path = Path(path)
    meta, arrays = model.to_arrays()
    if "meta" in arrays:
        raise ValueError("a model array may not be called 'meta' (reserved for the file header)")
    header = {"format": FORMAT, "version": VERSION, "kind": model.kind,
              "convention": model.convention}
    header.update({k: v for k, v in _jsonable(dict(meta)).items() if k not in header})
    clean = {}
    for name, arr in arrays.items():
        a = np.asarray(arr)
        if a.dtype.hasobject:
            raise ValueError(f"model array {name!r} has dtype object; only numeric arrays are saved")
        clean[name] = a
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, meta=np.array(json.dumps(header)), **clean)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def read_model_file(path) -> tuple[dict, dict[str, np.ndarray]]:
    """Read and validate a model file without building the model: ``(meta, arrays)``."""
    path = Path(path)
    if not path.exists():
        raise ModelFileError(f"{path}: no such model file.")
    try:
        with open(path, "rb") as fh:
            is_zip = fh.read(4) == b"PK\x03\x04"
        if not is_zip:
            raise ModelFileError(f"{path}: not a Boltzmann Lab model file (expected an .npz "
                                 f"archive with a 'meta' entry, written by boltzmann-lab train).")
        with np.load(path, allow_pickle=False) as f:
            if "meta" not in f.files:
                raise ModelFileError(f"{path}: not a Boltzmann Lab model file (no 'meta' entry); "
                                     f"arrays found: {', '.join(f.files) or 'none'}.")
            arrays = {k: f[k] for k in f.files}
    except ModelFileError:
        raise
    except (zipfile.BadZipFile, EOFError, OSError) as exc:
        raise ModelFileError(f"{path}: cannot read the model file: it is truncated or corrupt "
                             f"({exc}).") from None
    except ValueError as exc:
        # allow_pickle=False refuses object arrays with a ValueError: never unpickle them.
        raise ModelFileError(f"{path}: the model file holds pickled/object data, which is refused "
                             f"(never unpickled) — or it is corrupt ({exc}).") from None
    except Exception as exc:
        raise ModelFileError(f"{path}: cannot read the model file ({type(exc).__name__}: "
                             f"{exc}).") from None
    raw_meta = arrays.pop("meta")
    try:
        meta = json.loads(str(raw_meta[()]) if raw_meta.dtype.kind in "US" else "")
    except (ValueError, TypeError):
        raise ModelFileError(f"{path}: the 'meta' entry is not valid JSON; the file is corrupt or "
                             f"not a Boltzmann Lab model.") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        found = meta.get("format") if isinstance(meta, dict) else None
        raise ModelFileError(f"{path}: unknown file format {found!r}; expected {FORMAT!r} "
                             f"(a model written by boltzmann-lab).")
    version = meta.get("version")
    if version != VERSION:
        raise ModelFileError(f"{path}: model file version {version!r} is not supported; this "
                             f"version of boltzmann-lab reads version {VERSION}. "
                             + ("Upgrade boltzmann-lab to read it."
                                if isinstance(version, int) and version > VERSION else ""))
    kind = meta.get("kind")
    if kind not in REGISTRY:
        raise ModelFileError(f"{path}: unknown model kind {kind!r}; known kinds: "
                             f"{', '.join(REGISTRY)}.")
    missing = [k for k in REQUIRED.get(kind, ()) if k not in arrays]
    if missing:
        raise ModelFileError(f"{path}: a {kind!r} model file needs the arrays "
                             f"{', '.join(REQUIRED[kind])}; missing: {', '.join(missing)}.")
    for name, a in arrays.items():
        if a.dtype.kind in "biuf" and a.size and not np.isfinite(a).all():
            raise ModelFileError(f"{path}: array {name!r} contains NaN or infinite values.")
    return meta, arrays


def load_model(path):
    """Read a model file (see module docstring) and rebuild the model object of its kind."""
    meta, arrays = read_model_file(path)
    cls = model_class(meta["kind"])
    try:
        return cls.from_arrays(meta, arrays)
    except ModelFileError:
        raise
    except (KeyError, ValueError, TypeError, IndexError) as exc:
        raise ModelFileError(f"{path}: the {meta['kind']!r} model in this file is inconsistent "
                             f"({type(exc).__name__}: {exc}).") from None
