"""Arrays into estimators: checks in Python words, and the config's own data preparation
(:func:`boltzmann_lab.data.prepare.prepare`: convention detection and conversion, the seeded
validation split, the model's data requirements)."""

from __future__ import annotations

import numpy as np

from boltzmann_lab.kinds import KINDS


def check_array(owner: str, X, name="X", n=None) -> np.ndarray:
    """``X`` as a finite, non-empty (M, n) float64 array (``n`` columns when given); ValueError
    naming ``owner`` (the estimator) and ``name`` otherwise."""
    try:
        x = np.asarray(X, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{owner}: {name} must be a numeric array ({exc})") from None
    if x.ndim != 2 or x.shape[0] == 0 or x.shape[1] == 0:
        raise ValueError(f"{owner}: {name} must be a non-empty 2-D array (samples x units), got "
                         f"shape {x.shape}"
                         + ("; use X.reshape(1, -1) for one sample" if x.ndim == 1 else ""))
    if not np.isfinite(x).all():
        r = int(np.argwhere(~np.isfinite(x))[0][0])
        raise ValueError(f"{owner}: row {r} of {name} holds NaN or infinite values")
    if n is not None and x.shape[1] != n:
        raise ValueError(f"{owner}: {name} has {x.shape[1]} units (columns), the model has {n}")
    return x


def dataset(est, X, X_val, cfg):
    """A :class:`~boltzmann_lab.data.dataset.Dataset` of ``X`` (and ``X_val``) for estimator
    ``est``, prepared as the resolved config ``cfg`` says and checked against its model kind."""
    from boltzmann_lab.data.dataset import Dataset
    from boltzmann_lab.data.loaders import LoadError, RawData
    from boltzmann_lab.data.prepare import check_compatible, detect_convention, prepare

    owner = type(est).__name__
    x = check_array(owner, X)
    n = x.shape[1]
    d, m = cfg["data"], cfg["model"]
    units = KINDS[est.kind].data_units(m)
    if units == "real":
        d["convention"] = "real"        # 0/1 values are numbers to a Gaussian model
    elif units == "discrete" and detect_convention(x) == "real":
        vals = np.unique(x[:2000])
        what = (", ".join(f"{v:g}" for v in vals) if len(vals) <= 6
                else f"from {x.min():g} to {x.max():g}")
        raise ValueError(f"{owner}: X must hold binary {{0, 1}} or spin {{-1, +1}} values, but "
                         f"it holds values {what}; binarise it first, e.g. "
                         f"(X > 0.5).astype(float){est._real_data_hint}")
    shape = getattr(est, "image_shape", None)
    side = int(round(np.sqrt(n)))
    shape = tuple(shape) if shape is not None else (side, side) if side * side == n else None
    try:
        ds = prepare(RawData(x, name="X", image_shape=shape), cfg)
        if X_val is not None:
            if d["validation_fraction"] > 0:
                raise ValueError(f"{owner}: give X_val or validation_fraction, not both")
            xv = check_array(owner, X_val, "X_val", n)
            dv = prepare(RawData(xv, name="X_val", image_shape=shape),
                         {**d, "convention": ds.convention, "validation_fraction": 0.0,
                          "states": ds.states})
            ds = Dataset(ds.train, dv.train, ds.convention, shape, "X", meta=ds.meta,
                         states=ds.states, alphabet=ds.alphabet, weights=ds.weights,
                         val_weights=dv.weights)
        check_compatible(ds, cfg)
    except LoadError as exc:
        raise ValueError(est._reword(exc)) from None
    return ds


def model_input(est, X) -> np.ndarray:
    """``X`` checked against the fitted model of ``est`` and put in the model's convention
    (binary <-> spin exactly, s = 2x - 1)."""
    from boltzmann_lab.data.conventions import convert_data
    from boltzmann_lab.data.prepare import detect_convention

    x = check_array(type(est).__name__, X, n=est.n_features_in_)
    conv = est.model_.convention
    if conv in ("binary", "spin"):
        own = detect_convention(x, conv)
        if own == "real":
            raise ValueError(f"{type(est).__name__}: X must hold {conv} values (the model's "
                             f"convention), or the other of binary {{0, 1}} / spin {{-1, +1}}")
        x = np.asarray(convert_data(x, own, conv), dtype=np.float64)
    return x
