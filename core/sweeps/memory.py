"""Memory estimate of one run, checked for every sweep point before anything is submitted.

This is a minimal hook until the project has a memory-estimate module of its own (issue 13): an
estimate of the peak resident memory of a worker process that trains one run,

    estimate = BASE_BYTES + SAFETY * 8 bytes * (data floats + model-and-training floats),

where BASE_BYTES is the resident size of a fresh worker that has imported numpy, numba and
Boltzmann Lab and compiled its kernels (~230 MB measured on Linux, rounded up), data floats =
3 · M · n (the loaded array, the prepared float64 copy and the train/validation split), and the
model floats are counted per kind below (parameters × 6: the parameters, their gradient, two
optimizer moments and the trainer's last-good and best copies; plus chains, minibatch activations,
EM responsibilities, the DBM's exact-likelihood blocks).  tests/core/test_sweeps.py checks the
array part against tracemalloc's peak of real runs.  SAFETY = 2 covers temporaries.  It is an estimate for refusing hopeless
submissions early (a point that cannot fit a worker's memory limit), not a guarantee.
"""

from __future__ import annotations

import json

BASE_BYTES = 300 * 2**20
SAFETY = 2.0
FLOAT = 8
#: parameter arrays are held six times (parameters, gradient, two optimizer moments, last good, best)
COPIES = 6


def _model_floats(cfg: dict, n_samples: int, n: int) -> float:
    """Floats held by the model, its learner and the trainer for one kind (see module docstring)."""
    m, t = cfg["model"], cfg["training"]
    kind = m["kind"]
    batch = min(int(t.get("batch_size", 100)), max(n_samples, 1))
    if kind == "maxent":
        floats = COPIES * (n * n + n)
        if t.get("estimator") == "mcmc":
            floats += 2 * int(t.get("chains", 1000)) * n
        return floats
    if kind == "gaussian":
        return COPIES * 2 * n * n
    if kind == "rbm":
        h = int(m["hidden"])
        chains = int(t.get("chains", 100))
        if t.get("method") == "pt":
            chains *= int(t.get("temperatures", 10))
        return COPIES * (n * h + n + h) + 2 * chains * (n + h) + 4 * batch * (n + h) \
            + n_samples * h            # hidden activations of the data for the metrics
    if kind == "dbm":
        sizes = [n] + [int(x) for x in m["hidden"]]
        weights = sum(a * b for a, b in zip(sizes, sizes[1:]))
        units = sum(sizes)
        floats = COPIES * (weights + units) + 2 * int(t.get("chains", 100)) * units \
            + 4 * batch * units + n_samples * (units - n)
        from boltzmann_lab.exact.enumeration import affordable
        if len(sizes) > 2 and affordable(sizes[2], sum(sizes[1:])):
            # exact log p*(v) enumerates h2 in blocks of <= 4096 states: two (M, K, n1) arrays
            floats += 2 * n_samples * min(2 ** sizes[2], 4096) * sizes[1]
        return floats
    if kind == "hopfield":
        return 4 * n * n + 2 * n_samples * n
    if kind == "mixture":
        K = int(m["components"])
        restarts = int(m.get("restarts", 1))
        cov = n * n if m.get("covariance") == "full" else n
        params = K * (n + 1 + (cov if m.get("family") == "gaussian" else 0))
        return COPIES * params * (1 + (restarts > 1)) + 4 * n_samples * K + n_samples * n
    if kind == "ising":
        L = int(m["L"])
        return 8 * L * L
    return COPIES * n * n                      # an unknown kind: a pairwise model's worth


def estimate_bytes(cfg: dict, n_samples: int, n_units: int) -> int:
    """Estimated peak resident bytes of a process training ``cfg`` on ``n_samples`` × ``n_units``
    data (formula in the module docstring).

    Parameters
    ----------
    cfg : a resolved run config.
    n_samples : number of samples (train + validation); 0 for kinds without data.
    n_units : number of visible units n (for ``ising``, L² is used whatever is given).
    """
    n_samples, n = int(n_samples), int(n_units)
    floats = 3.0 * n_samples * n + _model_floats(cfg, n_samples, n)
    return int(BASE_BYTES + SAFETY * FLOAT * floats)


def data_shapes(configs) -> dict[str, tuple[int, int]]:
    """``{data key: (samples, units)}`` for the distinct ``[data]`` tables of ``configs``, each
    loaded once here (so a bad data file is reported before any run is submitted, and generated
    data land in the on-disk cache before the workers ask for them).  Kinds without data give
    (0, L·L)."""
    from boltzmann_lab import kinds
    from boltzmann_lab.data.prepare import check_compatible, load_raw, prepare

    shapes: dict[str, tuple[int, int]] = {}
    raws: dict[str, object] = {}
    for cfg in configs:
        key = data_key(cfg)
        if key in shapes:
            continue
        if not kinds.get(cfg["model"]["kind"]).needs_data:
            L = int(cfg["model"].get("L", 0))
            shapes[key] = (0, L * L)
            continue
        # the file is read (or the generator run) once per [data] table; preparing it and
        # checking that it fits the model is done for each model
        dkey = json.dumps(cfg["data"], sort_keys=True, default=str)
        if dkey not in raws:
            raws = {dkey: load_raw(cfg)}          # keep one raw data set in memory at a time
        ds = prepare(raws[dkey], cfg)
        check_compatible(ds, cfg)
        shapes[key] = (len(ds.train) + len(ds.val), ds.n)
    return shapes


def data_key(cfg: dict) -> str:
    """What decides a config's data: its ``[data]`` table and, for kinds without data, the model."""
    from boltzmann_lab import kinds
    if not kinds.get(cfg["model"]["kind"]).needs_data:
        return "model:" + json.dumps(cfg["model"], sort_keys=True, default=str)
    return json.dumps({"data": cfg["data"], "model": cfg["model"]}, sort_keys=True, default=str)


def human(nbytes: float) -> str:
    """``1.2 GB`` style."""
    for unit, size in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if nbytes >= size:
            return f"{nbytes / size:.1f} {unit}"
    return f"{int(nbytes)} bytes"
