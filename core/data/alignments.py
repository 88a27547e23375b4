"""Reading categorical data: aligned sequences (FASTA, A2M, Stockholm) and tables of symbols.

Alphabets (``[data] alphabet``): ``protein`` = ``-ACDEFGHIKLMNPQRSTVWY`` (q = 21, the gap is state
0), ``dna`` = ``-ACGT`` and ``rna`` = ``-ACGU`` (q = 5), ``auto`` (dna/rna when every letter is a
nucleotide, else protein; for symbol tables the sorted distinct symbols), or your own: a string with
one character per state (``"01"``, ``"-HEC"``) or comma-separated names (``"no,maybe,yes"``).

Formats (from the file name, or ``[data] format``):

* FASTA (``.fasta .fa .faa .fas .fna .afa .aln``): ``>name`` lines, each followed by one or more lines of
  the aligned sequence; letters are read case-insensitively, ``.`` is a gap.
* A2M (``.a2m``): FASTA whose lower-case letters and ``.`` are insertions relative to the match
  columns; they are removed, the upper-case letters and ``-`` kept (as HMMER/HHsuite/plmDCA do).
* Stockholm (``.sto .sth .stk .stockholm``): ``# STOCKHOLM 1.0``, ``name sequence`` lines
  (interleaved blocks allowed), ``#=G…`` annotation ignored, ``//`` ends the (first) alignment;
  insertions (lower case, ``.``) are removed as for A2M.
* symbol tables (``.csv .tsv .txt`` with letters, ``.npy`` of strings): one sample per line, one
  symbol per field, or one whole sequence string per line.  Tables of integers 0..q−1 (and
  numeric ``.npy``/``.npz``) are read by :mod:`boltzmann_lab.data.loaders` instead.

A symbol outside the alphabet is an error naming the sequence, line and column, unless
``[data] unknown = "gap"`` (mapped to ``-``) or ``"drop"`` (the sequence is left out).
Bounded memory: lines longer than :data:`MAX_LINE` characters and sequences longer than
:data:`MAX_COLUMNS` columns are refused as they are read, and the file size is checked against
free memory first.  Every problem raises :class:`~boltzmann_lab.data.loaders.LoadError` with one
paragraph naming the file.  Nothing here is random.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from boltzmann_lab.data.loaders import LoadError, check_memory

ALPHABETS = {"protein": "-ACDEFGHIKLMNPQRSTVWY", "dna": "-ACGT", "rna": "-ACGU"}
MAX_LINE = 100_000
MAX_COLUMNS = 20_000
MAX_STATES = 127

SUFFIXES = {".fasta": "fasta", ".fa": "fasta", ".faa": "fasta", ".fas": "fasta", ".fna": "fasta",
            ".afa": "fasta", ".aln": "fasta", ".a2m": "a2m", ".sto": "stockholm",
            ".sth": "stockholm", ".stk": "stockholm", ".stockholm": "stockholm"}
ALIGNMENT_FORMATS = ("fasta", "a2m", "stockholm")


@dataclass
class Alignment:
    """Encoded sequences: ``codes`` (M, L) uint8 states, ``names`` (M,), ``symbols`` (q,)."""

    codes: np.ndarray
    names: list
    symbols: list


def alignment_format(path) -> str | None:
    """``fasta``, ``a2m`` or ``stockholm`` from the file name, else None."""
    return SUFFIXES.get(Path(path).suffix.lower())


def parse_alphabet(spec) -> list | None:
    """Symbols of an alphabet spec (module docstring); None for ``auto``."""
    if spec is None or spec == "auto":
        return None
    if isinstance(spec, (list, tuple)):
        symbols = [str(s) for s in spec]
    elif spec in ALPHABETS:
        symbols = list(ALPHABETS[spec])
    elif "," in spec:
        symbols = [s.strip() for s in spec.split(",")]
    else:
        symbols = list(spec)
    if len(symbols) < 2 or len(set(symbols)) != len(symbols) or "" in symbols:
        raise LoadError(f"[data] alphabet = {spec!r}: an alphabet needs at least 2 distinct, "
                        f"non-empty symbols (a string with one character per state, or "
                        f"comma-separated names).")
    if len(symbols) > MAX_STATES:
        raise LoadError(f"[data] alphabet = {spec!r} has {len(symbols)} symbols; at most "
                        f"{MAX_STATES} states are supported.")
    return symbols


def alphabet_text(symbols) -> str:
    """The compact form saved with models: one string when every symbol is one character."""
    return "".join(symbols) if all(len(s) == 1 for s in symbols) else ",".join(symbols)


# ------------------------------------------------------------------------------ lines
def _lines(path):
    """Yield (line number, text) with the line-length cap enforced as the file is read."""
    with open(path, "rb") as f:
        no = 0
        while True:
            raw = f.readline(MAX_LINE + 2)
            if not raw:
                return
            no += 1
            if len(raw) > MAX_LINE and not raw.endswith(b"\n"):
                raise LoadError(f"{path}: line {no} is longer than {MAX_LINE} characters; this "
                                f"is not an alignment file this program can read (aligned "
                                f"sequences may be wrapped over several lines, and at most "
                                f"{MAX_COLUMNS} columns are supported).")
            if b"\x00" in raw:
                raise LoadError(f"{path}: line {no} contains binary bytes; this is not a text "
                                f"alignment file.")
            yield no, raw.decode("latin-1").rstrip("\r\n")


def _open_check(path):
    path = Path(path)
    if not path.exists():
        raise LoadError(f"{path}: no such file.")
    if not path.is_file():
        raise LoadError(f"{path}: not a file.")
    size = path.stat().st_size
    if size == 0:
        raise LoadError(f"{path}: the file is empty (0 bytes); it holds no sequences.")
    # the encoded states take at most one byte per character, the float64 data set eight more
    check_memory(path, 10 * size, "the alignment")
    return path


def _read_fasta(path):
    """[(name, line, sequence text)] of a FASTA/A2M file."""
    records, name, line0, chunks, length = [], None, 0, [], 0
    for no, line in _lines(path):
        if line.startswith(">"):
            if name is not None:
                records.append((name, line0, "".join(chunks)))
            name, line0, chunks, length = line[1:].strip() or f"sequence {len(records) + 1}", \
                no, [], 0
            continue
        text = "".join(line.split())
        if not text or line.startswith(";"):
            continue
        if name is None:
            raise LoadError(f"{path}: line {no} holds sequence data before the first '>name' "
                            f"header; this is not a FASTA/A2M file.")
        length += len(text)
        if length > 4 * MAX_COLUMNS:
            raise LoadError(f"{path}: sequence {name!r} (line {line0}) is longer than "
                            f"{4 * MAX_COLUMNS} characters; alignments of at most {MAX_COLUMNS} "
                            f"columns are supported.")
        chunks.append(text)
    if name is not None:
        records.append((name, line0, "".join(chunks)))
    return records


def _read_stockholm(path):
    seqs: dict[str, list] = {}
    first_line: dict[str, int] = {}
    header = False
    for no, line in _lines(path):
        s = line.strip()
        if not s:
            continue
        if not header:
            if not s.startswith("# STOCKHOLM"):
                raise LoadError(f"{path}: line {no} should be the '# STOCKHOLM 1.0' header; this "
                                f"is not a Stockholm file.")
            header = True
            continue
        if s == "//":
            break
        if s.startswith("#"):
            continue
        parts = s.split()
        if len(parts) != 2:
            raise LoadError(f"{path}: line {no} should be 'name sequence' (two fields), got "
                            f"{len(parts)} fields: {s[:60]!r}.")
        name, text = parts
        if name not in seqs:
            seqs[name], first_line[name] = [], no
        seqs[name].append(text)
        if sum(map(len, seqs[name])) > 4 * MAX_COLUMNS:
            raise LoadError(f"{path}: sequence {name!r} is longer than {4 * MAX_COLUMNS} "
                            f"characters; alignments of at most {MAX_COLUMNS} columns are "
                            f"supported.")
    if not header:
        raise LoadError(f"{path}: the file holds no '# STOCKHOLM 1.0' header; it is not a "
                        f"Stockholm file.")
    return [(name, first_line[name], "".join(parts)) for name, parts in seqs.items()]


def _guess_alphabet(records) -> list:
    letters = set()
    for _, _, text in records[:2000]:
        letters.update(text.upper())
    letters -= set("-.")
    if letters and letters <= set("ACGT"):
        return list(ALPHABETS["dna"])
    if letters and letters <= set("ACGU"):
        return list(ALPHABETS["rna"])
    return list(ALPHABETS["protein"])


def encode(path, records, symbols, unknown, insertions):
    """Encode [(name, line, text)] with the alphabet ``symbols`` (one character each)."""
    if any(len(s) != 1 for s in symbols):
        raise LoadError(f"{path}: aligned sequences need an alphabet of single characters, got "
                        f"{alphabet_text(symbols)!r}.")
    lut = np.full(256, -1, np.int16)
    for k, s in enumerate(symbols):
        lut[ord(s.upper()) & 0xFF] = k
        lut[ord(s.lower()) & 0xFF] = k
    gap = symbols.index("-") if "-" in symbols else None
    if gap is not None and lut[ord(".")] < 0:
        lut[ord(".")] = gap
    names, rows, width, first = [], [], None, None
    for name, line, text in records:
        if insertions:
            text = "".join(c for c in text if not (c.islower() or c == "."))
        b = np.frombuffer(text.encode("latin-1"), np.uint8)
        if len(b) == 0:
            raise LoadError(f"{path}: sequence {name!r} (line {line}) is empty.")
        if len(b) > MAX_COLUMNS:
            raise LoadError(f"{path}: sequence {name!r} (line {line}) has {len(b)} columns; at "
                            f"most {MAX_COLUMNS} are supported.")
        if width is None:
            width, first = len(b), name
        elif len(b) != width:
            raise LoadError(f"{path}: the rows are ragged: sequence {name!r} (line {line}) has "
                            f"{len(b)} columns but {first!r} has {width}; every aligned sequence "
                            f"must have the same length"
                            + (" after removing insertions (lower case and '.')" if insertions
                               else "") + ".")
        codes = lut[b]
        bad = np.nonzero(codes < 0)[0]
        if bad.size:
            if unknown == "drop":
                continue
            if unknown == "gap" and gap is not None:
                codes[bad] = gap
            else:
                c = int(bad[0])
                raise LoadError(
                    f"{path}: sequence {name!r} (line {line}), column {c + 1} has {text[c]!r}, "
                    f"which is not in the alphabet {alphabet_text(symbols)!r}"
                    f" ({len(bad)} such symbol{'s' if len(bad) > 1 else ''} in this sequence). "
                    f'Choose [data] alphabet, or set [data] unknown = "gap" (read as the gap) '
                    f'or unknown = "drop" (leave such sequences out).')
        names.append(name)
        rows.append(codes.astype(np.uint8))
    if not rows:
        raise LoadError(f"{path}: no sequence is left: every sequence holds symbols outside the "
                        f"alphabet {alphabet_text(symbols)!r} and unknown = \"drop\".")
    return Alignment(np.stack(rows), names, list(symbols))


def read_alignment(path, fmt="auto", alphabet="auto", unknown="error") -> Alignment:
    """Read an aligned FASTA / A2M / Stockholm file into integer states (module docstring)."""
    path = _open_check(path)
    if fmt == "auto":
        fmt = alignment_format(path)
        if fmt is None:
            raise LoadError(f"{path}: cannot tell the alignment format from the name; set [data] "
                            f"format = \"fasta\", \"a2m\" or \"stockholm\".")
    if fmt not in ALIGNMENT_FORMATS:
        raise LoadError(f"{path}: unknown alignment format {fmt!r}.")
    try:
        records = _read_stockholm(path) if fmt == "stockholm" else _read_fasta(path)
    except OSError as exc:
        raise LoadError(f"{path}: cannot read the file ({exc.strerror or exc}).") from None
    if not records:
        raise LoadError(f"{path}: no sequences found; a {fmt.upper()} file needs "
                        + ("'name sequence' lines after the header." if fmt == "stockholm"
                           else "'>name' header lines followed by aligned sequences."))
    symbols = parse_alphabet(alphabet) or _guess_alphabet(records)
    return encode(path, records, symbols, unknown, insertions=fmt != "fasta")


# ------------------------------------------------------------------------------ tables
def _table_tokens(path):
    """Lines of a text table as token lists (delimiter , ; tab or whitespace), comments skipped."""
    rows = []
    delim = None
    for no, line in _lines(path):
        s = line.strip()
        if not s or s.startswith("#"):
            continue
        if delim is None:
            delim = next((d for d in (",", ";", "\t") if d in s), " ")
        toks = [t.strip() for t in s.split(delim)] if delim != " " else s.split()
        rows.append((no, toks))
    return rows


def is_numeric_table(path) -> bool:
    """Does the first data line of a text table hold only numbers?"""
    for no, toks in _table_tokens_head(path):
        try:
            [float(t) for t in toks]
            return True
        except ValueError:
            return False
    return True


def _table_tokens_head(path, lines=5):
    out = []
    for no, line in _lines(path):
        s = line.strip()
        if s and not s.startswith("#"):
            delim = next((d for d in (",", ";", "\t") if d in s), None)
            out.append((no, [t.strip() for t in s.split(delim)] if delim else s.split()))
            if len(out) >= lines:
                break
    return out


def read_symbol_table(path, alphabet="auto", unknown="error") -> Alignment:
    """A text table of symbols: one symbol per field, or one sequence string per line."""
    path = _open_check(path)
    rows = _table_tokens(path)
    if not rows:
        raise LoadError(f"{path}: the file holds no samples.")
    if all(len(t) == 1 for _, t in rows) and max(len(t[0]) for _, t in rows) > 1:
        records = [(f"row {k + 1}", no, t[0]) for k, (no, t) in enumerate(rows)]
        symbols = parse_alphabet(alphabet) or _guess_alphabet(records)
        return encode(path, records, symbols, unknown, insertions=False)
    width = len(rows[0][1])
    for no, toks in rows:
        if len(toks) != width:
            raise LoadError(f"{path}: the rows are ragged: line {no} has {len(toks)} fields but "
                            f"line {rows[0][0]} has {width}.")
        if width > MAX_COLUMNS:
            raise LoadError(f"{path}: line {no} has {width} fields; at most {MAX_COLUMNS} "
                            f"columns are supported.")
    symbols = parse_alphabet(alphabet)
    if symbols is None:
        symbols = sorted({t for _, toks in rows for t in toks})
        if len(symbols) > MAX_STATES:
            raise LoadError(f"{path}: the table holds {len(symbols)} distinct symbols; at most "
                            f"{MAX_STATES} states are supported (set [data] alphabet).")
    index = {s: k for k, s in enumerate(symbols)}
    gap = index.get("-")
    codes, names = [], []
    for no, toks in rows:
        row = [index.get(t, -1) for t in toks]
        if -1 in row:
            c = row.index(-1)
            if unknown == "drop":
                continue
            if unknown == "gap" and gap is not None:
                row = [gap if v < 0 else v for v in row]
            else:
                raise LoadError(f"{path}: line {no}, field {c + 1} is {toks[c]!r}, which is not "
                                f"in the alphabet {alphabet_text(symbols)!r}. Choose [data] "
                                f'alphabet, or set [data] unknown = "gap" or "drop".')
        codes.append(row)
        names.append(f"line {no}")
    if not codes:
        raise LoadError(f"{path}: no sample is left after dropping those with unknown symbols.")
    return Alignment(np.array(codes, dtype=np.uint8), names, symbols)


def read_symbol_npy(path, alphabet="auto", unknown="error") -> Alignment:
    """A ``.npy`` array of strings (M, n): one symbol per entry (read with allow_pickle=False)."""
    path = _open_check(path)
    try:
        arr = np.load(path, allow_pickle=False, mmap_mode="r")
    except (ValueError, OSError) as exc:
        raise LoadError(f"{path}: not a plain .npy array ({exc}).") from None
    if arr.ndim != 2 or arr.size == 0:
        raise LoadError(f"{path}: a table of symbols must be a non-empty 2-D array (samples x "
                        f"sites), got shape {arr.shape}.")
    check_memory(path, arr.size * (arr.dtype.itemsize + 9), "the symbol table")
    arr = np.asarray(arr).astype(str)
    symbols = parse_alphabet(alphabet) or sorted(set(np.unique(arr).tolist()))
    if len(symbols) > MAX_STATES:
        raise LoadError(f"{path}: {len(symbols)} distinct symbols; at most {MAX_STATES} states.")
    index = {s: k for k, s in enumerate(symbols)}
    codes = np.vectorize(lambda s: index.get(s, -1), otypes=[np.int16])(arr)
    bad = np.argwhere(codes < 0)
    if len(bad):
        gap = index.get("-")
        if unknown == "drop":
            keep = (codes >= 0).all(axis=1)
            codes = codes[keep]
            if not len(codes):
                raise LoadError(f"{path}: no sample is left after dropping unknown symbols.")
        elif unknown == "gap" and gap is not None:
            codes[codes < 0] = gap
        else:
            r, c = bad[0]
            raise LoadError(f"{path}: row {r}, column {c} is {arr[r, c]!r}, which is not in the "
                            f"alphabet {alphabet_text(symbols)!r}. Choose [data] alphabet, or set "
                            f'[data] unknown = "gap" or "drop".')
    return Alignment(codes.astype(np.uint8), [f"row {k}" for k in range(len(codes))], symbols)
