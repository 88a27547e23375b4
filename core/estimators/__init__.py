"""Estimators in the scikit-learn style, one per model kind (README, "Python API").

``fit(X)`` trains through the same config validation and the same
:class:`~boltzmann_lab.learning.trainer.Trainer` as the GUI and the command line; fitted
parameters end in ``_``; ``score``/``score_samples`` give log-likelihoods with ``score_method_``;
``sample``, ``save`` and ``get_params``/``set_params`` work on every estimator.

:data:`ESTIMATORS` maps a model kind to its estimator class, so that
:func:`boltzmann_lab.load` can hand back a fitted estimator for a model file.
"""

from __future__ import annotations

import importlib

from boltzmann_lab.estimators.base import ConvergenceWarning, Estimator, NotFittedError
from boltzmann_lab.estimators.dbm import DBM
from boltzmann_lab.estimators.hopfield import Hopfield
from boltzmann_lab.estimators.maxent import GaussianMaxEnt, MaxEnt
from boltzmann_lab.estimators.mixture import Mixture
from boltzmann_lab.estimators.potts import Potts
from boltzmann_lab.estimators.rbm import RBM

__all__ = ["DBM", "ESTIMATORS", "ConvergenceWarning", "Estimator", "GaussianMaxEnt", "Hopfield",
           "MaxEnt", "Mixture", "NotFittedError", "Potts", "RBM", "estimator_class"]

#: model kind -> "module:Class" of its estimator; kinds without one (``ising``: nothing is
#: learned) load as model objects
ESTIMATORS = {
    "maxent": "boltzmann_lab.estimators.maxent:MaxEnt",
    "gaussian": "boltzmann_lab.estimators.maxent:GaussianMaxEnt",
    "rbm": "boltzmann_lab.estimators.rbm:RBM",
    "dbm": "boltzmann_lab.estimators.dbm:DBM",
    "hopfield": "boltzmann_lab.estimators.hopfield:Hopfield",
    "mixture": "boltzmann_lab.estimators.mixture:Mixture",
    "potts": "boltzmann_lab.estimators.potts:Potts",
}


def estimator_class(kind: str):
    """The estimator class of model ``kind``, or ``None`` when the kind has none."""
    path = ESTIMATORS.get(kind)
    if path is None:
        return None
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)
