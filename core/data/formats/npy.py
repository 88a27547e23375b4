"""``.npy`` and ``.npz`` files, read headers first and never beyond what the headers declare.

* :func:`read_npy_header` — the magic and header of one ``.npy`` stream: shape, order, dtype.
* :class:`NpzArchive` — an ``.npz`` (zip of ``.npy`` members) opened by reading every member's
  header only; each member's declared size (shape x itemsize) must match the size the zip directory
  records, and :meth:`NpzArchive.read` reads exactly that many bytes (in bounded chunks, into one
  preallocated array), so a crafted member can neither inflate past its header nor make a reader
  allocate more than the header says.  Model files (``boltzmann_lab.io.modelio``) and sessions
  (``boltzmann_lab.io.session``) use it too.
* :func:`load_npy`, :func:`load_npz` — data files (one array, chosen by ``key`` in an archive).
* :func:`read_npy` — one plain ``.npy`` array with an expected shape checked before reading (masks).

Object (pickled) arrays are refused, never unpickled; sizes are checked against the available
memory before anything is read.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from boltzmann_lab.data.formats.base import (LoadError, RawData, as_samples, check_dtype,
                                             check_memory, samples_shape, wrap_unexpected)

#: bytes read at a time from a zip member (bounds the temporary beside the output array)
CHUNK = 1 << 24
MAX_HEADER = 100_000


def read_npy_header(f, path, error=LoadError):
    """Magic + header of an .npy stream -> (shape, fortran_order, dtype, header_end_offset)."""
    try:
        version = np.lib.format.read_magic(f)
    except ValueError:
        raise error(f"{path}: not a NumPy .npy array (the magic bytes are missing); the file "
                    f"is corrupt or has another format.") from None
    try:
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(f, max_header_size=MAX_HEADER)
        elif version == (2, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(f, max_header_size=MAX_HEADER)
        else:
            # Format 3.0 exists only for structured arrays with UTF-8 field names: never numeric data.
            raise error(f"{path}: .npy format version {version[0]}.{version[1]} holds a "
                        f"structured array, not plain numbers; save a numeric array.")
    except LoadError:
        raise
    except Exception as exc:  # malformed header: report it as corrupt
        raise error(f"{path}: the .npy header is corrupt ({exc}).") from None
    if any(int(s) < 0 for s in shape):
        raise error(f"{path}: the .npy header declares a negative size {shape}.")
    return tuple(int(s) for s in shape), bool(fortran), dtype, f.tell()


def refuse_object(path, dtype, what="array", error=LoadError):
    if dtype.hasobject:
        raise error(f"{path}: the {what} holds Python objects (dtype {dtype}), which could "
                    f"only be read by unpickling — and unpickling a file can run arbitrary "
                    f"code. It was refused and not read. Save plain numbers instead "
                    f"(np.save(path, np.asarray(x, dtype=float))).")


def _count(shape) -> int:
    c = 1
    for s in shape:
        c *= int(s)
    return c


def read_data(f, shape, fortran, dtype, path, error=LoadError) -> np.ndarray:
    """Read exactly the bytes of an array of ``shape``/``dtype`` from ``f`` (chunked, into one
    preallocated array); a short read is reported as truncation."""
    count = _count(shape)
    out = np.empty(count, dtype=dtype)
    view = memoryview(out).cast("B") if out.nbytes else memoryview(b"")
    done, need = 0, out.nbytes
    while done < need:
        chunk = f.read(min(CHUNK, need - done))
        if not chunk:
            raise error(f"{path}: the data are truncated: the header declares shape {shape} "
                        f"({dtype}), {need} bytes, but only {done} follow.")
        view[done:done + len(chunk)] = chunk
        done += len(chunk)
    if fortran:
        return out.reshape(shape[::-1]).transpose()
    return out.reshape(shape)


@dataclass(frozen=True)
class Member:
    """One array of an archive as its header declares it."""

    key: str
    name: str
    shape: tuple
    dtype: np.dtype
    fortran: bool
    offset: int

    @property
    def count(self) -> int:
        return _count(self.shape)

    @property
    def nbytes(self) -> int:
        return self.count * self.dtype.itemsize


class NpzArchive:
    """An ``.npz`` archive opened headers-first (module docstring).  Use as a context manager.

    ``members`` maps each array name (the member name without ``.npy``) to its :class:`Member`.
    Errors are raised as ``error`` (a LoadError subclass) with the file and the member named.
    """

    def __init__(self, path, error=LoadError, what="archive"):
        self.path = Path(path)
        self.error = error
        self.zf = None
        try:
            self.zf = zipfile.ZipFile(self.path)
            self.members: dict[str, Member] = {}
            for info in self.zf.infolist():
                if info.is_dir():
                    continue
                key = info.filename[:-4] if info.filename.endswith(".npy") else info.filename
                where = f"{self.path}[{key}]"
                if key in self.members:
                    raise error(f"{self.path}: the {what} holds two arrays named {key!r}; it is "
                                f"corrupt or was not written by numpy.")
                with self.zf.open(info) as f:
                    shape, fortran, dtype, offset = read_npy_header(f, where, error)
                m = Member(key, info.filename, shape, dtype, fortran, offset)
                if not dtype.hasobject and info.file_size != offset + m.nbytes:
                    raise error(f"{where}: the member holds {info.file_size} bytes but its header "
                                f"declares shape {shape} ({dtype}), {offset + m.nbytes} bytes; the "
                                f"{what} is corrupt or crafted, and was not read.")
                self.members[key] = m
        except BaseException as exc:
            self.close()
            if isinstance(exc, (LoadError, error)):
                raise
            if isinstance(exc, FileNotFoundError):
                raise error(f"{self.path}: no such file.") from None
            if isinstance(exc, (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError)):
                raise error(f"{self.path}: not a valid .npz (zip) {what} — it is truncated or "
                            f"corrupt ({exc}).") from None
            if isinstance(exc, OSError):
                raise error(f"{self.path}: cannot read the file ({exc.strerror or exc}).") from None
            if isinstance(exc, Exception):
                raise error(f"{self.path}: not a readable .npz {what}: it looks truncated or "
                            f"corrupt ({type(exc).__name__}: {exc}).") from None
            raise

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        if self.zf is not None:
            self.zf.close()
            self.zf = None

    def total_bytes(self, keys=None) -> int:
        """Declared bytes of the arrays ``keys`` (default all)."""
        keys = self.members if keys is None else keys
        return sum(self.members[k].nbytes for k in keys)

    def read(self, key) -> np.ndarray:
        """The array ``key``: object dtype refused, exactly the declared bytes read."""
        m = self.members[key]
        where = f"{self.path}[{key}]"
        refuse_object(where, m.dtype, error=self.error)
        if self.zf is None:
            raise ValueError("the archive is closed")
        try:
            with self.zf.open(m.name) as f:
                f.read(m.offset)
                return read_data(f, m.shape, m.fortran, m.dtype, where, self.error)
        except (LoadError, self.error):
            raise
        except (zipfile.BadZipFile, EOFError, OSError, ValueError, RuntimeError) as exc:
            raise self.error(f"{where}: cannot read the array: the archive is truncated or "
                             f"corrupt ({type(exc).__name__}: {exc}).") from None


# ------------------------------------------------------------------------------ .npy data
def _npy_header(path):
    path = Path(path)
    size = path.stat().st_size
    if size == 0:
        raise LoadError(f"{path}: the file is empty (0 bytes).")
    with open(path, "rb") as f:
        shape, fortran, dtype, offset = read_npy_header(f, path)
    return size, shape, fortran, dtype, offset


def npy_shape(path) -> tuple:
    """The shape an ``.npy`` file's header declares (nothing else is read)."""
    try:
        return _npy_header(path)[1]
    except LoadError:
        raise
    except OSError as exc:
        raise LoadError(f"{path}: cannot read the file ({exc.strerror or exc}).") from None


