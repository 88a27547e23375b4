"""Model files: ``.npz`` archives of plain arrays plus a JSON ``meta`` entry (README, "Model file").

Layout: ``numpy.savez`` of the model's arrays (names by kind: the kind record's ``files``) and one more
entry ``meta``, a 0-d string array holding JSON::

    {"format": "boltzmann-lab-model", "version": 1, "kind": "rbm", "convention": "binary", ...}

where ``...`` is the model's own meta (``to_arrays``).  Files are written atomically (a temporary
file in the same folder, then ``os.replace``) and read headers first (:func:`read_model_header`):
the JSON meta and every array's ``.npy`` header are checked — kind, convention, real-float dtypes,
shapes consistent with each other and with the meta (``FileLayout.arrays``), no empty model, the declared
size against the available memory — before any array is read, and then exactly the declared bytes
are read.  Nothing here ever unpickles.  Model classes are found through :data:`REGISTRY` (kind -> ``"module:Class"``)
and must provide ``to_arrays() -> (meta, arrays)`` and ``from_arrays(meta, arrays)``.
"""

from __future__ import annotations

import importlib
import json
import math
import os
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from boltzmann_lab.data.loaders import LoadError
from boltzmann_lab.kinds import KINDS

FORMAT = "boltzmann-lab-model"
VERSION = 1

#: model kind -> "module:Class" implementing the model protocol (from the kind records; the
#: layout of each kind's files is its record's ``files``, a :class:`~boltzmann_lab.kinds.FileLayout`)
REGISTRY = {name: k.model for name, k in KINDS.items()}


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


#: kind -> array name -> accepted symbolic shapes (a kind without an entry: shapes unchecked, a
#: test lists the registered kinds that lack one).  A symbol is a dimension bound by the file's
#: own headers (the same symbol must have the same size in every array); ``n+1`` is one more than
#: ``n``.  ``dbm`` arrays are numbered: ``W<l>`` (n<l>, n<l+1>) and ``b<l>`` (n<l>,).
#: the JSON header is small; a larger "meta" entry is not a model file
MAX_META_BYTES = 1 << 20


@dataclass
class ModelHeader:
    """What a model file declares, read without its arrays: ``meta`` (the JSON header),
    ``members`` (name -> :class:`~boltzmann_lab.data.formats.npy.Member`: shape, dtype) and ``dims``
    (symbol -> size, see :class:`~boltzmann_lab.kinds.FileLayout`)."""

    path: Path
    meta: dict
    members: dict
    dims: dict

    @property
    def kind(self) -> str:
        return self.meta["kind"]

    @property
    def units(self) -> int | None:
        """Visible units: the width of the data the model describes (the layout's ``units``)."""
        sym = KINDS[self.kind].files.units
        if sym == "L*L":
            return int(self.meta["L"]) ** 2
        return None if sym not in self.dims else int(self.dims[sym])

    @property
    def all_units(self) -> int:
        """Visible plus hidden units (what one sample of the joint state holds)."""
        if self.kind == "rbm":
            return self.dims["v"] + self.dims["h"]
        if self.kind == "dbm":
            return sum(v for k, v in self.dims.items() if k.startswith("n"))
        if self.units is None:      # unknown layout: the largest array's element count bounds it
            return max([m.count for m in self.members.values()] + [1])
        return self.units

    @property
    def nbytes(self) -> int:
        return sum(m.nbytes for m in self.members.values())


def _bind(path, name, shape, options, dims):
    """Match ``shape`` against one of the symbolic ``options``, binding symbols in ``dims``."""
    for option in options:
        if len(option) != len(shape):
            continue
        trial = dict(dims)
        ok = True
        for sym, size in zip(option, shape):
            base, plus = (sym.split("+") + ["0"])[:2]
            size = int(size) - int(plus)
            if trial.setdefault(base, size) != size:
                ok = False
                break
        if ok:
            dims.update(trial)
            return
    want = " or ".join("(" + ", ".join(o) + ("," if len(o) == 1 else "") + ")" for o in options)
    known = ", ".join(f"{k} = {v}" for k, v in dims.items())
    raise ModelFileError(f"{path}: array {name!r} has shape {tuple(shape)}, but this model needs "
                         f"{want}" + (f" with {known} from its other arrays" if known else "")
                         + "; the file is inconsistent or crafted, and was not read.")


