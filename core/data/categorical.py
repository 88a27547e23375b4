"""The ``categorical`` convention: integer states 0..q−1 per site, with an alphabet, sequence
weights and the number of states q (``[data] states``, automatic by default).

:func:`load_categorical` reads a file (an alignment, a table of symbols, or integers in any format
:mod:`boltzmann_lab.data.loaders` reads); :func:`prepare_categorical` turns it into a
:class:`~boltzmann_lab.data.dataset.Dataset` in this order:

1. ``max_samples``: a seeded random subset (original order kept);
2. check that every value is an integer in 0..q−1, q = ``states`` or, by default, the alphabet's
   size (alignments, symbol tables) or max + 1 (integer data);
3. the seeded train/validation split (``validation_fraction``, ``seed``);
4. sequence weights (``reweight``): ``identity`` gives each sequence w_m = 1 / #{m' : id(m, m') ≥ θ}
   with id the fraction of identical positions (gaps count) and θ = ``identity_threshold``
   (Morcos et al., PNAS 2011), computed within the training and within the validation part; the
   effective number of sequences M_eff = Σ w_m is recorded in ``meta``.  ``auto`` reweights
   alignment files only (not integer arrays or generated samples, which are independent draws).

The pseudocount (``[data] pseudocount``) is applied to the frequencies by the learner
(:mod:`boltzmann_lab.learning.potts_constraints`).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from boltzmann_lab.data import alignments as _al
from boltzmann_lab.data.dataset import Dataset
from boltzmann_lab.data.loaders import LoadError, RawData, load_path


def _data(cfg):
    return cfg["data"] if "data" in cfg and isinstance(cfg["data"], dict) else cfg


def wants_categorical(cfg, raw: RawData | None = None, path=None) -> bool:
    """Is the ``[data]`` of ``cfg`` to be read/prepared as categorical?  Yes when ``convention =
    "categorical"``, or it is ``auto`` and the model is ``potts``, the data file is an alignment,
    or the generator made categorical data."""
    d = _data(cfg)
    conv = d.get("convention", "auto")
    if conv == "categorical":
        return True
    if conv != "auto":
        return False
    model = cfg.get("model")
    if isinstance(model, dict):
        from boltzmann_lab.kinds import KINDS
        kind = KINDS.get(model.get("kind"))
        if kind is not None and kind.data_units(model) == "categorical":
            return True
    if raw is not None and raw.convention == "categorical":
        return True
    return path is not None and _al.alignment_format(path) is not None


def load_categorical(path, d: dict) -> RawData:
    """Read a categorical data file named by ``[data] path`` (module docstring)."""
    path = Path(path)
    fmt = d.get("format", "auto")
    alphabet, unknown = d.get("alphabet", "auto"), d.get("unknown", "error")
    kind = fmt if fmt != "auto" else (_al.alignment_format(path) or "table")
    if kind in _al.ALIGNMENT_FORMATS:
        al = _al.read_alignment(path, kind, alphabet, unknown)
        return _raw(al, path, aligned=True)
    suffix = path.suffix.lower()
    if suffix in (".csv", ".tsv", ".txt", ".dat") and path.is_file() and \
            not _al.is_numeric_table(path):
        return _raw(_al.read_symbol_table(path, alphabet, unknown), path, aligned=False)
    if suffix == ".npy" and path.is_file() and _npy_kind(path) in ("U", "S"):
        return _raw(_al.read_symbol_npy(path, alphabet, unknown), path, aligned=False)
    raw = load_path(path, key=d.get("key"))
    symbols = _al.parse_alphabet(alphabet)
    if symbols is not None:
        raw.meta["alphabet"] = _al.alphabet_text(symbols)
    raw.convention = "categorical"
    return raw


def _npy_kind(path) -> str:
    try:
        with open(path, "rb") as f:
            version = np.lib.format.read_magic(f)
            read = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                    else np.lib.format.read_array_header_2_0)
            _, _, dtype = read(f)
        return dtype.kind
    except Exception:       # the numeric loader reports a corrupt file properly
        return ""


def _raw(al: _al.Alignment, path, aligned) -> RawData:
    meta = {"source": str(path), "alphabet": _al.alphabet_text(al.symbols),
            "states": len(al.symbols), "aligned": aligned, "sequences": len(al.codes)}
    return RawData(al.codes.astype(np.float64), name=Path(path).name, convention="categorical",
                   meta=meta)


def sequence_weights(X, threshold=0.8) -> np.ndarray:
    """w_m = 1 / #{m' : id(m, m') ≥ θ}, id = fraction of identical positions (m' = m included).
    X (M, n) integer states; O(M² n) in a numba kernel.  Returns (M,) float64."""
    from boltzmann_lab.kernels.potts import identity_neighbours
    X = np.ascontiguousarray(X, dtype=np.uint8)
    M, n = X.shape
    if not 0.0 <= threshold <= 1.0:
        raise ValueError(f"identity threshold must lie in [0, 1], got {threshold}")
    counts = np.zeros(M, np.int64)
    # id ≥ θ  ⟺  matches ≥ θ n; the small epsilon keeps θ n = 48.0000001 from needing 49
    identity_neighbours(X, int(math.ceil(threshold * n - 1e-9)), counts)
    return 1.0 / counts


def prepare_categorical(raw: RawData, cfg: dict) -> Dataset:
    """A categorical :class:`Dataset` from loaded or generated states (module docstring)."""
    d = _data(cfg)
    x = np.asarray(raw.x)
    if x.ndim != 2 or x.shape[0] == 0 or x.shape[1] == 0:
        raise LoadError(f"{raw.name}: the data must be a non-empty 2-D array (samples x sites), "
                        f"got shape {x.shape}.")
    if d.get("binarize", "none") != "none":
        raise LoadError(f"{raw.name}: [data] binarize does not apply to categorical data; set "
                        f'binarize = "none".')
    if not np.all(np.isfinite(x)) or np.any(x != np.round(x)) or x.min() < 0:
        r = int(np.argwhere(~np.isfinite(x) | (x != np.round(x)) | (x < 0))[0][0])
        raise LoadError(f"{raw.name}: row {r} holds a value that is not a state: categorical data "
                        f"are integers 0..q-1 (or symbols with an alphabet).")
    meta = dict(raw.meta)
    symbols = _al.parse_alphabet(meta.get("alphabet")) if meta.get("alphabet") else None
    if symbols is None:
        symbols = _al.parse_alphabet(d.get("alphabet", "auto"))
    top = int(x.max()) + 1
    if d.get("states"):
        q = int(d["states"])
        if symbols is not None and len(symbols) != q:
            raise LoadError(f"{raw.name}: the alphabet {_al.alphabet_text(symbols)!r} names "
                            f"{len(symbols)} states but [data] states = {q}.")
    else:
        q = len(symbols) if symbols is not None else max(top, 2)
    if top > q:
        raise LoadError(f"{raw.name}: the data hold state {top - 1}, outside the {q} states "
                        f"0..{q - 1} of the alphabet / [data] states; raise [data] states, give "
                        f"a larger alphabet, or fix the data.")
    if not 2 <= q <= _al.MAX_STATES:
        raise LoadError(f"{raw.name}: q = {q} states; categorical models need "
                        f"2..{_al.MAX_STATES}.")
    alphabet = _al.alphabet_text(symbols) if symbols else None

    labels = None if raw.labels is None else np.asarray(raw.labels, dtype=np.float64)
    ss = np.random.SeedSequence(int(d.get("seed", 0))).spawn(3)
    max_samples = d.get("max_samples")
    if max_samples is not None and max_samples < len(x):
        keep = np.sort(np.random.default_rng(ss[0]).choice(len(x), size=max_samples,
                                                           replace=False))
        x = x[keep]
        labels = None if labels is None else labels[keep]
    frac = float(d.get("validation_fraction", 0.0))
    M = len(x)
    n_val = int(frac * M)
    if frac > 0 and M >= 2:
        n_val = min(max(n_val, 1), M - 1)
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

    how = d.get("reweight", "auto")
    if how == "auto":
        how = "identity" if meta.get("aligned") else "none"
    weights = val_weights = None
    if how == "identity":
        theta = float(d.get("identity_threshold", 0.8))
        weights = sequence_weights(train, theta)
        val_weights = sequence_weights(val, theta) if len(val) else None
        meta["identity_threshold"] = theta
    meta["M_eff"] = float(len(train) if weights is None else weights.sum())
    meta["reweight"] = how
    return Dataset(train=np.ascontiguousarray(train, np.float64),
                   val=np.ascontiguousarray(val, np.float64), convention="categorical",
                   image_shape=raw.image_shape, name=raw.name, labels=labels, meta=meta, states=q,
                   alphabet=alphabet, weights=weights, val_weights=val_weights)


def load_for_model(path, model, key=None) -> Dataset:
    """Data to evaluate a categorical ``model`` on: read with the model's alphabet and q, no
    split, no reweighting (every sequence counts once)."""
    d = {"convention": "categorical", "alphabet": model.alphabet or "auto", "states": model.q,
         "key": key, "validation_fraction": 0.0, "reweight": "none", "unknown": "error"}
    return prepare_categorical(load_categorical(path, d), d)
