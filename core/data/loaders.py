"""Reading data files into arrays, safely: one loader per format, and one error type.

Formats (chosen by the file name, see :func:`load_path`):

* ``.npy`` — read with ``allow_pickle=False``; object/pickled arrays are refused (never unpickled);
  the header's shape and dtype are checked against the available memory *before* reading.
* ``.npz`` — the array is chosen by ``key``; when several arrays could be meant, the error lists them.
* ``.csv`` / ``.txt`` / ``.tsv`` / ``.dat`` — numbers separated by ``,`` ``;`` tab or spaces (detected),
  an optional header line, ``#`` comments; errors name the line.
* MNIST-style IDX (``.idx``, ``*-ubyte``, ``*.idx3``..., optionally gzipped ``.gz``) — images
  (N, rows, cols) keep their shape; label files give one value per sample.  For an images file the
  matching labels file (``...-images-...`` -> ``...-labels-...``) is read too when it exists.
* A folder of PNG/JPEG images (or one image) — converted to greyscale in [0, 1] and resized to one
  common size (``image_size``, default the first image's size).  PNG is decoded here (8/16-bit,
  grey/RGB/palette/alpha, non-interlaced); JPEG needs Pillow (``pip install pillow``).

Every loader returns a :class:`RawData` of float64 samples, shape (M, n), or raises
:class:`LoadError` with one paragraph naming the file and the problem (with the line or row where it
applies).  Nothing here ever unpickles.
"""

from __future__ import annotations

import gzip
import io
import os
import struct
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np


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


# ------------------------------------------------------------------------------ helpers
def available_memory() -> int | None:
    """Bytes of memory available to this process now (Linux ``MemAvailable``), or ``None``."""
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):
        return None


def _gb(nbytes: float) -> str:
    if nbytes >= 1e9:
        return f"{nbytes / 1e9:.1f} GB"
    if nbytes >= 1e6:
        return f"{nbytes / 1e6:.1f} MB"
    return f"{int(nbytes)} bytes"


def check_memory(path, nbytes: int, what: str = "its data") -> None:
    """Refuse to read when ``nbytes`` (what the float64 array will take) exceeds available memory."""
    avail = available_memory()
    if avail is not None and nbytes > avail:
        raise LoadError(f"{path}: {what} needs {_gb(nbytes)} of memory as float64 but only "
                        f"{_gb(avail)} is available; nothing was read. Use a smaller file or a "
                        f"subset of it (e.g. save x[:10000] to a new .npy).")


def _as_samples(arr: np.ndarray, path, what="array") -> tuple[np.ndarray, tuple | None]:
    """A numeric array -> ((M, n) float64, image_shape); refuse shapes that are not samples."""
    if arr.dtype.hasobject or arr.dtype.fields is not None:
        raise LoadError(f"{path}: the {what} has dtype {arr.dtype}, not plain numbers; "
                        f"save a numeric array (e.g. np.save(path, x.astype(float))).")
    if arr.dtype.kind not in "biuf":
        raise LoadError(f"{path}: the {what} has dtype {arr.dtype} ({_KIND_NAMES.get(arr.dtype.kind, 'not numeric')}); "
                        f"only booleans, integers and real floats can be used as data.")
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
    _check_finite(x, path, "row")
    return x, image_shape


_KIND_NAMES = {"c": "complex numbers", "U": "text", "S": "bytes", "M": "dates", "m": "time spans",
               "V": "raw bytes", "O": "Python objects"}


def _check_finite(x: np.ndarray, path, unit="row", offset=0, lines=None) -> None:
    bad = ~np.isfinite(x)
    if bad.any():
        r, c = np.argwhere(bad)[0]
        value = x[r, c]
        where = f"line {lines[r]}" if lines is not None else f"{unit} {int(r) + offset}"
        raise LoadError(f"{path}: {where}, column {int(c) + 1} is {value} (NaN or infinite); "
                        f"data must be finite numbers. Remove or impute the missing values first.")