def _meta_number(path, meta, key, kind, low=None, integer=False):
    value = meta.get(key)
    ok_type = isinstance(value, int) if integer else isinstance(value, (int, float))
    finite = ok_type and (isinstance(value, int) or math.isfinite(value))
    if isinstance(value, bool) or not finite or (low is not None and value < low) \
            or (integer and value > 1 << 20):
        need = "an integer" if integer else "a finite number"
        raise ModelFileError(f"{path}: a {kind!r} model file needs meta {key!r} = {need}"
                             + (f" >= {low}" if low is not None else "")
                             + f"; it holds {value!r}.")
    return value


def read_model_header(path) -> ModelHeader:
    """Read a model file's JSON header and every array's ``.npy`` header (no array data), and
    check them: format, version, kind, convention, array names, dtypes (real floats), shapes
    consistent with each other and with the meta, no empty model, and the declared size against
    the available memory.  Raises :class:`ModelFileError` naming the file and the problem."""
    from boltzmann_lab import memory
    from boltzmann_lab.data.loaders import NpzArchive, check_path

    path = Path(path)
    try:
        check_path(path, "model file")
    except LoadError as exc:
        raise ModelFileError(str(exc)) from None
    try:
        with open(path, "rb") as fh:
            is_zip = fh.read(4) == b"PK\x03\x04"
    except OSError as exc:
        raise ModelFileError(f"{path}: cannot read the model file ({exc.strerror or exc}).") from None
    if not is_zip:
        raise ModelFileError(f"{path}: not a Boltzmann Lab model file (expected an .npz "
                             f"archive with a 'meta' entry, written by boltzmann-lab train).")
    with NpzArchive(path, error=ModelFileError, what="model file") as z:
        if "meta" not in z.members:
            raise ModelFileError(f"{path}: not a Boltzmann Lab model file (no 'meta' entry); "
                                 f"arrays found: {', '.join(z.members) or 'none'}.")
        m = z.members["meta"]
        if m.dtype.kind not in "US" or m.shape != () or m.nbytes > MAX_META_BYTES:
            raise ModelFileError(f"{path}: the 'meta' entry is not a JSON string (dtype "
                                 f"{m.dtype}, shape {m.shape}); the file is corrupt or not a "
                                 f"Boltzmann Lab model.")
        raw_meta = z.read("meta")
        members = {k: v for k, v in z.members.items() if k != "meta"}
    try:
        meta = json.loads(str(raw_meta[()]))
    except (ValueError, TypeError, RecursionError):
        raise ModelFileError(f"{path}: the 'meta' entry is not valid JSON; the file is corrupt or "
                             f"not a Boltzmann Lab model.") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        found = meta.get("format") if isinstance(meta, dict) else None
        raise ModelFileError(f"{path}: unknown file format {found!r}; expected {FORMAT!r} "
                             f"(a model written by boltzmann-lab).")
    version = meta.get("version")
    if version != VERSION or isinstance(version, bool):
        raise ModelFileError(f"{path}: model file version {version!r} is not supported; this "
                             f"version of boltzmann-lab reads version {VERSION}. "
                             + ("Upgrade boltzmann-lab to read it."
                                if isinstance(version, int) and version > VERSION else ""))
    kind = meta.get("kind")
    if not isinstance(kind, str) or kind not in REGISTRY:
        raise ModelFileError(f"{path}: unknown model kind {kind!r}; known kinds: "
                             f"{', '.join(REGISTRY)}.")
    layout = KINDS[kind].files
    conv = meta.get("convention")
    allowed = layout.conventions
    if not isinstance(conv, str) or conv not in allowed:
        raise ModelFileError(f"{path}: a {kind!r} model has convention "
                             f"{' or '.join(map(repr, allowed))}, but the file declares {conv!r}.")
    missing = [k for k in layout.required if k not in members]
    if missing:
        raise ModelFileError(f"{path}: a {kind!r} model file needs the arrays "
                             f"{', '.join(layout.required)}; missing: {', '.join(missing)}.")
    kinds = layout.dtype
    spec = layout.shapes(members)
    if kind == "ising":
        L = _meta_number(path, meta, "L", kind, low=2, integer=True)
        _meta_number(path, meta, "T", kind)
        for key in ("J", "H"):
            if key in meta:
                _meta_number(path, meta, key, kind)
        if not meta["T"] > 0:
            raise ModelFileError(f"{path}: an 'ising' model file needs a positive temperature "
                                 f"T; it holds T = {meta['T']!r}.")
        dims = {"L": L}
    else:
        dims = {}
    for name, mem in members.items():
        if mem.dtype.hasobject or mem.dtype.kind not in kinds or mem.dtype.fields is not None:
            what = {"f": "real floating-point numbers", "i": "integers"}
            raise ModelFileError(f"{path}: array {name!r} has dtype {mem.dtype}; a {kind!r} "
                                 f"model stores {' or '.join(what[k] for k in kinds)} (complex, "
                                 f"boolean, text or object arrays are refused).")
        if spec is not None and name in spec:
            _bind(path, name, mem.shape, spec[name], dims)
    for sym, size in dims.items():
        if size < (0 if sym in layout.may_be_empty else 1):
            raise ModelFileError(f"{path}: the {kind!r} model has {size} units ({sym} = {size}); "
                                 f"a model needs at least one.")
    if kind == "dbm":
        layers = sum(1 for k in members if k.startswith("b") and k[1:].isdigit())
        if not 3 <= layers <= 4 or any(f"W{l}" not in members for l in range(layers - 1)) \
                or any(f"b{l}" not in members for l in range(layers)):
            raise ModelFileError(f"{path}: a 'dbm' model file needs W0..W{{L-2}} and b0..b{{L-1}} "
                                 f"for 3 or 4 layers; it holds {', '.join(sorted(members))}.")
        if meta.get("layers", layers) != layers:
            raise ModelFileError(f"{path}: the meta says {meta.get('layers')!r} layers but the "
                                 f"file holds {layers}.")
    for key, sym in (("n", "n"), ("components", "K")):
        if key in meta and sym in dims and kind in ("maxent", "mixture") and meta[key] != dims[sym]:
            raise ModelFileError(f"{path}: the meta says {key} = {meta[key]!r} but the arrays "
                                 f"have {dims[sym]}; the file is inconsistent.")
    biggest = max([mem.nbytes for k, mem in members.items() if spec and k in spec] + [0])
    for name, mem in members.items():
        if spec is not None and name not in spec and mem.nbytes > max(biggest, 1 << 16):
            raise ModelFileError(f"{path}: array {name!r} ({mem.shape}, {mem.dtype}) is larger "
                                 f"than the model's own parameters; it is not part of a "
                                 f"{kind!r} model and was not read.")
    header = ModelHeader(path, meta, members, dims)
    # reading + the model's own copies (float64 conversion, derived arrays)
    memory.check_bytes(3 * header.nbytes + 8 * sum(m.count for m in members.values()),
                       "reading this model", "The file declares arrays larger than this "
                       "machine can hold.", source=str(path))
    return header


