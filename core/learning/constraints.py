"""What a MaxEnt model is asked to reproduce: the constrained moments and their data averages.

Constraints (any combination; section 15 of Mehta et al. 2019):

* ``means``      <x_i>               -> fields h_i;
* ``pairs``      <x_i x_j>           -> couplings J_ij for the pairs in a mask: all pairs, lattice
                                         nearest neighbours (:func:`lattice_mask`), or a user mask
                                         (:func:`load_mask`, a .npy boolean (n, n) array);
* ``population`` P(K), K = number of "on" units  -> potential V[K].

:class:`Moments` holds first and second moments and P(K) of data or of a model;
:func:`observables` flattens the constrained ones into one vector [means, pairs i<j, P(K)] and
:func:`sampling_noise` gives each one's sampling noise δ_O = sqrt(var(O) / M) (ACE's
normalisation; var floored at 1/M so that observables never or always seen keep a finite noise).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def lattice_mask(image_shape, periodic=True) -> np.ndarray:
    """Nearest-neighbour pairs of a lattice of shape ``image_shape`` (1-D, 2-D or more).

    Sites are numbered in C order (``np.ravel_multi_index``).  Returns a symmetric (n, n) boolean
    mask with a False diagonal; ``periodic`` wraps each axis around (a side of length 2 then has a
    single neighbour, a side of length 1 none).
    """
    shape = tuple(int(s) for s in image_shape)
    if not shape or min(shape) < 1:
        raise ValueError(f"lattice constraints need a positive image shape, got {image_shape!r}")
    n = int(np.prod(shape))
    idx = np.arange(n).reshape(shape)
    mask = np.zeros((n, n), dtype=bool)
    for axis, side in enumerate(shape):
        if side < 2:
            continue
        nb = np.roll(idx, -1, axis=axis)
        a, b = idx, nb
        if not periodic:
            keep = [slice(None)] * len(shape)
            keep[axis] = slice(0, side - 1)
            a, b = idx[tuple(keep)], nb[tuple(keep)]
        mask[a.ravel(), b.ravel()] = True
    mask |= mask.T
    np.fill_diagonal(mask, False)
    return mask


def load_mask(source, n) -> np.ndarray:
    """A user pair mask: a path to a ``.npy`` file (read with ``allow_pickle=False``) or an array.

    It must have shape (n, n), hold booleans (or 0/1 numbers) and be symmetric; the diagonal is
    ignored.  Raises ``ValueError`` naming the problem.
    """
    where = "pair mask"
    if isinstance(source, (str, bytes)) or hasattr(source, "__fspath__"):
        from boltzmann_lab.data.loaders import read_npy
        where = f"pair mask {source}"
        # header first: shape (n, n) and a numeric dtype are checked before anything is read
        arr = read_npy(source, expected_shape=(n, n), kinds="biuf", what="pair mask")
    else:
        arr = np.asarray(source)
    if arr.shape != (n, n):
        raise ValueError(f"{where}: must have shape ({n}, {n}) for data with {n} units, "
                         f"got {arr.shape}")
    if arr.dtype != bool:
        if arr.dtype.kind not in "iuf" or not np.all((arr == 0) | (arr == 1)):
            raise ValueError(f"{where}: must hold booleans (or 0/1), got dtype {arr.dtype}")
        arr = arr != 0
    arr = arr.copy()
    np.fill_diagonal(arr, False)
    if not np.array_equal(arr, arr.T):
        i, j = np.argwhere(arr != arr.T)[0]
        raise ValueError(f"{where}: must be symmetric, but entry ({i}, {j}) differs from ({j}, {i})")
    return arr


def pair_mask(pairs, n, image_shape=None, periodic=True, mask=None) -> np.ndarray:
    """The (n, n) boolean mask of constrained pairs for ``pairs`` = ``all`` | ``lattice`` | ``mask``."""
    if pairs == "all":
        m = np.ones((n, n), dtype=bool)
        np.fill_diagonal(m, False)
        return m
    if pairs == "lattice":
        if image_shape is None:
            raise ValueError("pairs = 'lattice' needs image-shaped data (the data set has no "
                             "image_shape); use pairs = 'all' or a mask")
        if int(np.prod(image_shape)) != n:
            raise ValueError(f"image_shape {tuple(image_shape)} does not match {n} units")
        return lattice_mask(image_shape, periodic)
    if pairs == "mask":
        if mask is None:
            raise ValueError("pairs = 'mask' needs [model] mask = 'file.npy' (a boolean (n, n) array)")
        return load_mask(mask, n)
    raise ValueError(f"unknown pairs {pairs!r}; choose one of 'all', 'lattice', 'mask'")


@dataclass
class Constraints:
    """Which moments are constrained.

    means : constrain <x_i> (fields h free), pairs : (n, n) symmetric boolean mask with False
    diagonal (couplings free where True), population : constrain P(K) (potential V free).
    """

    means: bool
    pairs: np.ndarray
    population: bool

    def __post_init__(self):
        self.pairs = np.asarray(self.pairs, dtype=bool)
        self.iu, self.ju = np.nonzero(np.triu(self.pairs, 1))
        self.pair_float = self.pairs.astype(np.float64)

    @property
    def n(self) -> int:
        return self.pairs.shape[0]

    @property
    def n_pairs(self) -> int:
        return len(self.iu)

    @property
    def n_observables(self) -> int:
        return (self.n if self.means else 0) + self.n_pairs + (self.n + 1 if self.population else 0)

    @classmethod
    def from_config(cls, model_cfg, n, image_shape=None):
        names = list(model_cfg.get("constraints", ["means", "pairs"]))
        if not names:
            raise ValueError("[model] constraints is empty: choose at least one of "
                             "'means', 'pairs', 'population'")
        if "pairs" in names:
            mask = pair_mask(model_cfg.get("pairs", "all"), n, image_shape,
                             model_cfg.get("periodic", True), model_cfg.get("mask"))
        else:
            mask = np.zeros((n, n), dtype=bool)
        return cls("means" in names, mask, "population" in names)

    def describe(self) -> str:
        parts = []
        if self.means:
            parts.append("means")
        if self.n_pairs:
            parts.append(f"{self.n_pairs} pairs")
        if self.population:
            parts.append("P(K)")
        return ", ".join(parts) or "nothing"


@dataclass
class Moments:
    """mean (n,) = <x_i>, second (n, n) = <x_i x_j> (diagonal <x_i^2>), p_k (n+1,) = P(K)."""

    mean: np.ndarray
    second: np.ndarray
    p_k: np.ndarray

    @classmethod
    def nan(cls, n):
        return cls(np.full(n, np.nan), np.full((n, n), np.nan), np.full(n + 1, np.nan))


def data_moments(x, convention) -> Moments:
    """Empirical moments of samples ``x`` (M, n) in ``convention`` (K counts the "on" units)."""
    x = np.asarray(x, dtype=np.float64)
    M, n = x.shape
    on = (x > 0).sum(axis=1)
    return Moments(x.mean(axis=0), (x.T @ x) / M, np.bincount(on, minlength=n + 1) / M)


def observables(mom: Moments, C: Constraints) -> np.ndarray:
    """The constrained averages as one vector: [means, pairs i<j in the mask, P(K)]."""
    parts = []
    if C.means:
        parts.append(mom.mean)
    parts.append(mom.second[C.iu, C.ju])
    if C.population:
        parts.append(mom.p_k)
    return np.concatenate(parts)


def sampling_noise(mom: Moments, C: Constraints, convention, M) -> np.ndarray:
    """δ_O = sqrt(var(O) / M) for each constrained observable, var floored at 1/M."""
    parts = []
    if C.means:
        parts.append(np.diag(mom.second) - mom.mean ** 2)
    p = mom.second[C.iu, C.ju]
    parts.append(p - p * p if convention == "binary" else 1.0 - p * p)   # O^2 = O, or O^2 = 1
    if C.population:
        parts.append(mom.p_k * (1.0 - mom.p_k))
    var = np.maximum(np.concatenate(parts), 1.0 / M)
    return np.sqrt(var / M)


def connected(mom: Moments, C: Constraints) -> np.ndarray:
    """Connected correlations <x_i x_j> - <x_i><x_j> of the constrained pairs (i<j, row-major)."""
    return mom.second[C.iu, C.ju] - mom.mean[C.iu] * mom.mean[C.ju]