def read_npy(path, expected_shape=None, kinds="biuf", what="array", error=LoadError) -> np.ndarray:
    """One plain ``.npy`` array: header first (object dtype refused, ``expected_shape`` and dtype
    kind checked, memory checked), then exactly the declared bytes."""
    path = Path(path)
    try:
        size, shape, fortran, dtype, offset = _npy_header(path)
        refuse_object(path, dtype, what, error)
        if dtype.kind not in kinds or dtype.fields is not None:
            raise error(f"{path}: the {what} has dtype {dtype}; expected "
                        + ", ".join({"b": "booleans", "i": "integers", "u": "integers",
                                     "f": "real floats"}[k] for k in dict.fromkeys(kinds)) + ".")
        if expected_shape is not None and tuple(shape) != tuple(expected_shape):
            raise error(f"{path}: the {what} must have shape {tuple(expected_shape)}, but its "
                        f"header declares {tuple(shape)}; nothing was read.")
        count = _count(shape)
        check_memory(path, 8 * count + dtype.itemsize * count, f"the {what}")
        if size < offset + count * dtype.itemsize:
            raise error(f"{path}: the file is truncated: its header promises shape {shape} "
                        f"({dtype}), {offset + count * dtype.itemsize} bytes, but the file has "
                        f"only {size}.")
        with open(path, "rb") as f:
            f.seek(offset)
            return read_data(f, shape, fortran, dtype, path, error)
    except LoadError:
        raise
    except FileNotFoundError:
        raise error(f"{path}: no such file.") from None
    except OSError as exc:
        raise error(f"{path}: cannot read the file ({exc.strerror or exc}).") from None


