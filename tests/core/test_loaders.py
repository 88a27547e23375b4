"""Loaders: every format, every error case (one LoadError naming the file and the problem)."""

import struct
import zlib

import numpy as np


def _paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def encode_png(samples: np.ndarray, color_type: int, depth: int = 8, filters=(0, 1, 2, 3, 4),
               palette=None, interlace: int = 0) -> bytes:
    """``samples``: (h, w, channels) integer sample values (or (h, w) for one channel)."""
    a = np.asarray(samples)
    if a.ndim == 2:
        a = a[:, :, None]
    h, w, ch = a.shape
    rows = []
    for r in range(h):
        if depth == 16:
            rows.append(a[r].astype(">u2").tobytes())
        elif depth == 8:
            rows.append(a[r].astype(np.uint8).tobytes())
        else:
            bits = ((a[r, :, 0, None].astype(np.uint16) >> np.arange(depth - 1, -1, -1)) & 1)
            rows.append(np.packbits(bits.astype(np.uint8).ravel()).tobytes())
    bpp = max(1, ch * depth // 8)
    out = b""
    prev = bytes(len(rows[0]))
    for r, raw in enumerate(rows):
        f = filters[r % len(filters)]
        enc = bytearray(len(raw))
        for i in range(len(raw)):
            left = raw[i - bpp] if i >= bpp else 0
            up = prev[i]
            ul = prev[i - bpp] if i >= bpp else 0
            pred = {0: 0, 1: left, 2: up, 3: (left + up) >> 1, 4: _paeth(left, up, ul)}[f]
            enc[i] = (raw[i] - pred) & 255
        out += bytes([f]) + bytes(enc)
        prev = raw
    data = b"\x89PNG\r\n\x1a\n"
    data += _chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, depth, color_type, 0, 0, interlace))
    if palette is not None:
        data += _chunk(b"PLTE", np.asarray(palette, np.uint8).tobytes())
    data += _chunk(b"IDAT", zlib.compress(out))
    data += _chunk(b"IEND", b"")
    return data


# ============================================================================== tests
import gzip
import pickle

import pytest

from boltzmann_lab.data.loaders import (LoadError, available_memory, decode_png, load_idx,
                                        load_images, load_npy, load_npz, load_path, load_text,
                                        resize)


def _err(fn, *args, **kw) -> str:
    with pytest.raises(LoadError) as info:
        fn(*args, **kw)
    return str(info.value)


# ------------------------------------------------------------------------------ .npy
def test_npy_reads_2d_and_3d_arrays(tmp_path):
    x = np.arange(12, dtype=np.int16).reshape(4, 3)
    np.save(tmp_path / "a.npy", x)
    r = load_npy(tmp_path / "a.npy")
    assert r.x.dtype == np.float64 and np.array_equal(r.x, x) and r.image_shape is None
    imgs = np.random.default_rng(0).random((5, 4, 3))
    np.save(tmp_path / "b.npy", imgs)
    r = load_path(tmp_path / "b.npy")
    assert r.image_shape == (4, 3) and np.array_equal(r.x, imgs.reshape(5, 12))
    np.save(tmp_path / "c.npy", np.asfortranarray(np.eye(3, dtype=bool)))
    assert np.array_equal(load_npy(tmp_path / "c.npy").x, np.eye(3))


class _Evil:
    """Unpickling this object calls open(target, "w"), creating a file."""

    def __init__(self, target):
        self.target = str(target)

    def __reduce__(self):
        return (open, (self.target, "w"))


def _evil_array(target):
    arr = np.empty(2, dtype=object)
    arr[0] = _Evil(target)
    arr[1] = 1
    return arr


