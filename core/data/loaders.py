"""Reading data files into arrays, safely: the format is chosen from the file name, one reader per
format (``boltzmann_lab.data.formats``), and one error type.

Formats (see :func:`load_path`):

* ``.npy`` — header first: object/pickled arrays are refused (never unpickled), the shape and dtype
  are checked against the available memory, then exactly the declared bytes are read.
* ``.npz`` — the array is chosen by ``key``; when several arrays could be meant, the error lists
  them.  Every member's header is read first; a member whose size disagrees with its header is
  refused; nothing beyond the declared size is ever inflated.
* ``.csv`` / ``.txt`` / ``.tsv`` / ``.dat`` — numbers separated by ``,`` ``;`` tab or spaces (detected),
  an optional header line, ``#`` comments; errors name the line.
* MNIST-style IDX (``.idx``, ``*-ubyte``, ``*.idx3``..., optionally gzipped ``.gz``) — images
  (N, rows, cols) keep their shape; label files give one value per sample.  For an images file the
  matching labels file (``...-images-...`` -> ``...-labels-...``) is read too when it exists.
* A folder of PNG/JPEG images (or one image) — converted to greyscale in [0, 1] and resized to one
  common size (``image_size``, default the first image's size).  PNG is decoded here (8/16-bit,
  grey/RGB/palette/alpha, non-interlaced; the image data inflate only up to the size the header
  declares); JPEG needs Pillow (``pip install pillow``).

Every loader returns a :class:`RawData` of float64 samples, shape (M, n), or raises
:class:`LoadError` with one paragraph naming the file and the problem (with the line or row where it
applies).  :func:`peek_shape` tells (M, n) from the headers alone, so a run's memory can be
estimated (``boltzmann_lab.memory``) and a model's unit count compared before anything is read.
Nothing here ever unpickles.
"""

from __future__ import annotations

from pathlib import Path

from boltzmann_lab.data.formats.base import (LoadError, RawData, available_memory, check_memory,
                                             check_path)
from boltzmann_lab.data.formats.idx import load_idx, peek_idx
from boltzmann_lab.data.formats.images import IMAGE_SUFFIXES, load_images, peek_images, resize
from boltzmann_lab.data.formats.npy import (LABEL_KEYS, NpzArchive, load_npy, load_npz, peek_npy,
                                            peek_npz, read_npy)
from boltzmann_lab.data.formats.png import decode_png
from boltzmann_lab.data.formats.text import load_text, peek_text

__all__ = ["LoadError", "RawData", "available_memory", "check_memory", "check_path", "load_idx",
           "IMAGE_SUFFIXES", "load_images", "resize", "LABEL_KEYS", "NpzArchive", "load_npy",
           "load_npz", "read_npy", "decode_png", "load_text", "file_format", "load_path",
           "peek_shape"]


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


def _format(path, key):
    path = check_path(path)
    fmt = file_format(path)
    if key is not None and fmt != "npz":
        raise LoadError(f"{path}: [data] key = {key!r} only applies to .npz archives.")
    return path, fmt


def load_path(path, key: str | None = None, image_size=None) -> RawData:
    """Read a data file or image folder (format from the name, see the module docstring)."""
    path, fmt = _format(path, key)
    if fmt == "npy":
        return load_npy(path)
    if fmt == "npz":
        return load_npz(path, key)
    if fmt == "text":
        return load_text(path)
    if fmt == "idx":
        return load_idx(path)
    return load_images(path, image_size)


def peek_shape(path, key: str | None = None, image_size=None) -> tuple[int, int] | None:
    """(M, n) that :func:`load_path` would return, from the file's header only (text files: an
    estimate from the first lines and the size); ``None`` when the header does not tell.

    Raises :class:`LoadError` for a file that cannot be opened or whose header is corrupt."""
    path, fmt = _format(path, key)
    try:
        if fmt == "npy":
            return peek_npy(path)
        if fmt == "npz":
            return peek_npz(path, key)
        if fmt == "text":
            return peek_text(path)
        if fmt == "idx":
            return peek_idx(path)
        return peek_images(path, image_size)
    except LoadError:
        raise
    except OSError as exc:
        raise LoadError(f"{path}: cannot read the file ({exc.strerror or exc}).") from None
