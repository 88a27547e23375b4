"""Deep Boltzmann machine estimator (kind ``dbm``) over
:class:`boltzmann_lab.learning.dbm.DBMLearner` and :class:`boltzmann_lab.models.dbm.DBM`."""

from __future__ import annotations

import functools

import numpy as np

from boltzmann_lab.estimators.base import (GRADIENT_KEYS, Estimator, config_default,
                                           training_keys)

_d = functools.partial(config_default, "dbm")


class DBM(Estimator):
    """Binary deep Boltzmann machine with 2 or 3 hidden layers: greedy RBM pretraining, then
    joint persistent-chain training with a mean-field positive phase
    (:mod:`boltzmann_lab.learning.dbm`).

    E(x) = -sum_l b_l.x_l - sum_l x_l.W_l.x_{l+1}, x_0 = v; spin data are converted to {0, 1}.

    Parameters
    ----------
    n_hidden : tuple of 2 or 3 ints
        Hidden layer sizes (``[model] hidden``).
    pretrain_epochs : float
        Epochs of greedy layerwise RBM pretraining (0: random start).
    chains : int
        Persistent chains of the negative phase.
    method : {"pt", "pcd"}
        Negative phase: the chains tempered (``temperatures`` replicas, neighbour swaps) or plain
        persistent chains.
    temperatures : int
        Replicas per chain for ``method="pt"``.
    centering : bool
        Centred gradient (offsets: data mean, running mean of the hidden posteriors).
    mean_field_iterations : int
        Fixed-point iterations of the mean-field posterior.
    ais_betas, ais_runs : int
        AIS schedule for log Z when neither side of the even/odd bipartition can be enumerated.
    epochs : float or None
        Passes over the training data; ``epochs`` or ``steps`` must be set.
    steps : int or None
        Number of joint updates (overrides ``epochs``).
    batch_size, learning_rate, optimizer, momentum, schedule, decay, l1, l2
        Minibatch size and optimiser; penalties on the weights.
    eval_every, early_stopping, monitor, patience, min_delta
        Evaluation cadence and early stopping on ``X_val`` (see :class:`RBM`).
    seed : int
        Seeds everything random in training.
    convention : {"auto", "binary", "spin"}
        Units of ``X``.
    validation_fraction : float
        Share of ``X`` held out when ``X_val`` is not given.
    progress : bool
        Show a progress bar.

    Attributes
    ----------
    W_ : list of (n_l, n_{l+1}) weights.   b_ : list of biases, visible first.
    model_ : the :class:`boltzmann_lab.models.dbm.DBM`.   history_ : metrics table.
    score_method_ : ``exact`` (log Z and the second hidden layer enumerable) or ``bound`` (the
        mean-field variational lower bound, with exact or AIS log Z).

    Examples
    --------
    >>> import boltzmann_lab as bl
    >>> X = bl.datasets.bars_and_stripes(size=3)
    >>> dbm = bl.DBM(n_hidden=(6, 4), pretrain_epochs=20, steps=100, batch_size=14, seed=0,
    ...              progress=False).fit(X)
    >>> [w.shape for w in dbm.W_], dbm.score_method_
    ([(9, 6), (6, 4)], 'exact')
    >>> dbm.transform(X).shape                 # mean-field means of the top layer
    (14, 4)
    """

    kind = "dbm"
    _needs_length = True
    _config_keys = {
        "n_hidden": ("model", "hidden"),
        **training_keys("pretrain_epochs", "chains", "method", "temperatures", "centering",
                        "mean_field_iterations", "ais_betas",
                        "ais_runs", "epochs", "steps", "batch_size", *GRADIENT_KEYS),
        "convention": ("data", "convention"),
        "validation_fraction": ("data", "validation_fraction"),
    }

    def __init__(self, n_hidden=_d("model", "hidden"), *,
                 pretrain_epochs=_d("training", "pretrain_epochs"),
                 chains=_d("training", "chains"), method=_d("training", "method"),
                 temperatures=_d("training", "temperatures"),
                 centering=_d("training", "centering"),
                 mean_field_iterations=_d("training", "mean_field_iterations"),
                 ais_betas=_d("training", "ais_betas"), ais_runs=_d("training", "ais_runs"),
                 epochs=10, steps=None, batch_size=_d("training", "batch_size"),
                 learning_rate=_d("training", "learning_rate"),
                 optimizer=_d("training", "optimizer"), momentum=_d("training", "momentum"),
                 schedule=_d("training", "schedule"), decay=_d("training", "decay"),
                 l1=_d("training", "l1"), l2=_d("training", "l2"),
                 eval_every=_d("training", "eval_every"),
                 early_stopping=_d("training", "early_stopping"),
                 monitor=_d("training", "monitor"), patience=_d("training", "patience"),
                 min_delta=_d("training", "min_delta"), seed=_d("training", "seed"),
                 convention="auto", validation_fraction=0.0, progress=True):
        self._init_params(locals())

    def _fitted_attributes(self, model) -> dict:
        return {"W_": list(model.W), "b_": list(model.b)}

    @classmethod
    def _params_from_model(cls, model) -> dict:
        return {"n_hidden": tuple(model.sizes[1:])}

    def _score_kwargs(self, x) -> dict:
        # log Z: exact or one forward-AIS estimate (seeded by ``seed``), computed once
        if self._log_z is None:
            self._log_z = self.model_.log_partition(ais_betas=self.ais_betas,
                                                    ais_runs=self.ais_runs, seed=self.seed,
                                                    data=x)
        return {"log_z": self._log_z, "iterations": self.mean_field_iterations}

    def transform(self, X) -> np.ndarray:
        """(n_samples, n_top) mean-field posterior means of the last hidden layer given each row
        of ``X`` (``mean_field_iterations`` iterations)."""
        x = self._input(X)
        return self.model_.mean_field(x, self.mean_field_iterations)[-1]