def read_model_file(path) -> tuple[dict, dict[str, np.ndarray]]:
    """Read and validate a model file without building the model: ``(meta, arrays)``.

    Headers first (:func:`read_model_header`), then exactly the declared bytes of each array;
    every value must be finite."""
    header = read_model_header(path)
    path = header.path
    from boltzmann_lab.data.loaders import NpzArchive

    arrays = {}
    with NpzArchive(path, error=ModelFileError, what="model file") as z:
        for name in header.members:
            a = z.read(name)
            if a.size and a.dtype.kind == "f" and not np.isfinite(a).all():
                raise ModelFileError(f"{path}: array {name!r} contains NaN or infinite values.")
            arrays[name] = a
    return header.meta, arrays


def load_model(path):
    """Read a model file (see module docstring) and rebuild the model object of its kind."""
    meta, arrays = read_model_file(path)
    cls = model_class(meta["kind"])
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", np.exceptions.ComplexWarning)
            model = cls.from_arrays(meta, arrays)
    except ModelFileError:
        raise
    except (KeyError, ValueError, TypeError, IndexError, ArithmeticError,
            np.exceptions.ComplexWarning) as exc:
        raise ModelFileError(f"{path}: the {meta['kind']!r} model in this file is inconsistent "
                             f"({type(exc).__name__}: {exc}).") from None
    if getattr(model, "convention", meta["convention"]) != meta["convention"]:
        raise ModelFileError(f"{path}: the file declares convention {meta['convention']!r} but "
                             f"its {meta['kind']!r} model has {model.convention!r} units; the file "
                             f"is inconsistent.")
    return model
