"""What every data reader shares: the error type, the raw-samples record, memory and path checks.

Every reader returns a :class:`RawData` of float64 samples, shape (M, n), or raises
:class:`LoadError` with one paragraph naming the file and the problem (with the line or row where it
applies).  Nothing here ever unpickles.
"""

from __future__ import annotations

import errno
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from boltzmann_lab import memory as _memory


class LoadError(ValueError):
    """Data (or a model file) could not be used; the message names the file and the problem."""


@dataclass
class RawData:
    """Samples as read from a file or made by a generator, before preparation (``boltzmann_lab.data.prepare``).

    ``x`` is a (M, n) float64 array; ``image_shape`` the shape of one sample for display;
    ``labels`` optional (M,) values (digit class, temperature, component...); ``convention`` the
    units when known for sure (generators), ``None`` to detect them from the values.
    """

    x: np.ndarray
    name: str
    image_shape: tuple | None = None
    labels: np.ndarray | None = None
    convention: str | None = None
    meta: dict = field(default_factory=dict)


def available_memory() -> int | None:
    """Bytes of memory available to this process now (see :func:`boltzmann_lab.memory.available_memory`)."""
    return _memory.available_memory()


_gb = _memory.fmt_bytes


def check_memory(path, nbytes: float, what: str = "its data") -> None:
    """Refuse to read when ``nbytes`` (what reading and converting will take) exceeds the
    available memory."""
    avail = available_memory()
    if avail is not None and nbytes > avail:
        raise LoadError(f"{path}: {what} needs {_gb(nbytes)} of memory but only {_gb(avail)} is "
                        f"available; nothing was read. Use a smaller file or a subset of it "
                        f"(e.g. save x[:10000] to a new .npy).")


def check_path(path, what: str = "file or folder") -> Path:
    """``path`` as a Path when it can be opened; otherwise LoadError naming why (missing, a dangling
    symlink, a symlink loop, no permission)."""
    path = Path(path)
    try:
        os.stat(path)
    except FileNotFoundError:
        if os.path.islink(path):
            raise LoadError(f"{path}: a symbolic link to {os.readlink(path)!r}, which does not "
                            f"exist.") from None
        raise LoadError(f"{path}: no such {what}.") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise LoadError(f"{path}: a symbolic link loop (the link points, directly or through "
                            f"other links, back to itself); it names no {what}.") from None
        raise LoadError(f"{path}: cannot open it ({exc.strerror or exc}).") from None
    return path


KIND_NAMES = {"c": "complex numbers", "U": "text", "S": "bytes", "M": "dates", "m": "time spans",
              "V": "raw bytes", "O": "Python objects"}


def check_dtype(dtype, path, what="array") -> None:
    """Refuse a dtype that is not plain booleans, integers or real floats."""
    if dtype.hasobject or dtype.fields is not None:
        raise LoadError(f"{path}: the {what} has dtype {dtype}, not plain numbers; "
                        f"save a numeric array (e.g. np.save(path, x.astype(float))).")
    if dtype.kind not in "biuf":
        raise LoadError(f"{path}: the {what} has dtype {dtype} "
                        f"({KIND_NAMES.get(dtype.kind, 'not numeric')}); only booleans, "
                        f"integers and real floats can be used as data.")


def as_samples(arr: np.ndarray, path, what="array") -> tuple[np.ndarray, tuple | None]:
    """A numeric array -> ((M, n) float64, image_shape); refuse shapes that are not samples."""
    check_dtype(arr.dtype, path, what)
    if arr.ndim in (2, 3) and arr.size == 0:
        raise LoadError(f"{path}: the {what} is empty (shape {arr.shape}); it needs at least one "
                        f"sample and one unit.")
    if arr.ndim == 2:
        image_shape = None
        x = arr
    elif arr.ndim == 3:
        image_shape = (int(arr.shape[1]), int(arr.shape[2]))
        x = arr.reshape(arr.shape[0], -1)
    elif arr.ndim == 1:
        raise LoadError(f"{path}: the {what} is 1-D (shape {arr.shape}); a data set is a 2-D array "
                        f"(samples x units) or a 3-D stack of images (samples x rows x cols). "
                        f"Reshape it: x.reshape(-1, 1) for one unit per sample, x.reshape(1, -1) "
                        f"for a single sample.")
    else:
        raise LoadError(f"{path}: the {what} has {arr.ndim} dimensions (shape {arr.shape}); a data "
                        f"set is a 2-D array (samples x units) or a 3-D stack of greyscale images "
                        f"(samples x rows x cols).")
    if x.shape[0] == 0 or x.shape[1] == 0:
        raise LoadError(f"{path}: the {what} is empty (shape {arr.shape}); it needs at least one "
                        f"sample and one unit.")
    x = np.ascontiguousarray(x, dtype=np.float64)
    check_finite(x, path, "row")
    return x, image_shape


def samples_shape(shape: tuple) -> tuple[int, int] | None:
    """(M, n) that :func:`as_samples` makes of an array of ``shape`` (``None``: not samples)."""
    if len(shape) == 2:
        return int(shape[0]), int(shape[1])
    if len(shape) == 3:
        return int(shape[0]), int(shape[1]) * int(shape[2])
    return None


def check_finite(x: np.ndarray, path, unit="row", offset=0, lines=None) -> None:
    bad = ~np.isfinite(x)
    if bad.any():
        r, c = np.argwhere(bad)[0]
        value = x[r, c]
        where = f"line {lines[r]}" if lines is not None else f"{unit} {int(r) + offset}"
        raise LoadError(f"{path}: {where}, column {int(c) + 1} is {value} (NaN or infinite); "
                        f"data must be finite numbers. Remove or impute the missing values first.")


def wrap_unexpected(path, exc: Exception, kind: str) -> LoadError:
    return LoadError(f"{path}: not a readable {kind} file — it looks truncated or corrupt "
                     f"({type(exc).__name__}: {exc}).")
