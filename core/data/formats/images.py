"""A folder of PNG/JPEG images (or one image) as greyscale samples in [0, 1].

Images are sorted by name and resized (bilinear) to one common size (``image_size``, default the
first image's size).  PNG is decoded by :mod:`boltzmann_lab.data.formats.png`; JPEG needs Pillow
(``pip install pillow``).  The memory of decoding and of the resized stack is checked from the
image headers before anything is decoded.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from boltzmann_lab.data.formats.base import (LoadError, RawData, check_finite, check_memory,
                                             wrap_unexpected)
from boltzmann_lab.data.formats.png import MAX_PIXELS, SIGNATURE, decode_png, png_size

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")


def _pillow():
    try:
        from PIL import Image
    except ImportError:
        return None
    return Image


def _decode_image(path: Path) -> np.ndarray:
    data = path.read_bytes()
    if not data:
        raise LoadError(f"{path}: the image file is empty (0 bytes).")
    if data[:8] == SIGNATURE:
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
            if im.size[0] * im.size[1] > MAX_PIXELS:
                raise LoadError(f"{path}: the image is too large ({im.size[0]} x {im.size[1]} "
                                f"pixels; at most {MAX_PIXELS:,} are decoded).")
            return np.asarray(im.convert("L"), dtype=np.float64) / 255.0
    except LoadError:
        raise
    except Exception as exc:
        raise LoadError(f"{path}: the image could not be decoded; it is truncated or corrupt "
                        f"({exc}).") from None


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


def _header_size(path: Path) -> tuple[int, int] | None:
    """(width, height) from a PNG header, else ``None``."""
    try:
        with open(path, "rb") as f:
            return png_size(f.read(24))
    except OSError:
        return None


def _decoded_bytes(path: Path) -> int:
    """Memory needed to decode one image: from the PNG header's size when readable (compressed
    PNGs can be tiny on disk), else a generous multiple of the file size (JPEG)."""
    size = _header_size(path)
    if size is not None:
        w, h = size
        return 8 * 6 * w * h          # raw + unfiltered bytes, channels as float64, the result
    try:
        return 40 * path.stat().st_size
    except OSError:
        return 0


def _image_files(path: Path) -> list[Path]:
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES
                       and p.is_file())
        if not files:
            raise LoadError(f"{path}: the folder has no PNG or JPEG images "
                            f"({', '.join(IMAGE_SUFFIXES)}).")
        return files
    return [path]


def _target_shape(path: Path, image_size, first: tuple[int, int] | None):
    if image_size:
        shape = tuple(int(s) for s in image_size)
        if len(shape) != 2 or min(shape) < 1:
            raise LoadError(f"{path}: image_size must be [rows, cols] with positive sizes, got "
                            f"{list(image_size)}.")
        return shape
    return first


def peek_images(path, image_size=None) -> tuple[int, int] | None:
    """(M, n) of an image folder (or one image): the number of images and the pixels of the
    target size (``image_size``, else the first PNG's header size); ``None`` when unknown."""
    path = Path(path)
    files = _image_files(path)
    first = _header_size(files[0])
    shape = _target_shape(path, image_size, None if first is None else (first[1], first[0]))
    if shape is None:
        return None
    return len(files), int(shape[0]) * int(shape[1])


def load_images(path, image_size=None) -> RawData:
    """Read a folder of PNG/JPEG images (sorted by name), or one image file, as greyscale in [0, 1].

    All images are resized (bilinear) to ``image_size`` = (rows, cols), default the size of the
    first image, so every sample has the same shape; ``image_shape`` records it.
    """
    path = Path(path)
    files = _image_files(path)
    first = _header_size(files[0])
    target = _target_shape(path, image_size, None if first is None else (first[1], first[0]))
    need = max(_decoded_bytes(p) for p in files)
    if target is not None:
        need += 2 * 8 * len(files) * int(target[0]) * int(target[1])
    check_memory(path, need, "decoding and resizing the images")
    images = []
    for p in files:
        try:
            img = _decode_image(p)
        except LoadError:
            raise
        except OSError as exc:
            raise LoadError(f"{p}: cannot read the image ({exc.strerror or exc}).") from None
        except Exception as exc:
            raise wrap_unexpected(p, exc, "image") from None
        images.append(resize(img, target) if target is not None else img)
        if target is None:
            target = img.shape
            check_memory(path, 2 * 8 * len(files) * img.size, "the resized images")
    shape = tuple(int(s) for s in target)
    x = np.stack([img.ravel() for img in images])
    x = np.clip(x, 0.0, 1.0)
    check_finite(x, path, "image")
    meta = {"source": str(path), "files": [p.name for p in files]}
    return RawData(np.ascontiguousarray(x), name=path.name, image_shape=shape, meta=meta)
