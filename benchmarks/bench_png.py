"""PNG decoding speed (boltzmann_lab.data.formats.png), single thread, with a reference in the same
process.

* Our decoder on a 2000 x 2000 greyscale PNG whose every row uses the Paeth filter (the slowest
  filter: each byte depends on three decoded neighbours): seconds per image, median of repeats
  (bounded inflate + the numba unfilter kernel + conversion to floats).
* Reference: the pure-Python per-byte Paeth loop the loader used before (numpy rows, Python loop
  over bytes) on a 400 x 400 image, scaled per byte to 2000 x 2000.

Times are thread CPU time.  Run: ``python benchmarks/bench_png.py``.
"""

import os
import statistics
import sys
import time
import zlib

import numpy as np

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from boltzmann_lab.data.formats.png import decode_png, png  # noqa: E402

REPEATS = 5


def paeth_png(width, height, seed=0) -> bytes:
    """A greyscale PNG whose every row uses the Paeth filter (random filtered bytes)."""
    rng = np.random.default_rng(seed)
    rows = np.concatenate([np.full((height, 1), 4, np.uint8),
                           rng.integers(0, 256, (height, width), dtype=np.uint8)], axis=1)
    return png(width, height, zlib.compress(rows.tobytes(), 1))


def _paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def reference_unfilter(rows, bpp=1):
    """The former pure-Python Paeth path: a Python loop over the bytes of each row."""
    height, width1 = rows.shape
    prev = np.zeros(width1 - 1, np.int64)
    out = np.zeros((height, width1 - 1), np.int64)
    for r in range(height):
        cur = rows[r, 1:].astype(np.int64)
        for i in range(len(cur)):
            a = cur[i - bpp] if i >= bpp else 0
            c = prev[i - bpp] if i >= bpp else 0
            cur[i] = (cur[i] + _paeth(a, prev[i], c)) & 255
        out[r] = cur
        prev = cur
    return out


def _timed(fn):
    t = time.thread_time()
    fn()
    return time.thread_time() - t


def main():
    big = paeth_png(2000, 2000)
    decode_png(paeth_png(8, 8), "warm")                      # compile / load the kernel
    ours = statistics.median(_timed(lambda: decode_png(big, "big")) for _ in range(REPEATS))
    small = paeth_png(400, 400)
    start = small.index(b"IDAT") + 4
    length = int.from_bytes(small[start - 8:start - 4], "big")
    rows = np.frombuffer(zlib.decompress(small[start:start + length]), np.uint8).reshape(400, 401)
    ref_small = statistics.median(_timed(lambda: reference_unfilter(rows)) for _ in range(3))
    ref = ref_small * (2000 * 2000) / (400 * 400)
    print(f"PNG 2000x2000 Paeth, decode to floats: {ours:.3f} s per image "
          f"({ours / 4e6 * 1e9:.1f} ns per pixel)")
    print(f"reference (pure-Python Paeth loop, 400x400 scaled per byte): {ref:.1f} s "
          f"-> ratio {ref / ours:.0f}x")


if __name__ == "__main__":
    main()
