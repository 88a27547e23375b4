"""On-disk cache for expensive generated data sets (Ising configurations, exact SK samples).

The folder is ``$BOLTZMANN_LAB_CACHE`` when set, else ``~/.cache/boltzmann-lab``.  Each entry is an
``.npz`` named by a hash of the generator name and its parameters, written atomically and read with
``allow_pickle=False``; a damaged entry is recomputed, and an unwritable folder only disables caching.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Callable

import numpy as np

#: bump when a generator's output for the same parameters changes, so old entries are not reused
CACHE_VERSION = 1


def cache_dir() -> Path:
    """The cache folder (not created here)."""
    env = os.environ.get("BOLTZMANN_LAB_CACHE")
    return Path(env) if env else Path.home() / ".cache" / "boltzmann-lab"


def cache_key(name: str, params: dict) -> str:
    text = json.dumps({"name": name, "params": params, "version": CACHE_VERSION},
                      sort_keys=True, default=float)
    return f"{name}-{hashlib.sha256(text.encode()).hexdigest()[:20]}"


def cached(name: str, params: dict, compute: Callable[[], dict[str, np.ndarray]]) \
        -> dict[str, np.ndarray]:
    """Arrays for ``(name, params)`` from the cache, or ``compute()`` them and store them."""
    path = cache_dir() / (cache_key(name, params) + ".npz")
    if path.exists():
        try:
            with np.load(path, allow_pickle=False) as f:
                return {k: f[k] for k in f.files}
        except Exception:  # a damaged entry: recompute it below
            pass
    arrays = compute()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                np.savez(f, **arrays)
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    except OSError:
        pass  # caching is an optimisation: a read-only home must not break data generation
    return arrays