def load_npy(path) -> RawData:
    """Read a ``.npy`` file: header first (object dtype refused, memory and size checked), then
    exactly the declared bytes (``allow_pickle`` never arises: nothing is unpickled)."""
    path = Path(path)
    try:
        _, shape, _, dtype, _ = _npy_header(path)
        refuse_object(path, dtype)
        check_dtype(dtype, path)
        arr = read_npy(path)
    except LoadError:
        raise
    except FileNotFoundError:
        raise LoadError(f"{path}: no such file.") from None
    except OSError as exc:
        raise LoadError(f"{path}: cannot read the file ({exc.strerror or exc}).") from None
    except Exception as exc:
        raise wrap_unexpected(path, exc, ".npy") from None
    x, image_shape = as_samples(np.asarray(arr), path)
    return RawData(x, name=path.name, image_shape=image_shape, meta={"source": str(path)})


# ------------------------------------------------------------------------------ .npz data
LABEL_KEYS = ("labels", "label", "y", "target", "targets")


def _choose(archive: NpzArchive, key):
    """(data key, labels key or None) of an archive, as :func:`load_npz` documents."""
    path, members = archive.path, archive.members
    if not members:
        raise LoadError(f"{path}: the .npz archive holds no arrays.")
    listing = ", ".join(f"{k!r} {m.shape}" for k, m in members.items())
    if key is None:
        data_keys = [k for k in members if k.lower() not in LABEL_KEYS and k != "meta"]
        label_keys = [k for k in members if k.lower() in LABEL_KEYS]
        if len(data_keys) == 1:
            return data_keys[0], (label_keys[0] if len(label_keys) == 1 else None)
        raise LoadError(f"{path}: the archive holds several arrays ({listing}); say which one is "
                        f"the data with [data] key = \"NAME\" (or --key NAME on the command "
                        f"line).")
    if key not in members:
        raise LoadError(f"{path}: there is no array {key!r} in the archive; it holds {listing}.")
    return key, None


def npz_shape(path, key=None) -> tuple:
    """The shape the header of the chosen array of an ``.npz`` declares (nothing else is read)."""
    with NpzArchive(path) as z:
        k, _ = _choose(z, key)
        return z.members[k].shape


def load_npz(path, key: str | None = None) -> RawData:
    """Read one array of a ``.npz`` archive (``key``; default the only array, or the only
    non-label array when the other is named like labels).  Headers are checked before reading."""
    path = Path(path)
    try:
        if path.stat().st_size == 0:
            raise LoadError(f"{path}: the file is empty (0 bytes).")
        with NpzArchive(path) as z:
            key, labels_key = _choose(z, key)
            m = z.members[key]
            refuse_object(f"{path}[{key}]", m.dtype)
            check_dtype(m.dtype, path, f"array {key!r}")
            check_memory(path, 8 * m.count + m.nbytes, f"array {key!r}")
            arr = z.read(key)
            labels = None
            if labels_key is not None:
                lab = z.members[labels_key]
                if (not lab.dtype.hasobject and lab.dtype.kind in "biuf" and len(lab.shape) == 1
                        and len(m.shape) >= 1 and lab.shape[0] == m.shape[0]):
                    labels = np.asarray(z.read(labels_key), dtype=np.float64)
    except LoadError:
        raise
    except FileNotFoundError:
        raise LoadError(f"{path}: no such file.") from None
    except OSError as exc:
        raise LoadError(f"{path}: cannot read the file ({exc.strerror or exc}).") from None
    except Exception as exc:
        raise wrap_unexpected(path, exc, ".npz") from None
    x, image_shape = as_samples(np.asarray(arr), path, f"array {key!r}")
    return RawData(x, name=f"{path.name}[{key}]", image_shape=image_shape, labels=labels,
                   meta={"source": str(path), "key": key})


def peek_npy(path):
    """(M, n) of an ``.npy`` data file from its header, or ``None``."""
    return samples_shape(npy_shape(path))


def peek_npz(path, key=None):
    """(M, n) of the chosen array of an ``.npz`` data file from its header, or ``None``."""
    return samples_shape(npz_shape(path, key))