def test_malicious_pickled_npy_is_refused_and_never_executed(tmp_path):
    # The payload is live: unpickling a copy aimed at another path does create that file.
    control, target = tmp_path / "control-created", tmp_path / "pwned"
    np.save(tmp_path / "control.npy", _evil_array(control), allow_pickle=True)
    np.load(tmp_path / "control.npy", allow_pickle=True)
    assert control.exists()

    np.save(tmp_path / "evil.npy", _evil_array(target), allow_pickle=True)
    msg = _err(load_path, tmp_path / "evil.npy")
    assert "evil.npy" in msg and "refused" in msg and "object" in msg
    np.savez(tmp_path / "evil.npz", x=_evil_array(target))
    msg = _err(load_path, tmp_path / "evil.npz")
    assert "evil.npz" in msg and "refused" in msg
    # A raw pickle renamed to .npy is not an .npy at all.
    (tmp_path / "raw.npy").write_bytes(pickle.dumps(_Evil(target)))
    _err(load_path, tmp_path / "raw.npy")
    assert not target.exists()


def test_npy_errors_name_file_and_problem(tmp_path):
    p = tmp_path / "empty.npy"
    p.write_bytes(b"")
    assert "empty.npy" in _err(load_npy, p) and "empty" in _err(load_npy, p)

    np.save(tmp_path / "full.npy", np.ones((50, 20)))
    data = (tmp_path / "full.npy").read_bytes()
    (tmp_path / "trunc.npy").write_bytes(data[: len(data) - 100])
    assert "truncated" in _err(load_npy, tmp_path / "trunc.npy")
    (tmp_path / "junk.npy").write_bytes(b"hello world, not numpy" * 3)
    assert "not a NumPy" in _err(load_npy, tmp_path / "junk.npy")

    np.save(tmp_path / "one.npy", np.ones(7))
    msg = _err(load_npy, tmp_path / "one.npy")
    assert "1-D" in msg and "reshape" in msg
    np.save(tmp_path / "four.npy", np.ones((2, 2, 2, 2)))
    assert "4 dimensions" in _err(load_npy, tmp_path / "four.npy")
    np.save(tmp_path / "zero.npy", np.ones((0, 3)))
    assert "empty" in _err(load_npy, tmp_path / "zero.npy")
    np.save(tmp_path / "cplx.npy", np.ones((2, 2), complex))
    assert "complex" in _err(load_npy, tmp_path / "cplx.npy")
    np.save(tmp_path / "str.npy", np.array([["a", "b"]]))
    msg = _err(load_npy, tmp_path / "str.npy")
    assert "str.npy" in msg and "(text)" in msg and "real floats" in msg
    np.save(tmp_path / "rec.npy", np.zeros((3,), dtype=[("a", "f8"), ("b", "i4")]))
    assert "plain numbers" in _err(load_npy, tmp_path / "rec.npy")
    bad = np.ones((3, 4))
    bad[2, 1] = np.nan
    np.save(tmp_path / "nan.npy", bad)
    msg = _err(load_npy, tmp_path / "nan.npy")
    assert "row 2" in msg and "column 2" in msg and "NaN" in msg
    bad[2, 1] = np.inf
    np.save(tmp_path / "inf.npy", bad)
    assert "row 2" in _err(load_npy, tmp_path / "inf.npy")


def test_memory_is_checked_before_reading(tmp_path, monkeypatch):
    # A header that promises 10^6 x 10^6 float64 (8 TB) followed by no data at all: the memory
    # check must fire first (reading would have reported truncation instead).
    header = {"descr": "<f8", "fortran_order": False, "shape": (10**6, 10**6)}
    with open(tmp_path / "huge.npy", "wb") as f:
        np.lib.format.write_array_header_1_0(f, header)
    avail = available_memory()
    if avail is not None:
        msg = _err(load_npy, tmp_path / "huge.npy")
        assert "memory" in msg and "huge.npy" in msg and "nothing was read" in msg

    # And with little memory "available", a small real file is refused without calling np.load.
    np.save(tmp_path / "small.npy", np.ones((100, 10)))
    monkeypatch.setattr("boltzmann_lab.memory.available_memory", lambda: 1000)

    def boom(*a, **k):
        raise AssertionError("np.load must not be called")

    monkeypatch.setattr(np, "load", boom)
    assert "memory" in _err(load_npy, tmp_path / "small.npy")
    np.savez(tmp_path / "small.npz", x=np.ones((100, 10)))
    assert "memory" in _err(load_npz, tmp_path / "small.npz")
    (tmp_path / "big.csv").write_text("1,2\n" * 1000)
    assert "memory" in _err(load_text, tmp_path / "big.csv")
    (tmp_path / "big-ubyte").write_bytes(_idx(np.zeros((10, 10, 10))))
    assert "memory" in _err(load_idx, tmp_path / "big-ubyte")
    (tmp_path / "imgs").mkdir()
    (tmp_path / "imgs" / "a.png").write_bytes(encode_png(np.zeros((20, 20)), 0))
    assert "memory" in _err(load_images, tmp_path / "imgs")


