"""From a ``[data]`` config to a :class:`~boltzmann_lab.data.dataset.Dataset`: load or generate, then prepare.

Preparation (:func:`prepare`), in this order:

1. ``max_samples``: keep a seeded random subset of that many samples (original order kept).
2. Detect the data's own units: values all in {0,1} -> ``binary``, all in {-1,+1} -> ``spin``,
   otherwise ``real`` (a generator's declared convention wins when the values fit both).
3. ``binarize``: ``threshold`` -> 1 where x > ``threshold``, else 0; ``stochastic`` -> 1 with
   probability x (drawn with ``seed``).  Values outside [0, 1] are first min-max scaled to [0, 1]
   (so 0..255 images and +-1 spins work as expected).
4. ``convention``: ``auto`` keeps the data's own; ``binary``/``spin`` convert between {0,1} and {-1,+1}
   exactly (s = 2x - 1), and refuse real values with a message saying how to binarise; ``real``
   keeps the numbers as they are.
5. Seeded train/validation split (``validation_fraction``, ``seed``); both parts keep the original
   sample order.  No split when binary/spin data are a small finite set (:func:`small_finite_set`:
   at most 128 distinct rows, each seen fewer than 4 times on average, e.g. the 30 bars-and-stripes
   patterns): holding some out would remove them from the model's training set, and
   ``meta["validation"]`` says so.
6. ``standardize`` (real data only): subtract the training mean, divide by the training std
   (both recorded in ``meta``).

:func:`check_compatible` then checks the data against the chosen model (``[model] kind``).
"""

from __future__ import annotations

import numpy as np

from boltzmann_lab.data.dataset import Dataset
from boltzmann_lab.data.loaders import LoadError, RawData, load_path
from boltzmann_lab.exact.enumeration import MAX_UNITS
from boltzmann_lab.kinds import KINDS

#: model kinds that need binary {0,1} or spin {-1,+1} data
#: largest n for exact enumeration (maxent estimator "exact")


#: a small finite set (no validation split): at most this many distinct rows ...
FINITE_SET_PATTERNS = 128
#: ... each seen fewer than this many times on average
FINITE_SET_REPEATS = 4


def _distinct(x):
    return np.unique(x, axis=0) if len(x) else x


def small_finite_set(x) -> bool:
    """Binary/spin data are a small finite set — at most ``FINITE_SET_PATTERNS`` distinct rows, each
    seen fewer than ``FINITE_SET_REPEATS`` times on average (bars-and-stripes: all 30 patterns
    once) — so a validation split would take patterns away instead of sampling the distribution."""
    if len(x) > FINITE_SET_PATTERNS * FINITE_SET_REPEATS:
        return False
    D = len(_distinct(x))
    return D <= FINITE_SET_PATTERNS and len(x) < FINITE_SET_REPEATS * D


def detect_convention(x: np.ndarray, hint: str | None = None) -> str:
    """``binary`` if every value is 0 or 1, ``spin`` if every value is -1 or +1, else ``real``.
    Data that fit both (all ones) take ``hint`` when it is binary/spin, else ``binary``."""
    is01 = bool(np.all((x == 0) | (x == 1)))
    ispm = bool(np.all((x == -1) | (x == 1)))
    if is01 and ispm:
        return hint if hint in ("binary", "spin") else "binary"
    if is01:
        return "binary"
    if ispm:
        return "spin"
    return "real"


def _unit_scale(x: np.ndarray) -> np.ndarray:
    lo, hi = float(x.min()), float(x.max())
    if lo >= 0.0 and hi <= 1.0:
        return x
    if hi == lo:
        return np.zeros_like(x)
    return (x - lo) / (hi - lo)


def _describe_values(x: np.ndarray) -> str:
    vals = np.unique(x[: min(len(x), 2000)])
    if len(vals) <= 6:
        return "values " + ", ".join(f"{v:g}" for v in vals)
    return f"values from {x.min():g} to {x.max():g}"


def _data_section(cfg: dict) -> dict:
    return cfg["data"] if "data" in cfg and isinstance(cfg["data"], dict) else cfg


