"""Numbers in text files: ``.csv`` / ``.txt`` / ``.tsv`` / ``.dat``, separated by ``,`` ``;`` tab or
spaces (detected), an optional header line, ``#`` comments; errors name the line."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from boltzmann_lab.data.formats.base import LoadError, RawData, check_finite, check_memory

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
    check_finite(x, path, lines=[no for no, _ in lines])
    meta = {"source": str(path), "delimiter": delim or "whitespace"}
    if header is not None:
        meta["columns"] = header
    return RawData(x, name=path.name, meta=meta)


def peek_text(path) -> tuple[int, int] | None:
    """(M, n) of a text data file estimated from its first lines and its size (nothing else is
    read): n from the first numeric line, M from the file size over the mean line length."""
    path = Path(path)
    size = path.stat().st_size
    with open(path, "rb") as f:
        head = f.read(1 << 16)
    try:
        text = head.decode("utf-8-sig", errors="strict")
    except UnicodeDecodeError:
        return None
    rows = [ln.strip() for ln in text.splitlines()[:-1] if ln.strip() and not ln.startswith("#")]
    if not rows and len(head) == size:
        rows = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
    rows = rows[:50]
    numeric = None
    for ln in rows:
        for d in _DELIMS + (None,):
            tokens = _split(ln, d)
            if (d is None or d in ln) and tokens and all(_is_number(t) for t in tokens):
                numeric = len(tokens)
                break
        if numeric:
            break
    if not numeric:
        return None
    mean_len = max(1.0, sum(len(r) + 1 for r in rows) / len(rows))
    return max(1, int(size / mean_len) + 1), numeric