def _wrap_unexpected(path, exc: Exception, kind: str) -> LoadError:
    return LoadError(f"{path}: not a readable {kind} file — it looks truncated or corrupt "
                     f"({type(exc).__name__}: {exc}).")


# ------------------------------------------------------------------------------ .npy
def _read_npy_header(f, path):
    """Magic + header of an .npy stream -> (shape, fortran_order, dtype, header_end_offset)."""
    try:
        version = np.lib.format.read_magic(f)
    except ValueError:
        raise LoadError(f"{path}: not a NumPy .npy file (the magic bytes are missing); the file "
                        f"is corrupt or has another format.") from None
    try:
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(f, max_header_size=100000)
        elif version == (2, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(f, max_header_size=100000)
        else:
            # Format 3.0 exists only for structured arrays with UTF-8 field names: never numeric data.
            raise LoadError(f"{path}: .npy format version {version[0]}.{version[1]} holds a "
                            f"structured array, not plain numbers; save a numeric array.")
    except LoadError:
        raise
    except Exception as exc:  # malformed header: report it as corrupt
        raise LoadError(f"{path}: the .npy header is corrupt ({exc}).") from None
    return shape, fortran, dtype, f.tell()


def _refuse_object(path, dtype, what="array"):
    if dtype.hasobject:
        raise LoadError(f"{path}: the {what} holds Python objects (dtype {dtype}), which could "
                        f"only be read by unpickling — and unpickling a file can run arbitrary "
                        f"code. It was refused and not read. Save plain numbers instead "
                        f"(np.save(path, np.asarray(x, dtype=float))).")


def load_npy(path) -> RawData:
    """Read a ``.npy`` file: header first (object dtype refused, memory and size checked), then
    the array with ``allow_pickle=False``."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size == 0:
            raise LoadError(f"{path}: the file is empty (0 bytes).")
        with open(path, "rb") as f:
            shape, fortran, dtype, offset = _read_npy_header(f, path)
            _refuse_object(path, dtype)
            count = int(np.prod(shape, dtype=np.float64)) if len(shape) else 1
            check_memory(path, 8 * count + dtype.itemsize * count, "the array")
            need = offset + count * dtype.itemsize
            if size < need:
                raise LoadError(f"{path}: the file is truncated: its header promises shape "
                                f"{shape} ({dtype}), {need} bytes, but the file has only {size}.")
            f.seek(0)
            arr = np.load(f, allow_pickle=False)
    except LoadError:
        raise
    except OSError as exc:
        raise LoadError(f"{path}: cannot read the file ({exc.strerror or exc}).") from None
    except Exception as exc:
        raise _wrap_unexpected(path, exc, ".npy") from None
    x, image_shape = _as_samples(np.asarray(arr), path)
    return RawData(x, name=path.name, image_shape=image_shape, meta={"source": str(path)})


# ------------------------------------------------------------------------------ .npz
LABEL_KEYS = ("labels", "label", "y", "target", "targets")


def load_npz(path, key: str | None = None) -> RawData:
    """Read one array of a ``.npz`` archive (``key``; default the only array, or the only
    non-label array when the other is named like labels).  Entries are checked before reading."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size == 0:
            raise LoadError(f"{path}: the file is empty (0 bytes).")
        with zipfile.ZipFile(path) as zf:
            members = {n[:-4] if n.endswith(".npy") else n: n for n in zf.namelist()}
            if not members:
                raise LoadError(f"{path}: the .npz archive holds no arrays.")
            info = {}
            for k, member in members.items():
                with zf.open(member) as f:
                    shape, _, dtype, _ = _read_npy_header(f, f"{path}[{k}]")
                info[k] = (shape, dtype)
            listing = ", ".join(f"{k!r} {info[k][0]}" for k in members)
            labels_key = None
            if key is None:
                data_keys = [k for k in members if k.lower() not in LABEL_KEYS and k != "meta"]
                label_keys = [k for k in members if k.lower() in LABEL_KEYS]
                if len(data_keys) == 1:
                    key = data_keys[0]
                    labels_key = label_keys[0] if len(label_keys) == 1 else None
                else:
                    raise LoadError(f"{path}: the archive holds several arrays ({listing}); say "
                                    f"which one is the data with [data] key = \"NAME\" (or "
                                    f"--key NAME on the command line).")
            elif key not in members:
                raise LoadError(f"{path}: there is no array {key!r} in the archive; it holds "
                                f"{listing}.")
            shape, dtype = info[key]
            _refuse_object(f"{path}[{key}]", dtype)
            count = int(np.prod(shape, dtype=np.float64)) if len(shape) else 1
            check_memory(path, 8 * count + dtype.itemsize * count, f"array {key!r}")

            def read(k):
                with zf.open(members[k]) as f:
                    return np.lib.format.read_array(f, allow_pickle=False)

            arr = read(key)
            labels = None
            if labels_key is not None:
                lab_shape, lab_dtype = info[labels_key]
                if (not lab_dtype.hasobject and lab_dtype.kind in "biuf" and len(lab_shape) == 1
                        and len(shape) >= 1 and lab_shape[0] == shape[0]):
                    labels = np.asarray(read(labels_key), dtype=np.float64)
    except LoadError:
        raise
    except FileNotFoundError:
        raise LoadError(f"{path}: no such file.") from None
    except (zipfile.BadZipFile, zipfile.LargeZipFile) as exc:
        raise LoadError(f"{path}: not a valid .npz (zip) archive — it is truncated or corrupt "
                        f"({exc}).") from None
    except OSError as exc:
        raise LoadError(f"{path}: cannot read the file ({exc.strerror or exc}).") from None
    except Exception as exc:
        raise _wrap_unexpected(path, exc, ".npz") from None
    x, image_shape = _as_samples(np.asarray(arr), path, f"array {key!r}")
    return RawData(x, name=f"{path.name}[{key}]", image_shape=image_shape, labels=labels,
                   meta={"source": str(path), "key": key})


# ------------------------------------------------------------------------------ text
_DELIMS = (",", ";", "\t")


def _split(line: str, delim: str | None) -> list[str]:
    return [t.strip() for t in line.split(delim)] if delim else line.split()


def _is_number(token: str) -> bool:
    try:
        float(token)
        return True
    except ValueError:
        return False


def load_text(path) -> RawData:
    """Read numbers from a text file (CSV and friends).

    The delimiter is detected from the first data lines (``,`` ``;`` tab, else whitespace).  A first
    line that is not all numbers, followed by numeric lines, is a header (kept in ``meta``).
    Blank lines and lines starting with ``#`` are skipped.  Errors name the line (1-based).
    """
    path = Path(path)
    try:
        size = path.stat().st_size
        # Each number takes at least 2 characters ("0,"), so size/2 values at most.
        check_memory(path, 8 * (size // 2 + 1) + size * 2, "its text")
        raw = path.read_bytes()
    except LoadError:
        raise
    except FileNotFoundError:
        raise LoadError(f"{path}: no such file.") from None
    except OSError as exc:
        raise LoadError(f"{path}: cannot read the file ({exc.strerror or exc}).") from None
    if not raw.strip():
        raise LoadError(f"{path}: the file is empty (no numbers in it).")
    if b"\x00" in raw:
        raise LoadError(f"{path}: this is not a text file (it contains binary bytes); "
                        f"for NumPy data use .npy or .npz.")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise LoadError(f"{path}: this is not UTF-8 text (byte {exc.start}); save it as plain "
                        f"UTF-8 CSV.") from None
    lines = [(i + 1, ln.strip()) for i, ln in enumerate(text.splitlines())]
    lines = [(no, ln) for no, ln in lines if ln and not ln.startswith("#")]
    if not lines:
        raise LoadError(f"{path}: the file has no data lines (only blank or # comment lines).")

    sample = [ln for _, ln in lines[:20]]
    delim = None
    for d in _DELIMS:
        # the first separator present on at least half the lines (ragged rows are reported
        # later, by line number)
        if sum(d in ln for ln in sample) * 2 >= len(sample):
            delim = d
            break
    header = None
    first_no, first = lines[0]
    if not all(_is_number(t) for t in _split(first, delim)):
        if len(lines) > 1 and all(_is_number(t) for t in _split(lines[1][1], delim)):
            header = _split(first, delim)
            lines = lines[1:]
    if not lines:
        raise LoadError(f"{path}: the file has a header line but no data lines.")

    x = None
    try:
        body = "\n".join(ln for _, ln in lines)
        x = np.loadtxt(io.StringIO(body), delimiter=delim, dtype=np.float64, ndmin=2,
                       comments=None)
    except (ValueError, TypeError):
        x = None
    if x is None or x.shape[0] != len(lines):
        # Slow path: find the first bad line and say exactly what is wrong with it.
        width = None
        width_no = None
        for no, ln in lines:
            tokens = _split(ln, delim)
            if width is None:
                width, width_no = len(tokens), no
            elif len(tokens) != width:
                raise LoadError(f"{path}: line {no} has {len(tokens)} values but line {width_no} "
                                f"has {width}; every row must have the same number of columns "
                                f"(ragged rows).")
            for c, t in enumerate(tokens):
                if not _is_number(t):
                    raise LoadError(f"{path}: line {no}, column {c + 1}: {t[:40]!r} is not a "
                                    f"number; the data must be numeric (only the first line may "
                                    f"be a header).")
        raise LoadError(f"{path}: could not read the numbers in this file.")
    if x.size == 0 or x.shape[1] == 0:
        raise LoadError(f"{path}: the file has no numbers in it.")
    _check_finite(x, path, lines=[no for no, _ in lines])
    meta = {"source": str(path), "delimiter": delim or "whitespace"}
    if header is not None:
        meta["columns"] = header
    return RawData(x, name=path.name, meta=meta)


# ------------------------------------------------------------------------------ IDX
_IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def _idx_open(path):
    with open(path, "rb") as f:
        gz = f.read(2) == b"\x1f\x8b"
    return (gzip.open(path, "rb") if gz else open(path, "rb")), gz


def _read_idx(path) -> np.ndarray:
    path = Path(path)
    try:
        if path.stat().st_size == 0:
            raise LoadError(f"{path}: the file is empty (0 bytes).")
        f, gz = _idx_open(path)
        with f:
            head = f.read(4)
            if len(head) < 4 or head[0] != 0 or head[1] != 0 or head[2] not in _IDX_TYPES \
                    or head[3] == 0:
                raise LoadError(f"{path}: not an IDX (MNIST-style) file: the first 4 bytes should "
                                f"be 0, 0, a type code (0x08-0x0E) and the number of dimensions.")
            dtype = np.dtype(_IDX_TYPES[head[2]])
            ndim = head[3]
            dims_raw = f.read(4 * ndim)
            if len(dims_raw) < 4 * ndim:
                raise LoadError(f"{path}: the IDX header is truncated.")
            shape = struct.unpack(f">{ndim}I", dims_raw)
            count = int(np.prod(shape, dtype=np.float64))
            check_memory(path, 8 * count + dtype.itemsize * count, "the IDX array")
            nbytes = count * dtype.itemsize
            body = f.read(nbytes)
            if len(body) < nbytes:
                raise LoadError(f"{path}: the file is truncated: its header promises shape "
                                f"{shape}, {nbytes} bytes of data, but only {len(body)} follow.")
    except LoadError:
        raise
    except FileNotFoundError:
        raise LoadError(f"{path}: no such file.") from None
    except OSError as exc:
        raise LoadError(f"{path}: cannot read the IDX file: it is truncated or corrupt ({exc}).") \
            from None
    except Exception as exc:
        raise _wrap_unexpected(path, exc, "IDX") from None
    return np.frombuffer(body, dtype=dtype).reshape(shape)


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
    x, image_shape = _as_samples(arr, path, "IDX array")
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


# ------------------------------------------------------------------------------ images
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")


def _paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def decode_png(data: bytes, path="PNG") -> np.ndarray:
    """Decode a non-interlaced PNG to a greyscale float array in [0, 1], shape (rows, cols).

    Supports bit depths 1-16 for grey, 8/16 for RGB, grey+alpha and RGBA, and palette images.
    Colour is converted with luma weights (0.299, 0.587, 0.114); alpha is composited on white.
    """
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise LoadError(f"{path}: not a PNG file (wrong signature).")
    pos = 8
    ihdr = None
    idat = []
    palette = None
    while True:
        if pos + 8 > len(data):
            raise LoadError(f"{path}: the PNG is truncated (no IEND chunk).")
        length, ctype = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + length]
        crc = data[pos + 8 + length:pos + 12 + length]
        if len(chunk) < length or len(crc) < 4:
            raise LoadError(f"{path}: the PNG is truncated (chunk {ctype!r}).")
        if zlib.crc32(ctype + chunk) & 0xFFFFFFFF != struct.unpack(">I", crc)[0]:
            raise LoadError(f"{path}: the PNG is corrupt (checksum error in chunk {ctype!r}).")
        pos += 12 + length
        if ctype == b"IHDR":
            if length != 13:
                raise LoadError(f"{path}: the PNG header is corrupt.")
            ihdr = struct.unpack(">IIBBBBB", chunk)
        elif ctype == b"PLTE":
            palette = np.frombuffer(chunk, np.uint8).reshape(-1, 3) if length % 3 == 0 else None
        elif ctype == b"IDAT":
            idat.append(chunk)
        elif ctype == b"IEND":
            break
    if ihdr is None:
        raise LoadError(f"{path}: the PNG has no header (IHDR) chunk.")
    width, height, depth, ctype, _comp, _filt, interlace = ihdr
    channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}.get(ctype)
    if channels is None or depth not in (1, 2, 4, 8, 16) or (ctype in (2, 4, 6) and depth < 8) \
            or (ctype == 3 and depth == 16):
        raise LoadError(f"{path}: unsupported PNG colour type {ctype} with bit depth {depth}.")
    if interlace:
        raise LoadError(f"{path}: interlaced PNGs are not supported without Pillow; save the image "
                        f"non-interlaced, or install Pillow (pip install pillow).")
    if width == 0 or height == 0:
        raise LoadError(f"{path}: the PNG has zero size.")
    if width * height > 50_000_000:
        raise LoadError(f"{path}: the PNG is too large ({width} x {height} pixels).")
    try:
        raw = zlib.decompress(b"".join(idat))
    except zlib.error as exc:
        raise LoadError(f"{path}: the PNG image data is corrupt ({exc}).") from None
    bits_pp = channels * depth
    stride = (width * bits_pp + 7) // 8
    bpp = max(1, bits_pp // 8)
    if len(raw) < height * (stride + 1):
        raise LoadError(f"{path}: the PNG image data is truncated.")
    rows = np.frombuffer(raw[:height * (stride + 1)], np.uint8).reshape(height, stride + 1)
    out = np.zeros((height, stride), np.int64)
    prev = np.zeros(stride, np.int64)
    for r in range(height):
        ft = rows[r, 0]
        line = rows[r, 1:].astype(np.int64)
        if ft == 0:
            cur = line
        elif ft == 1:  # Sub: cumulative sum over each byte lane, modulo 256
            cur = line.copy()
            for lane in range(bpp):
                cur[lane::bpp] = np.cumsum(line[lane::bpp]) & 255
        elif ft == 2:  # Up
            cur = (line + prev) & 255
        elif ft == 3:  # Average
            cur = line.copy()
            for i in range(stride):
                left = cur[i - bpp] if i >= bpp else 0
                cur[i] = (cur[i] + ((left + prev[i]) >> 1)) & 255
        elif ft == 4:  # Paeth
            cur = line.copy()
            for i in range(stride):
                a = cur[i - bpp] if i >= bpp else 0
                c = prev[i - bpp] if i >= bpp else 0
                cur[i] = (cur[i] + _paeth(a, prev[i], c)) & 255
        else:
            raise LoadError(f"{path}: the PNG is corrupt (unknown filter {ft} in row {r}).")
        out[r] = cur
        prev = cur
    buf = out.astype(np.uint8)
    if depth == 16:
        vals = (buf.reshape(height, -1, 2).astype(np.float64) @ [256.0, 1.0]) / 65535.0
        vals = vals.reshape(height, width, channels)
    elif depth == 8:
        vals = buf.reshape(height, width, channels).astype(np.float64)
        vals = vals if ctype == 3 else vals / 255.0
    else:
        bits = np.unpackbits(buf, axis=1).reshape(height, -1, depth)[:, :width]
        ints = (bits * (1 << np.arange(depth - 1, -1, -1))).sum(axis=2)
        vals = (ints if ctype == 3 else ints / (2 ** depth - 1)).astype(np.float64)
        vals = vals.reshape(height, width, 1)
    if ctype == 3:
        if palette is None:
            raise LoadError(f"{path}: palette PNG without a valid palette (PLTE chunk).")
        idx = vals[..., 0].astype(np.int64)
        if idx.max() >= len(palette):
            raise LoadError(f"{path}: the PNG uses colours missing from its palette.")
        rgb = palette[idx].astype(np.float64) / 255.0
        return rgb @ np.array([0.299, 0.587, 0.114])
    if channels in (1, 2):
        grey = vals[..., 0]
    else:
        grey = vals[..., :3] @ np.array([0.299, 0.587, 0.114])
    if channels in (2, 4):
        alpha = vals[..., -1]
        grey = grey * alpha + (1.0 - alpha)
    return grey


def _decode_image(path: Path) -> np.ndarray:
    data = path.read_bytes()
    if not data:
        raise LoadError(f"{path}: the image file is empty (0 bytes).")
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        try:
            return decode_png(data, path)
        except LoadError:
            if _pillow() is None:
                raise
    elif data[:3] != b"\xff\xd8\xff":
        raise LoadError(f"{path}: not a PNG or JPEG image (unrecognised file signature).")
    pil = _pillow()
    if pil is None:
        raise LoadError(f"{path}: reading JPEG images needs Pillow, which is not installed; "
                        f"install it (pip install pillow) or convert the images to PNG.")
    try:
        with pil.open(io.BytesIO(data)) as im:
            return np.asarray(im.convert("L"), dtype=np.float64) / 255.0
    except Exception as exc:
        raise LoadError(f"{path}: the image could not be decoded; it is truncated or corrupt "
                        f"({exc}).") from None


def _pillow():
    try:
        from PIL import Image
    except ImportError:
        return None
    return Image


def resize(img: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Bilinear resize of a 2-D array to ``shape`` (pixel centres aligned)."""
    h, w = img.shape
    H, W = shape
    if (h, w) == (H, W):
        return img
    ys = np.clip((np.arange(H) + 0.5) * h / H - 0.5, 0, h - 1)
    xs = np.clip((np.arange(W) + 0.5) * w / W - 0.5, 0, w - 1)
    y0 = np.floor(ys).astype(int)
    x0 = np.floor(xs).astype(int)
    y1 = np.minimum(y0 + 1, h - 1)
    x1 = np.minimum(x0 + 1, w - 1)
    fy = (ys - y0)[:, None]
    fx = (xs - x0)[None, :]
    top = img[y0][:, x0] * (1 - fx) + img[y0][:, x1] * fx
    bot = img[y1][:, x0] * (1 - fx) + img[y1][:, x1] * fx
    return top * (1 - fy) + bot * fy


def _decoded_bytes(path: Path) -> int:
    """Memory needed to decode one image: from the PNG header's size when readable (compressed
    PNGs can be tiny on disk), else a generous multiple of the file size (JPEG)."""
    try:
        with open(path, "rb") as f:
            head = f.read(24)
    except OSError:
        return 0
    if len(head) == 24 and head[:8] == b"\x89PNG\r\n\x1a\n" and head[12:16] == b"IHDR":
        w, h = struct.unpack(">II", head[16:24])
        return 8 * 6 * w * h          # up to 4 channels of int64 rows + the float64 result
    return 40 * path.stat().st_size


def load_images(path, image_size=None) -> RawData:
    """Read a folder of PNG/JPEG images (sorted by name), or one image file, as greyscale in [0, 1].

    All images are resized (bilinear) to ``image_size`` = (rows, cols), default the size of the
    first image, so every sample has the same shape; ``image_shape`` records it.
    """
    path = Path(path)
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES
                       and p.is_file())
        if not files:
            raise LoadError(f"{path}: the folder has no PNG or JPEG images "
                            f"({', '.join(IMAGE_SUFFIXES)}).")
    else:
        files = [path]
    check_memory(path, sum(_decoded_bytes(p) for p in files), "decoding the images")
    images = []
    for p in files:
        try:
            img = _decode_image(p)
        except LoadError:
            raise
        except OSError as exc:
            raise LoadError(f"{p}: cannot read the image ({exc.strerror or exc}).") from None
        except Exception as exc:
            raise _wrap_unexpected(p, exc, "image") from None
        images.append(img)
    shape = tuple(int(s) for s in image_size) if image_size else images[0].shape
    if len(shape) != 2 or min(shape) < 1:
        raise LoadError(f"{path}: image_size must be [rows, cols] with positive sizes, got "
                        f"{list(shape)}.")
    x = np.stack([resize(img, shape).ravel() for img in images])
    x = np.clip(x, 0.0, 1.0)
    _check_finite(x, path, "image")
    meta = {"source": str(path), "files": [p.name for p in files]}
    return RawData(np.ascontiguousarray(x), name=path.name, image_shape=shape, meta=meta)


# ------------------------------------------------------------------------------ dispatch
def file_format(path) -> str:
    """``npy``, ``npz``, ``text``, ``idx`` or ``images`` from the path (folder = images)."""
    path = Path(path)
    if path.is_dir():
        return "images"
    name = path.name.lower()
    gz = name.endswith(".gz")
    if gz:
        name = name[:-3]
    suffix = Path(name).suffix
    if gz and not (suffix.startswith(".idx") or name.endswith("-ubyte") or "-idx" in name):
        raise LoadError(f"{path}: only IDX files may be gzipped; decompress it first "
                        f"(gunzip), or save the data as .npz (which is compressed itself).")
    if suffix == ".npy":
        return "npy"
    if suffix == ".npz":
        return "npz"
    if suffix in (".csv", ".txt", ".tsv", ".dat"):
        return "text"
    if suffix in IMAGE_SUFFIXES:
        return "images"
    if suffix.startswith(".idx") or name.endswith("-ubyte") or "-idx" in name:
        return "idx"
    raise LoadError(f"{path}: unknown data file type {suffix or '(no suffix)'!r}; use .npy, .npz, "
                    f".csv/.txt, an IDX file (.idx, -ubyte, optionally .gz), or a folder of "
                    f"PNG/JPEG images.")


def load_path(path, key: str | None = None, image_size=None) -> RawData:
    """Read a data file or image folder (format from the name, see the module docstring)."""
    path = Path(path)
    if not path.exists():
        raise LoadError(f"{path}: no such file or folder.")
    fmt = file_format(path)
    if key is not None and fmt != "npz":
        raise LoadError(f"{path}: [data] key = {key!r} only applies to .npz archives.")
    if fmt == "npy":
        return load_npy(path)
    if fmt == "npz":
        return load_npz(path, key)
    if fmt == "text":
        return load_text(path)
    if fmt == "idx":
        return load_idx(path)
    return load_images(path, image_size)
