"""Makers of hostile files, small on disk: deflate streams of zeros that inflate to gigabytes
(built from one flushed block repeated, so a 2 GB member costs ~2 MB and no compression time), zip
archives written by hand around them, PNGs, IDX headers, model and session files.

Used by ``test_hostile_corpus.py``; nothing here runs a test itself.
"""

from __future__ import annotations

import io
import json
import struct
import zlib
from pathlib import Path

import numpy as np

from boltzmann_lab.data.formats.png import png  # the minimal PNG writer

MB = 1 << 20
_ZERO_MB = bytes(MB)


def _zero_block() -> bytes:
    """Raw deflate of 1 MB of zeros ending in a full flush: byte-aligned, no back-references
    across its end, so any number of copies in a row is a valid stream of that many MB."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    return c.compress(_ZERO_MB) + c.flush(zlib.Z_FULL_FLUSH)


_BLOCK = _zero_block()
_FINAL = b"\x03\x00"            # a final, empty fixed-Huffman block


def deflate_with_zeros(head: bytes, zero_mb: int) -> bytes:
    """Raw deflate stream of ``head`` followed by ``zero_mb`` MB of zeros."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    start = c.compress(head) + c.flush(zlib.Z_FULL_FLUSH)
    return start + _BLOCK * zero_mb + _FINAL


def crc_with_zeros(head: bytes, zero_mb: int) -> int:
    crc = zlib.crc32(head)
    for _ in range(zero_mb):
        crc = zlib.crc32(_ZERO_MB, crc)
    return crc & 0xFFFFFFFF


def write_zip(path, members) -> Path:
    """A zip archive of ``members``: (name, raw deflate bytes, uncompressed size, crc32)."""
    path = Path(path)
    out = io.BytesIO()
    central = []
    for name, data, size, crc in members:
        name_b = name.encode()
        offset = out.tell()
        out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, crc, len(data),
                              size, len(name_b), 0) + name_b)
        out.write(data)
        central.append(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0x21, crc,
                                   len(data), size, len(name_b), 0, 0, 0, 0, 0, offset) + name_b)
    cd_start = out.tell()
    for c in central:
        out.write(c)
    cd_size = out.tell() - cd_start
    out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(central), len(central), cd_size,
                          cd_start, 0))
    path.write_bytes(out.getvalue())
    return path


def npy_header(shape, dtype="<f8") -> bytes:
    """The bytes of an .npy header declaring ``shape`` and ``dtype`` (no data)."""
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": np.dtype(dtype).str,
                                              "fortran_order": False, "shape": tuple(shape)})
    return buf.getvalue()


def npy_member(name, array=None, shape=None, dtype="<f8", zero_mb=None, size=None):
    """A zip member ``name``.npy: a real array, or a header declaring ``shape`` followed by
    ``zero_mb`` MB of zeros (default: exactly the declared bytes, which must be whole MB beyond
    the header).  ``size`` overrides the recorded uncompressed size."""
    if array is not None:
        buf = io.BytesIO()
        np.lib.format.write_array(buf, np.asarray(array), allow_pickle=False)
        raw = buf.getvalue()
        c = zlib.compressobj(9, zlib.DEFLATED, -15)
        return (f"{name}.npy", c.compress(raw) + c.flush(), len(raw), zlib.crc32(raw) & 0xFFFFFFFF)
    head = npy_header(shape, dtype)
    declared = int(np.prod(shape, dtype=np.float64)) * np.dtype(dtype).itemsize
    if zero_mb is None:
        assert declared % MB == 0, "declared data must be whole megabytes"
        zero_mb = declared // MB
    return (f"{name}.npy", deflate_with_zeros(head, zero_mb),
            size if size is not None else len(head) + zero_mb * MB,
            crc_with_zeros(head, zero_mb))


def json_member(name, obj):
    return npy_member(name, array=np.array(json.dumps(obj)))


# ------------------------------------------------------------------------------ PNG
def png_inflating_to(zero_mb: int) -> bytes:
    """A 1 x 1 greyscale PNG whose image data (a zlib stream) inflate to ``zero_mb`` MB."""
    n = zero_mb * MB + 2                        # the declared 2 bytes (filter + pixel), then zeros
    stream = deflate_with_zeros(b"\x00\x00", zero_mb)
    adler = ((n % 65521) << 16) | 1            # adler32 of a run of zeros after 1 + 0 + 0
    return png(1, 1, b"\x78\x01" + stream + struct.pack(">I", adler))


def paeth_png(width, height, seed=0) -> bytes:
    """A greyscale PNG whose every row uses the Paeth filter (random filtered bytes)."""
    rng = np.random.default_rng(seed)
    rows = np.concatenate([np.full((height, 1), 4, np.uint8),
                           rng.integers(0, 256, (height, width), dtype=np.uint8)], axis=1)
    return png(width, height, zlib.compress(rows.tobytes(), 1))


# ------------------------------------------------------------------------------ models, sessions
def model_meta(kind, convention, **extra):
    return {"format": "boltzmann-lab-model", "version": 1, "kind": kind,
            "convention": convention, **extra}


def save_model_arrays(path, meta, **arrays) -> Path:
    """A model file written the way ``save_model`` writes one, with arbitrary (hostile) content."""
    np.savez(path, meta=np.array(json.dumps(meta)), **arrays)
    return Path(path)


#: a tiny RBM run whose sessions the corpus corrupts
SESSION_CFG = {"data": {"generator": "bars_and_stripes", "size": 2, "validation_fraction": 0.0},
               "model": {"kind": "rbm", "hidden": 3},
               "training": {"chains": 5, "batch_size": 3}}


def make_session(path, edit=None, meta_edit=None, raw_cfg=None) -> Path:
    """A real session of a tiny RBM run saved after 2 steps; ``edit(config, state)`` changes its
    content before saving, ``meta_edit(meta)`` its JSON header after."""
    import copy

    from boltzmann_lab.build import make_trainer
    from boltzmann_lab.config import resolve
    from boltzmann_lab.io import session as S
    cfg = resolve(copy.deepcopy(raw_cfg or SESSION_CFG))
    t = make_trainer(cfg)
    t.step(with_views=False)
    t.step(with_views=False)
    state = t.state_dict()
    if edit is not None:
        edit(cfg, state)
    path = S.save_session(path, cfg, state, t.history)
    if meta_edit is not None:
        with np.load(path) as z:
            entries = {k: z[k] for k in z.files}
        meta = json.loads(str(entries["meta"][()]))
        meta_edit(meta)
        entries["meta"] = np.array(json.dumps(meta))
        np.savez(path, **entries)
    return path


def session_bomb(path, src) -> Path:
    """``src`` (a session) rewritten with its weights member declaring 2 GB of zeros."""
    with np.load(src) as z:
        entries = {k: z[k] for k in z.files}
    members = [npy_member(k, array=v) for k, v in entries.items() if k != "state:param/W"]
    members.append(npy_member("state:param/W", shape=(16384, 32768), dtype="<f4"))
    return write_zip(path, members)