def prepare(raw: RawData, cfg: dict) -> Dataset:
    """Turn loaded or generated samples into a :class:`Dataset` according to the ``[data]`` keys.

    ``cfg`` is a resolved run config (or just its ``[data]`` section).  Randomness (subset,
    stochastic binarisation, split) comes from ``[data] seed`` only.
    """
    d = _data_section(cfg)
    from boltzmann_lab.data import categorical
    if categorical.wants_categorical(cfg, raw):
        return categorical.prepare_categorical(raw, cfg)
    x = np.asarray(raw.x, dtype=np.float64)
    if x.ndim != 2 or x.shape[0] == 0 or x.shape[1] == 0:
        raise LoadError(f"{raw.name}: the data must be a non-empty 2-D array (samples x units), "
                        f"got shape {x.shape}.")
    if not np.isfinite(x).all():
        r = int(np.argwhere(~np.isfinite(x))[0][0])
        raise LoadError(f"{raw.name}: row {r} contains NaN or infinite values; data must be finite.")
    labels = None if raw.labels is None else np.asarray(raw.labels, dtype=np.float64)
    seed = int(d.get("seed", 0))
    ss = np.random.SeedSequence(seed).spawn(3)
    meta = dict(raw.meta)

    max_samples = d.get("max_samples")
    if max_samples is not None and max_samples < len(x):
        keep = np.sort(np.random.default_rng(ss[0]).choice(len(x), size=max_samples,
                                                           replace=False))
        x = x[keep]
        labels = None if labels is None else labels[keep]

    own = detect_convention(x, raw.convention)
    meta["source_convention"] = own
    binarize = d.get("binarize", "none")
    if binarize != "none":
        p = _unit_scale(x)
        if binarize == "threshold":
            x = (p > float(d.get("threshold", 0.5))).astype(np.float64)
        elif binarize == "stochastic":
            x = (np.random.default_rng(ss[1]).random(x.shape) < p).astype(np.float64)
        else:
            raise LoadError(f"[data] binarize = {binarize!r} is not known; use 'none', "
                            f"'threshold' or 'stochastic'.")
        own = "binary"
        meta["binarized"] = binarize

    target = d.get("convention", "auto")
    if target == "auto":
        target = own
    if target in ("binary", "spin"):
        if own == "real":
            raise LoadError(
                f"{raw.name}: [data] convention = {target!r} needs binary data ({{0,1}} or "
                f"{{-1,+1}}) but the file has {_describe_values(x)}. Binarise it with "
                f'[data] binarize = "threshold" (x > threshold, default 0.5 after scaling to '
                f'[0, 1]) or binarize = "stochastic", or choose convention = "real".')
        if own != target:
            x = (2.0 * x - 1.0) if target == "spin" else (x + 1.0) / 2.0
    elif target != "real":
        raise LoadError(f"[data] convention = {target!r} is not known; use auto, binary, spin, "
                        f"real or categorical.")

    frac = float(d.get("validation_fraction", 0.0))
    M = len(x)
    n_val = int(frac * M)
    if frac > 0 and M >= 2:
        n_val = min(max(n_val, 1), M - 1)
    if n_val > 0 and target in ("binary", "spin") and small_finite_set(x):
        n_val = 0
        meta["validation"] = (f"none: the data are a small finite set ({len(_distinct(x))} "
                              f"distinct patterns in {M} rows); holding some out would remove "
                              f"them from what the model learns")
    if n_val > 0:
        val_idx = np.sort(np.random.default_rng(ss[2]).choice(M, size=n_val, replace=False))
        mask = np.ones(M, bool)
        mask[val_idx] = False
        train, val = x[mask], x[~mask]
        if labels is not None:
            meta["val_labels"] = labels[~mask]
            labels = labels[mask]
    else:
        train, val = x, x[:0]

    if d.get("standardize", False) and target == "real":
        mu = train.mean(axis=0)
        sd = train.std(axis=0)
        sd = np.where(sd > 0, sd, 1.0)   # constant columns stay constant (zero) instead of NaN
        train = (train - mu) / sd
        val = (val - mu) / sd
        meta["standardize_mean"] = mu
        meta["standardize_std"] = sd

    return Dataset(train=np.ascontiguousarray(train), val=np.ascontiguousarray(val),
                   convention=target, image_shape=raw.image_shape, name=raw.name,
                   labels=labels, meta=meta)


