"""Each sweep point's memory, checked before anything is submitted.

The estimate is the project's one estimate of a run's peak memory,
:func:`boltzmann_lab.memory.estimate_run` (per kind, calibrated against measured peaks in
tests/core/test_memory.py), for the point's config and data shape, plus WORKER_BASE: the resident
size of a fresh worker process that has imported numpy, numba and Boltzmann Lab and loaded its
kernels (~230 MB measured on Linux, rounded up).  :mod:`boltzmann_lab.sweeps.runner` compares it
with the workers' memory limit (or, serially, with the memory available to this process).

:func:`data_shapes` loads each distinct data set of a sweep once on the client before anything is
submitted: a bad data file is reported (exit code 2) before any worker starts, generated data land
in the on-disk cache before the workers ask for them, and the shapes feed the estimate.
"""

from __future__ import annotations

import json

WORKER_BASE = 300 * 2**20


def data_key(cfg: dict) -> str:
    """What decides a config's prepared data and its checks: ``[data]`` and ``[model]``."""
    return json.dumps({"data": cfg.get("data"), "model": cfg.get("model")}, sort_keys=True,
                      default=str)


def data_shapes(configs, source: str = "config") -> dict[str, tuple[int, int] | None]:
    """``{data_key: (M, n)}`` — the raw data shape of each distinct data set of ``configs``, each
    loaded, prepared and checked against its model once here (LoadError / ConfigError otherwise).
    Kinds without data map to ``None``."""
    from boltzmann_lab import kinds, memory
    from boltzmann_lab.data.prepare import load_dataset

    shapes: dict[str, tuple[int, int] | None] = {}
    for cfg in configs:
        key = data_key(cfg)
        if key in shapes:
            continue
        if not kinds.get(cfg["model"]["kind"]).needs_data:
            shapes[key] = None
            continue
        shape = memory.data_shape(cfg)
        if shape is not None:       # the client holds the data once: refuse what cannot fit
            memory.check_bytes(2.5 * memory.F64 * shape[0] * shape[1],
                               "loading the sweep's data once to check it",
                               "Use a smaller data set (e.g. [data] max_samples).", source=source)
        ds = load_dataset(cfg)
        shapes[key] = shape if shape is not None else (len(ds.train) + len(ds.val), ds.n)
    return shapes


def point_bytes(cfg: dict, shape: tuple[int, int] | None) -> int:
    """Estimated peak resident bytes of a worker process training ``cfg`` on data of ``shape``."""
    from boltzmann_lab import memory
    return int(memory.total(memory.estimate_run(cfg, shape)) + WORKER_BASE)


def human(nbytes: float) -> str:
    """``1.2 GB`` style (:func:`boltzmann_lab.memory.fmt_bytes`)."""
    from boltzmann_lab.memory import fmt_bytes
    return fmt_bytes(nbytes)
