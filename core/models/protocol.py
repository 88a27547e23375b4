"""The one model protocol every model class in :mod:`boltzmann_lab.models` follows.

A model is a fitted probability distribution p(x) = exp(-E(x)) / Z over rows x of length n in its
``convention`` (``binary``, ``spin`` or ``real``).  Every kind offers the same methods, with the same
names and meanings (nats, per sample):

=============================  ===================================================================
``log_partition()``            log Z as a float (exact where affordable, else the kind's estimate)
``log_partition_with_method()``  ``(log Z, method)``: ``"exact"`` or ``"ais"``
``log_prob(x)``                (M,) log p(x) for each row (normalised with ``log_partition()``)
``score_samples(x)``           (M,) the best available per-sample log-likelihood
``score(x)``                   mean of ``score_samples(x)`` — the ``ll`` of ``evaluate``
``score_method``               how ``score`` is computed: ``"exact"``, ``"ais"`` (log Z by annealed
                               importance sampling), ``"bound"`` (a variational lower bound) or
                               ``"pseudo"`` (pseudo-log-likelihood, when log Z is intractable)
``sample(n, seed=0)``          (n, n_units) samples in the model's convention
``evaluate(x)``                dict of metrics: ``ll`` (= ``score(x)``), ``ll_method``
                               (= ``score_method``) and the kind's own (``pll``, ``recon_error``...)
``to_arrays()/from_arrays()``  the model file (:mod:`boltzmann_lab.io.modelio`)
=============================  ===================================================================

Metric names are the same everywhere: ``ll`` (log-likelihood), ``pll`` (pseudo-log-likelihood),
``ll_method``, ``log_z``.  Models without hidden units and a tractable Z (``gaussian``, ``mixture``,
small ``maxent``/``hopfield``) score exactly.

:class:`ModelProtocol` supplies the parts that are the same for every kind; a model class overrides
``log_partition_with_method``, ``score_samples`` and ``score_method`` where its kind needs to.
"""

from __future__ import annotations

import numpy as np

#: the values ``score_method`` / ``ll_method`` can take
SCORE_METHODS = ("exact", "ais", "bound", "pseudo", "none")


class ModelProtocol:
    """Shared defaults of the model protocol (module docstring).

    The defaults suit a model whose ``log_prob`` is exact: ``score_samples`` is ``log_prob`` and
    ``score_method`` is ``"exact"``.  ``log_partition()`` returns the value of
    ``log_partition_with_method()``.
    """

    kind = "abstract"

    @property
    def score_method(self) -> str:
        """How :meth:`score` is computed: ``exact``, ``ais``, ``bound`` or ``pseudo``."""
        return "exact"

    def log_partition_with_method(self):
        """``(log Z, method)``; subclasses implement it."""
        raise NotImplementedError

    def log_partition(self) -> float:
        """log Z as a float; :meth:`log_partition_with_method` says how it was obtained."""
        return float(self.log_partition_with_method()[0])

    def score_samples(self, x) -> np.ndarray:
        """(M,) the best available log-likelihood of each row of ``x`` (nats)."""
        return np.asarray(self.log_prob(x), dtype=np.float64)

    def score(self, x) -> float:
        """Mean log-likelihood of the rows of ``x`` in nats per sample, computed as
        :attr:`score_method` says."""
        return float(np.mean(self.score_samples(x)))