# ------------------------------------------------------------------------------ .npz
def test_npz_key_selection_and_listing(tmp_path):
    x = np.arange(6.0).reshape(3, 2)
    np.savez(tmp_path / "one.npz", data=x)
    assert np.array_equal(load_npz(tmp_path / "one.npz").x, x)
    np.savez(tmp_path / "lab.npz", images=np.zeros((3, 2, 2)), labels=np.array([1, 2, 3]))
    r = load_npz(tmp_path / "lab.npz")
    assert r.image_shape == (2, 2) and np.array_equal(r.labels, [1, 2, 3])
    np.savez(tmp_path / "two.npz", train=x, test=x[:1])
    msg = _err(load_npz, tmp_path / "two.npz")
    assert "'train'" in msg and "'test'" in msg and "key" in msg
    assert len(load_npz(tmp_path / "two.npz", key="test").x) == 1
    assert len(load_path(tmp_path / "two.npz", key="train").x) == 3
    msg = _err(load_npz, tmp_path / "two.npz", key="nope")
    assert "'nope'" in msg and "'train'" in msg
    (tmp_path / "bad.npz").write_bytes(b"PK\x03\x04garbage")
    assert "corrupt" in _err(load_npz, tmp_path / "bad.npz")
    data = (tmp_path / "two.npz").read_bytes()
    (tmp_path / "cut.npz").write_bytes(data[: len(data) // 2])
    _err(load_npz, tmp_path / "cut.npz")


def test_key_only_for_npz(tmp_path):
    np.save(tmp_path / "a.npy", np.ones((2, 2)))
    assert "only applies to .npz" in _err(load_path, tmp_path / "a.npy", key="x")


# ------------------------------------------------------------------------------ text
@pytest.mark.parametrize("sep", [",", ";", "\t", " ", "  "])
def test_text_delimiters_and_header(tmp_path, sep):
    rows = [[1, 0, 1], [0, 0, 1], [1.5, -2, 3e-3]]
    body = "\n".join(sep.join(str(v) for v in r) for r in rows)
    (tmp_path / "a.csv").write_text("# a comment\n" + body + "\n\n")
    assert np.allclose(load_text(tmp_path / "a.csv").x, rows)
    (tmp_path / "h.txt").write_text(sep.join(["x", "y", "z"]) + "\n" + body)
    r = load_path(tmp_path / "h.txt")
    assert np.allclose(r.x, rows) and r.meta["columns"] == ["x", "y", "z"]


def test_text_single_column(tmp_path):
    (tmp_path / "c.csv").write_text("1\n0\n1\n")
    assert load_text(tmp_path / "c.csv").x.shape == (3, 1)


def test_text_errors_name_the_line(tmp_path):
    p = tmp_path / "t.csv"
    p.write_text("")
    assert "empty" in _err(load_text, p)
    p.write_text("# only a comment\n\n")
    assert "no data lines" in _err(load_text, p)
    p.write_text("1,2,3\n4,5,6\n7,8\n")
    msg = _err(load_text, p)
    assert "t.csv" in msg and "line 3" in msg and "ragged" in msg
    p.write_text("a,b\n1,2\n# c\n3,oops\n")
    msg = _err(load_text, p)
    assert "line 4" in msg and "'oops'" in msg and "not a number" in msg
    p.write_text("1 2\n3 nan\n")
    msg = _err(load_text, p)
    assert "line 2" in msg and "NaN" in msg
    p.write_text("1,2\n3,inf\n")
    assert "line 2" in _err(load_text, p)
    p.write_bytes(b"\x00\x01\x02binary")
    assert "not a text file" in _err(load_text, p)
    p.write_bytes(b"1,2\n\xff\xfe,3\n")
    assert "UTF-8" in _err(load_text, p)
    p.write_text("x,y\n")
    assert "no" in _err(load_text, p)


# ------------------------------------------------------------------------------ IDX
def _idx(arr, code=0x08):
    dt = {0x08: ">u1", 0x0B: ">i2", 0x0D: ">f4", 0x0E: ">f8"}[code]
    return bytes([0, 0, code, arr.ndim]) + struct.pack(f">{arr.ndim}I", *arr.shape) + \
        arr.astype(dt).tobytes()


def test_idx_images_labels_gzip(tmp_path):
    rng = np.random.default_rng(1)
    imgs = rng.integers(0, 256, size=(6, 7, 5))
    labels = rng.integers(0, 10, size=6)
    with gzip.open(tmp_path / "train-images-idx3-ubyte.gz", "wb") as f:
        f.write(_idx(imgs))
    (tmp_path / "train-labels-idx1-ubyte").write_bytes(_idx(labels))
    r = load_path(tmp_path / "train-images-idx3-ubyte.gz")
    assert r.image_shape == (7, 5) and np.array_equal(r.x, imgs.reshape(6, 35))
    assert np.array_equal(r.labels, labels)
    r = load_path(tmp_path / "train-labels-idx1-ubyte")
    assert r.x.shape == (6, 1)
    vals = rng.normal(size=(3, 4))
    (tmp_path / "v.idx").write_bytes(_idx(vals, 0x0E))
    assert np.array_equal(load_idx(tmp_path / "v.idx").x, vals)
    (tmp_path / "s.idx").write_bytes(_idx(np.array([[-3, 300]]), 0x0B))
    assert np.array_equal(load_idx(tmp_path / "s.idx").x, [[-3, 300]])


def test_idx_errors(tmp_path):
    p = tmp_path / "x-ubyte"
    p.write_bytes(b"")
    assert "empty" in _err(load_idx, p)
    p.write_bytes(b"\x00\x00\x99\x02abcdefgh")
    assert "not an IDX" in _err(load_idx, p)
    good = _idx(np.ones((4, 3, 3)))
    p.write_bytes(good[:-5])
    assert "truncated" in _err(load_idx, p)
    p.write_bytes(good[:9])
    assert "truncated" in _err(load_idx, p)
    with gzip.open(tmp_path / "y.idx.gz", "wb") as f:
        f.write(good)
    data = (tmp_path / "y.idx.gz").read_bytes()
    (tmp_path / "z.idx.gz").write_bytes(data[: len(data) - 12])
    _err(load_path, tmp_path / "z.idx.gz")
    np.save(tmp_path / "q.npy", np.ones((2, 2)))
    with gzip.open(tmp_path / "q.npy.gz", "wb") as f:
        f.write((tmp_path / "q.npy").read_bytes())
    assert "gunzip" in _err(load_path, tmp_path / "q.npy.gz")
    (tmp_path / "w.xyz").write_text("1")
    assert "unknown data file type" in _err(load_path, tmp_path / "w.xyz")
    assert "no such" in _err(load_path, tmp_path / "missing.npy")


# ------------------------------------------------------------------------------ images
LUMA = np.array([0.299, 0.587, 0.114])


@pytest.mark.parametrize("filters", [(0,), (1,), (2,), (3,), (4,), (0, 1, 2, 3, 4)])
def test_png_filters_grey_rgb_rgba(filters):
    rng = np.random.default_rng(sum(filters))
    grey = rng.integers(0, 256, size=(6, 7))
    assert np.allclose(decode_png(encode_png(grey, 0, filters=filters)), grey / 255)
    rgb = rng.integers(0, 256, size=(5, 4, 3))
    assert np.allclose(decode_png(encode_png(rgb, 2, filters=filters)), rgb @ LUMA / 255)
    rgba = rng.integers(0, 256, size=(4, 5, 4))
    alpha = rgba[..., 3] / 255
    expect = (rgba[..., :3] @ LUMA / 255) * alpha + (1 - alpha)
    assert np.allclose(decode_png(encode_png(rgba, 6, filters=filters)), expect)


def test_png_depths_palette_grey_alpha():
    rng = np.random.default_rng(3)
    for depth in (1, 2, 4):
        g = rng.integers(0, 2 ** depth, size=(5, 11))
        assert np.allclose(decode_png(encode_png(g, 0, depth=depth)), g / (2 ** depth - 1))
    g16 = rng.integers(0, 65536, size=(3, 4))
    assert np.allclose(decode_png(encode_png(g16, 0, depth=16)), g16 / 65535)
    pal = rng.integers(0, 256, size=(7, 3))
    idx = rng.integers(0, 7, size=(4, 6))
    assert np.allclose(decode_png(encode_png(idx, 3, palette=pal)), pal[idx] @ LUMA / 255)
    la = rng.integers(0, 256, size=(3, 3, 2))
    a = la[..., 1] / 255
    assert np.allclose(decode_png(encode_png(la, 4)), la[..., 0] / 255 * a + 1 - a)


def test_png_errors():
    good = encode_png(np.zeros((2, 2)), 0)
    assert "interlaced" in _err(decode_png, encode_png(np.zeros((2, 2)), 0, interlace=1))
    bad = bytearray(good)
    bad[20] ^= 0xFF
    assert "checksum" in _err(decode_png, bytes(bad))
    assert "truncated" in _err(decode_png, good[:30])
    assert "signature" in _err(decode_png, b"GIF89a")


def test_image_folder_resized_consistently(tmp_path, monkeypatch):
    rng = np.random.default_rng(4)
    a = rng.integers(0, 256, size=(6, 8))
    b = rng.integers(0, 256, size=(12, 16, 3))
    (tmp_path / "a.png").write_bytes(encode_png(a, 0))
    (tmp_path / "b.PNG").write_bytes(encode_png(b, 2))
    (tmp_path / "notes.txt").write_text("ignored")
    r = load_path(tmp_path)
    assert r.x.shape == (2, 48) and r.image_shape == (6, 8)
    assert np.allclose(r.x[0], a.ravel() / 255)
    assert r.x.min() >= 0 and r.x.max() <= 1
    r2 = load_images(tmp_path, image_size=[3, 4])
    assert r2.image_shape == (3, 4) and r2.x.shape == (2, 12)
    assert load_path(tmp_path / "a.png").x.shape == (1, 48)
    # bilinear resize of a constant image stays constant; 2x down-sampling averages pixel pairs
    assert np.allclose(resize(np.full((5, 7), 0.3), (2, 9)), 0.3)
    assert np.allclose(resize(np.array([[0.0, 1.0, 0.0, 1.0]]), (1, 2)), 0.5)


def test_image_folder_errors(tmp_path, monkeypatch):
    empty = tmp_path / "empty"
    empty.mkdir()
    assert "no PNG or JPEG" in _err(load_path, empty)
    imgs = tmp_path / "imgs"
    imgs.mkdir()
    (imgs / "a.png").write_bytes(encode_png(np.zeros((2, 2)), 0))
    (imgs / "b.jpg").write_bytes(b"\xff\xd8\xff\xe0" + bytes(20))
    monkeypatch.setattr("boltzmann_lab.data.formats.images._pillow", lambda: None)
    msg = _err(load_path, imgs)
    assert "b.jpg" in msg and "Pillow" in msg and "pip install pillow" in msg
    (imgs / "b.jpg").unlink()
    (imgs / "c.png").write_bytes(b"")
    assert "c.png" in _err(load_path, imgs) and "empty" in _err(load_path, imgs)
    (imgs / "c.png").write_bytes(b"not an image at all")
    assert "not a PNG or JPEG" in _err(load_path, imgs)


def test_empty_image_stacks(tmp_path):
    np.save(tmp_path / "e.npy", np.zeros((0, 3, 4)))
    assert "empty" in _err(load_npy, tmp_path / "e.npy")
    (tmp_path / "e-ubyte").write_bytes(_idx(np.zeros((0, 2, 2))))
    assert "empty" in _err(load_idx, tmp_path / "e-ubyte")
