"""Property test: arbitrary (and almost-valid) bytes fed to every loader raise LoadError or load."""

import gzip
import io
import os
import struct
import tempfile
import zlib

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from boltzmann_lab.data.loaders import LoadError, RawData, load_path
from tests.core.test_loaders import encode_png

SUFFIXES = ["a.npy", "a.npz", "a.csv", "a.txt", "a-ubyte", "a.idx.gz", "a.png", "a.jpg"]


def _valid(name: str) -> bytes:
    """A small valid file of each format, to mutate."""
    x = np.arange(12, dtype=np.float64).reshape(3, 4)
    buf = io.BytesIO()
    if name.endswith(".npy"):
        np.save(buf, x)
    elif name.endswith(".npz"):
        np.savez(buf, x=x, labels=np.arange(3))
    elif name.endswith((".csv", ".txt")):
        return b"a,b,c,d\n0,1,2,3\n4,5,6,7\n"
    elif "ubyte" in name or "idx" in name:
        raw = bytes([0, 0, 8, 3]) + struct.pack(">3I", 2, 2, 3) + bytes(range(12))
        return gzip.compress(raw) if name.endswith(".gz") else raw
    elif name.endswith(".png"):
        return encode_png(np.arange(12).reshape(3, 4), 0)
    else:
        return b"\xff\xd8\xff\xe0" + bytes(40)
    return buf.getvalue()


@st.composite
def file_bytes(draw):
    name = draw(st.sampled_from(SUFFIXES))
    how = draw(st.sampled_from(["random", "truncate", "flip", "splice"]))
    base = _valid(name)
    if how == "random":
        data = draw(st.binary(max_size=300))
    elif how == "truncate":
        data = base[: draw(st.integers(0, len(base)))]
    elif how == "flip":
        data = bytearray(base)
        for _ in range(draw(st.integers(1, 4))):
            i = draw(st.integers(0, len(data) - 1))
            data[i] = draw(st.integers(0, 255))
        data = bytes(data)
    else:
        cut = draw(st.integers(0, len(base)))
        data = base[:cut] + draw(st.binary(max_size=64)) + base[cut:]
    return name, data


# derandomize: the same examples on every run (the suite is deterministic); no example database
@settings(max_examples=250, deadline=None, suppress_health_check=list(HealthCheck),
          derandomize=True, database=None)
@given(file_bytes())
def test_only_load_error_escapes(case):
    name, data = case
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, name)
        with open(path, "wb") as f:
            f.write(data)
        try:
            r = load_path(path)
        except LoadError as exc:
            assert str(exc)
        else:
            assert isinstance(r, RawData)
            assert r.x.ndim == 2 and r.x.dtype == np.float64 and np.isfinite(r.x).all()


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck),
          derandomize=True, database=None)
@given(st.binary(max_size=200), st.integers(0, 6), st.sampled_from([1, 2, 4, 8, 16]),
       st.integers(1, 40), st.integers(1, 40))
def test_png_with_valid_chunks_but_random_content(payload, ctype, depth, w, h):
    """Chunks with correct checksums but arbitrary header fields and image data."""
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    data = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, depth, ctype, 0, 0, 0))
            + chunk(b"PLTE", payload[:30]) + chunk(b"IDAT", zlib.compress(payload))
            + chunk(b"IEND", b""))
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "x.png")
        with open(path, "wb") as f:
            f.write(data)
        try:
            r = load_path(path)
        except LoadError as exc:
            assert str(exc)
        else:                           # a PNG that decodes must give a proper data matrix
            assert isinstance(r, RawData)
            assert r.x.ndim == 2 and r.x.dtype == np.float64 and np.isfinite(r.x).all()
