"""MNIST-style IDX files (``.idx``, ``*-ubyte``, ``*.idx3``..., optionally gzipped ``.gz``).

Images (N, rows, cols) keep their shape (``image_shape``); label files give one value per sample.
For an images file the matching labels file (``...-images-...`` -> ``...-labels-...``) is read too
when it exists.  The header (at most 3 dimensions) is checked before any data are read.
"""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np

from boltzmann_lab.data.formats.base import (LoadError, RawData, as_samples, check_memory,
                                             wrap_unexpected)

#: a data set is samples x units, or samples x rows x cols
MAX_DIMS = 3

_IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def _idx_open(path):
    with open(path, "rb") as f:
        gz = f.read(2) == b"\x1f\x8b"
    return (gzip.open(path, "rb") if gz else open(path, "rb")), gz


def _read_header(f, path):
    """Type code and shape from an open IDX stream (the dimensions checked)."""
    head = f.read(4)
    if len(head) < 4 or head[0] != 0 or head[1] != 0 or head[2] not in _IDX_TYPES or head[3] == 0:
        raise LoadError(f"{path}: not an IDX (MNIST-style) file: the first 4 bytes should "
                        f"be 0, 0, a type code (0x08-0x0E) and the number of dimensions.")
    dtype = np.dtype(_IDX_TYPES[head[2]])
    ndim = head[3]
    if ndim > MAX_DIMS:
        raise LoadError(f"{path}: the IDX header declares {ndim} dimensions; a data set has at "
                        f"most {MAX_DIMS} (samples, or samples x rows x cols images). The file is "
                        f"corrupt or not a data set.")
    dims_raw = f.read(4 * ndim)
    if len(dims_raw) < 4 * ndim:
        raise LoadError(f"{path}: the IDX header is truncated.")
    return dtype, struct.unpack(f">{ndim}I", dims_raw)


def idx_shape(path) -> tuple:
    """The shape an IDX file's header declares (nothing else is read)."""
    f, _ = _idx_open(path)
    try:
        with f:
            return _read_header(f, path)[1]
    except LoadError:
        raise
    except (OSError, EOFError) as exc:
        raise LoadError(f"{path}: cannot read the IDX header ({exc}).") from None


def peek_idx(path):
    """(M, n) of an IDX data file from its header."""
    shape = idx_shape(path)
    if len(shape) == 1:
        return int(shape[0]), 1
    n = 1
    for s in shape[1:]:
        n *= int(s)
    return int(shape[0]), n


def _read_idx(path) -> np.ndarray:
    path = Path(path)
    try:
        if path.stat().st_size == 0:
            raise LoadError(f"{path}: the file is empty (0 bytes).")
        f, gz = _idx_open(path)
        with f:
            dtype, shape = _read_header(f, path)
            count = int(np.prod(shape, dtype=np.float64))
            check_memory(path, 8 * count + dtype.itemsize * count, "the IDX array")
            nbytes = count * dtype.itemsize
            body = f.read(nbytes)
            if len(body) < nbytes:
                raise LoadError(f"{path}: the file is truncated: its header promises shape "
                                f"{shape}, {nbytes} bytes of data, but only {len(body)} follow.")
            arr = np.frombuffer(body, dtype=dtype).reshape(shape)
    except LoadError:
        raise
    except FileNotFoundError:
        raise LoadError(f"{path}: no such file.") from None
    except OSError as exc:
        raise LoadError(f"{path}: cannot read the IDX file: it is truncated or corrupt ({exc}).") \
            from None
    except Exception as exc:
        raise wrap_unexpected(path, exc, "IDX") from None
    return arr


def _labels_sibling(path: Path) -> Path | None:
    name = path.name
    for a, b in (("images", "labels"), ("Images", "Labels")):
        if a in name:
            base = [name.replace(a, b).replace("idx3", "idx1"), name.replace(a, b)]
            cands = base + [c[:-3] if c.endswith(".gz") else c + ".gz" for c in base]
            for cand in cands:
                p = path.with_name(cand)
                if p.exists() and p != path:
                    return p
    return None


def load_idx(path) -> RawData:
    """Read an IDX file (MNIST format, gzipped or not).  Images (N, rows, cols) are flattened with
    ``image_shape = (rows, cols)``; a 1-D labels file gives one column.  For an images file the
    matching labels file, when present beside it, becomes ``labels``."""
    path = Path(path)
    arr = _read_idx(path)
    if arr.ndim == 1:
        arr = arr.reshape(-1, 1)
    x, image_shape = as_samples(arr, path, "IDX array")
    labels = None
    lab_path = _labels_sibling(path)
    if lab_path is not None:
        try:
            lab = _read_idx(lab_path)
            if lab.ndim == 1 and len(lab) == len(x):
                labels = lab.astype(np.float64)
        except LoadError:
            labels = None   # the labels are optional; a bad labels file does not spoil the images
    meta = {"source": str(path)}
    if labels is not None:
        meta["labels_file"] = str(lab_path)
    return RawData(x, name=path.name, image_shape=image_shape, labels=labels, meta=meta)