def check_compatible(dataset: Dataset, cfg: dict) -> None:
    """Raise :class:`LoadError` when the data cannot be used by the model in ``cfg``.

    * ``maxent``, ``rbm`` (non-Gaussian visible units), ``dbm``, ``hopfield``, and ``mixture`` with a
      Bernoulli/binomial family need binary or spin data;
    * ``gaussian`` and ``mixture`` with the Gaussian family need real-valued data;
    * ``maxent`` with ``estimator = "exact"`` needs n <= 24 (enumeration of 2^n states);
    * ``pairs = "lattice"`` needs square images (or n a perfect square).
    """
    kind = cfg["model"]["kind"]
    m, t = cfg["model"], cfg.get("training", {})
    conv = dataset.convention
    if (conv == "categorical") != (KINDS[kind].data_units(m) == "categorical"):
        raise LoadError(
            f"{dataset.name or 'the data'}: " + (
                f"these are categorical data (q = {dataset.states} states); [model] kind = "
                f"{kind!r} needs binary, spin or real data: use kind = \"potts\"."
                if conv == "categorical" else
                f'[model] kind = {kind!r} models categorical data (integers 0..q-1, symbols or '
                f'aligned sequences), but these are {conv}: set [data] convention = '
                f'"categorical".'))
    name = dataset.name or "the data"
    n = dataset.n
    if len(dataset.train) == 0:
        raise LoadError(f"{name}: no training samples are left after the validation split; "
                        f"lower [data] validation_fraction.")
    units = KINDS[kind].data_units(m)
    needs_discrete = units == "discrete"
    if needs_discrete and conv == "real":
        raise LoadError(
            f"{name}: [model] kind = {kind!r} needs binary {{0,1}} or spin {{-1,+1}} data, but "
            f"these are real values ({_describe_values(dataset.train)}). Add "
            f'[data] binarize = "threshold" (or "stochastic") to binarise them'
            + (', or use kind = "gaussian"' if kind == "maxent" else "") + ".")
    if units == "real":
        if conv != "real":
            raise LoadError(
                f"{name}: [model] kind = {kind!r}"
                + (' with family = "gaussian"' if kind == "mixture" else "")
                + f" models real-valued data, but the data are {conv}; set "
                f'[data] convention = "real" to treat them as real numbers.')
    if kind == "maxent":
        if t.get("estimator") == "exact" and n > MAX_UNITS:
            raise LoadError(
                f"{name}: [training] estimator = \"exact\" enumerates all 2^n states and needs "
                f"n <= {MAX_UNITS} units, but the data have n = {n}; use estimator = \"mcmc\" "
                f'or "pseudolikelihood".')
    if KINDS[kind].pair_constraints and m.get("pairs") == "lattice":
        shape = dataset.image_shape
        side = int(round(np.sqrt(n)))
        if not ((shape is not None and len(shape) == 2) or side * side == n):
            raise LoadError(f"{name}: [model] pairs = \"lattice\" needs square images or n a "
                            f"perfect square, but n = {n}; use pairs = \"all\" or a mask.")
    if KINDS[kind].pair_constraints and m.get("pairs") == "mask" and not m.get("mask"):
        raise LoadError('[model] pairs = "mask" needs [model] mask = "FILE.npy" (an (n, n) boolean '
                        "array).")


def load_raw(cfg: dict) -> RawData:
    """Read the file named by ``[data] path`` or run the ``[data] generator``."""
    d = _data_section(cfg)
    if d.get("path"):
        from boltzmann_lab.data import categorical
        if categorical.wants_categorical(cfg, path=d["path"]):
            return categorical.load_categorical(d["path"], d)
        return load_path(d["path"], key=d.get("key"), image_size=d.get("image_size"))
    if d.get("generator"):
        from boltzmann_lab.data.generators import generate
        return generate(d)
    raise LoadError("[data] needs either path (a data file) or generator.")


def load_dataset(cfg: dict) -> Dataset:
    """Load or generate the data of a resolved run config, prepare it and check it fits the model."""
    ds = prepare(load_raw(cfg), cfg)
    if "model" in cfg:
        check_compatible(ds, cfg)
    return ds
