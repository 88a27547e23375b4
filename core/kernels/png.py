"""PNG scanline unfiltering (RFC 2083 §6): the byte-serial recurrences of the Sub, Up, Average and
Paeth filters, which numpy cannot vectorise (each byte depends on the one just decoded)."""

import numpy as np
from numba import njit


@njit(nogil=True, cache=True)
def unfilter(rows, bpp, out):
    """Undo the per-row filters of a non-interlaced PNG image.

    Parameters
    ----------
    rows : (height, stride + 1) uint8 — each row is its filter type byte followed by the filtered
        bytes.
    bpp : bytes per complete pixel, at least 1 (the distance to the "left" byte).
    out : (height, stride) uint8, written with the raw (unfiltered) bytes.

    Returns -1 on success, else the index of the first row with an unknown filter type (0-4 are
    defined); rows from that one on are left unwritten.
    """
    height = rows.shape[0]
    stride = rows.shape[1] - 1
    for r in range(height):
        ft = rows[r, 0]
        if ft > 4:
            return r
        for i in range(stride):
            x = np.int32(rows[r, i + 1])
            a = np.int32(out[r, i - bpp]) if i >= bpp else np.int32(0)
            b = np.int32(out[r - 1, i]) if r > 0 else np.int32(0)
            if ft == 0:
                v = x
            elif ft == 1:
                v = x + a
            elif ft == 2:
                v = x + b
            elif ft == 3:
                v = x + ((a + b) >> 1)
            else:
                c = np.int32(out[r - 1, i - bpp]) if (r > 0 and i >= bpp) else np.int32(0)
                p = a + b - c
                pa = abs(p - a)
                pb = abs(p - b)
                pc = abs(p - c)
                if pa <= pb and pa <= pc:
                    v = x + a
                elif pb <= pc:
                    v = x + b
                else:
                    v = x + c
            out[r, i] = np.uint8(v & 255)
    return -1
