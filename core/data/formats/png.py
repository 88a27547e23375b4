"""A PNG decoder for greyscale data: bounded inflate, numba unfiltering.

Supports non-interlaced PNGs of bit depth 1-16 for grey, 8/16 for RGB, grey+alpha and RGBA, and
palette images.  The compressed image data are inflated incrementally with an output limit of
exactly the size the header declares (height x (1 + bytes per row)): a stream that inflates beyond
it is refused when the limit is passed, so a small file cannot claim gigabytes.  The filters are
undone by :func:`boltzmann_lab.kernels.png.unfilter` (byte-serial recurrences, compiled).
"""

from __future__ import annotations

import struct
import zlib

import numpy as np

from boltzmann_lab.data.formats.base import LoadError

SIGNATURE = b"\x89PNG\r\n\x1a\n"
#: largest image decoded (pixels); the memory check covers what fits, this bounds the work
MAX_PIXELS = 50_000_000
CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}
LUMA = np.array([0.299, 0.587, 0.114])


def png_size(head: bytes) -> tuple[int, int] | None:
    """(width, height) from the first 24 bytes of a PNG, or ``None`` when they are not a PNG header."""
    if len(head) >= 24 and head[:8] == SIGNATURE and head[12:16] == b"IHDR":
        w, h = struct.unpack(">II", head[16:24])
        return int(w), int(h)
    return None


def chunk(kind: bytes, data: bytes) -> bytes:
    """One PNG chunk: length, type, data, CRC."""
    return (struct.pack(">I", len(data)) + kind + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))


def png(width: int, height: int, idat: bytes, depth: int = 8, colour: int = 0) -> bytes:
    """A minimal non-interlaced PNG around ready-made (zlib-compressed, filtered) image data."""
    return (SIGNATURE
            + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, 0))
            + chunk(b"IDAT", idat) + chunk(b"IEND", b""))


def _chunks(data: bytes, path):
    """IHDR fields, PLTE palette (or None) and the list of IDAT payloads, CRCs checked."""
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
    return ihdr, palette, idat


def inflate_bounded(chunks, limit: int, path) -> bytes:
    """Inflate the concatenated zlib stream ``chunks`` into at most ``limit`` bytes; refuse a
    stream that would produce more (never holding more than ``limit + 1`` bytes of output)."""
    d = zlib.decompressobj()
    out = bytearray()
    try:
        for chunk in chunks:
            data = chunk
            while data and not d.eof:
                out += d.decompress(data, limit + 1 - len(out))
                if len(out) > limit:
                    raise LoadError(f"{path}: the PNG image data inflate to more than the "
                                    f"{limit} bytes its header declares; the file is corrupt or "
                                    f"crafted (a decompression bomb) and was not decoded.")
                data = d.unconsumed_tail
            if d.eof:
                break
        if not d.eof:
            out += d.flush()
    except zlib.error as exc:
        raise LoadError(f"{path}: the PNG image data is corrupt ({exc}).") from None
    if len(out) > limit:
        raise LoadError(f"{path}: the PNG image data inflate to more than the {limit} bytes its "
                        f"header declares; the file is corrupt or crafted and was not decoded.")
    return bytes(out)


def decode_png(data: bytes, path="PNG") -> np.ndarray:
    """Decode a non-interlaced PNG to a greyscale float array in [0, 1], shape (rows, cols).

    Colour is converted with luma weights (0.299, 0.587, 0.114); alpha is composited on white.
    """
    from boltzmann_lab.kernels.png import unfilter

    if data[:8] != SIGNATURE:
        raise LoadError(f"{path}: not a PNG file (wrong signature).")
    ihdr, palette, idat = _chunks(data, path)
    width, height, depth, ctype, _comp, _filt, interlace = ihdr
    channels = CHANNELS.get(ctype)
    if channels is None or depth not in (1, 2, 4, 8, 16) or (ctype in (2, 4, 6) and depth < 8) \
            or (ctype == 3 and depth == 16):
        raise LoadError(f"{path}: unsupported PNG colour type {ctype} with bit depth {depth}.")
    if interlace:
        raise LoadError(f"{path}: interlaced PNGs are not supported without Pillow; save the image "
                        f"non-interlaced, or install Pillow (pip install pillow).")
    if width == 0 or height == 0:
        raise LoadError(f"{path}: the PNG has zero size.")
    if width * height > MAX_PIXELS:
        raise LoadError(f"{path}: the PNG is too large ({width} x {height} pixels; at most "
                        f"{MAX_PIXELS:,} are decoded).")
    bits_pp = channels * depth
    stride = (width * bits_pp + 7) // 8
    bpp = max(1, bits_pp // 8)
    expected = height * (stride + 1)
    raw = inflate_bounded(idat, expected, path)
    if len(raw) < expected:
        raise LoadError(f"{path}: the PNG image data is truncated.")
    rows = np.frombuffer(raw, np.uint8).reshape(height, stride + 1)
    buf = np.empty((height, stride), np.uint8)
    bad = unfilter(rows, bpp, buf)
    if bad >= 0:
        raise LoadError(f"{path}: the PNG is corrupt (unknown filter {rows[bad, 0]} in row {bad}).")
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
        return rgb @ LUMA
    if channels in (1, 2):
        grey = vals[..., 0]
    else:
        grey = vals[..., :3] @ LUMA
    if channels in (2, 4):
        alpha = vals[..., -1]
        grey = grey * alpha + (1.0 - alpha)
    return grey
