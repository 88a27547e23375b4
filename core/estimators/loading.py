"""``boltzmann_lab.load``: one call for data files and model files."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np


def _is_model_file(path: Path) -> bool:
    """An ``.npz`` archive with a ``meta`` entry (README, "Model file"); read without pickle."""
    try:
        if not zipfile.is_zipfile(path):
            return False
        with np.load(path, allow_pickle=False) as f:
            return "meta" in f.files
    except (OSError, ValueError, zipfile.BadZipFile):
        return False


def load(path, *, key=None, image_size=None):
    """Read a model file or a data file.

    Parameters
    ----------
    path : str or path-like
        A model file (``.npz`` written by ``save``, ``boltzmann-lab train`` or the app) or a
        data file: ``.npy``, ``.npz``, ``.csv``/``.txt``, IDX, or a folder of images (README,
        "Data").
    key : str, optional
        Array name inside a data ``.npz`` holding several arrays.
    image_size : (rows, cols), optional
        Size images of a folder are resized to (default: the first image's).

    Returns
    -------
    A fitted estimator (:class:`boltzmann_lab.RBM`, :class:`boltzmann_lab.MaxEnt`, ...) for a
    model file — the bare model object for kinds without an estimator (``ising``) — or, for a
    data file, the samples as a (n_samples, n_units) float64 array.

    Raises
    ------
    ValueError (:class:`boltzmann_lab.data.loaders.LoadError`) naming the file and the problem.
    Nothing is ever unpickled.

    Examples
    --------
    >>> import tempfile, os, numpy as np, boltzmann_lab as bl
    >>> folder = tempfile.mkdtemp()
    >>> np.save(os.path.join(folder, "x.npy"), np.eye(3))
    >>> bl.load(os.path.join(folder, "x.npy")).shape
    (3, 3)
    >>> hop = bl.Hopfield().fit(bl.datasets.patterns(n=2, n_units=16))
    >>> path = hop.save(os.path.join(folder, "net.npz"))
    >>> bl.load(path)
    Hopfield()
    """
    from boltzmann_lab.estimators import estimator_class

    path = Path(path)
    if path.suffix.lower() == ".npz" and _is_model_file(path):
        from boltzmann_lab.io.modelio import load_model
        model = load_model(path)
        cls = estimator_class(model.kind)
        return model if cls is None else cls.from_model(model)
    from boltzmann_lab.data.loaders import load_path
    return load_path(path, key=key, image_size=image_size).x
