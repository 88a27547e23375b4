"""The validated data set every model trains on.

A :class:`Dataset` holds a 2-D float array of samples (``train`` and ``val``, shape (M, n)), the
unit convention of its values, and the shape in which one sample is drawn (``image_shape``).
Loaders and generators (``boltzmann_lab.data.loaders``, ``boltzmann_lab.data.generators``) produce it; ``boltzmann_lab.data.prepare.prepare``
applies binarisation, convention and the validation split according to the ``[data]`` config.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class Dataset:
    """Samples ready for training.

    Attributes
    ----------
    train : (M_train, n) float array, C-contiguous.  Values in {0,1} (``binary``), {-1,+1}
        (``spin``), anything finite (``real``) or integer states 0..q−1 (``categorical``).
    val : (M_val, n) float array (may have zero rows).
    convention : ``binary``, ``spin``, ``real`` or ``categorical``.
    image_shape : e.g. (28, 28) for images or lattices; ``None`` draws a sample as a strip.
    name : short human-readable description (file name or generator with its parameters).
    labels : optional (M_train,) labels (digit classes, temperatures...) for colouring/plots.
    meta : free-form facts about the data (``temperature``, true parameters of a generator, ...).
    states, alphabet, weights, val_weights : ``categorical`` data only
        (:mod:`boltzmann_lab.data.categorical`): q, the state symbols, per-sample weights.
    """

    train: np.ndarray
    val: np.ndarray
    convention: str
    image_shape: tuple | None = None
    name: str = ""
    labels: np.ndarray | None = None
    meta: dict = field(default_factory=dict)
    states: int | None = None
    alphabet: str | None = None
    weights: np.ndarray | None = None
    val_weights: np.ndarray | None = None

    @property
    def n(self) -> int:
        """Number of units (features) per sample."""
        return int(self.train.shape[1])

    @property
    def all(self) -> np.ndarray:
        """Training and validation samples together."""
        return np.concatenate([self.train, self.val]) if len(self.val) else self.train
