"""Restricted Boltzmann machine estimator (kind ``rbm``) over
:class:`boltzmann_lab.learning.rbm.RBMLearner` and :class:`boltzmann_lab.models.rbm.RBM`."""

from __future__ import annotations

import functools

import numpy as np

from boltzmann_lab.estimators.base import (GRADIENT_KEYS, Estimator, config_default,
                                           training_keys)

_d = functools.partial(config_default, "rbm")


class RBM(Estimator):
    """Restricted Boltzmann machine trained by (persistent) contrastive divergence.

    E(v, h) = -a.v - b.h - v.W.h (+ Gaussian self-energies), W of shape (n_visible, n_hidden);
    log-likelihoods in nats per sample (README, "Conventions").  Defaults are those of the config
    schema (README, "Config keys"), except ``epochs`` (the config has no default length).

    Parameters
    ----------
    n_hidden : int
        Hidden units (``[model] hidden``).
    visible_units, hidden_units : {"auto", "binary", "spin", "gaussian"}
        Unit types; ``auto`` visible units follow the data (binary, spin, or Gaussian for reals).
    sigma : float
        Standard deviation of Gaussian units.
    method : {"pt", "cd", "pcd"} or None
        Negative phase: parallel tempering, CD-k, or persistent CD; None: pt, or cd with
        Gaussian hidden units (the Hopfield RBM).
    k : int
        Gibbs sweeps per update.
    chains : int or None
        Persistent chains (pcd), chains per temperature (pt); None: 32 for pt, 100 for pcd.
    temperatures : int
        Replicas for parallel tempering.
    precision : {"float32", "float64"}
        Float type of the training arithmetic.
    centering : bool
        Centred gradient (Melchior, Fischer & Wiskott, JMLR 2016; same model, better-conditioned
        ascent).
    rate_scaling : {"fan_in", "none"}
        ``fan_in``: the optimizer's rate is ``learning_rate * min(1, (64 / n_visible) ** 1.25)``
        (the weight steps of all visible units add up in a hidden unit's input; the power is
        measured, :mod:`boltzmann_lab.learning.rbm`).
    epochs : float or None
        Passes over the training data.  ``epochs`` or ``steps`` must be set: CD never stops on
        its own.
    steps : int or None
        Number of updates (overrides ``epochs``).
    batch_size, learning_rate, optimizer, momentum, schedule, decay, l1, l2
        Minibatch size and optimiser (:mod:`boltzmann_lab.learning.optim`); L1/L2 act on W.
    eval_every : int
        Evaluate the likelihood every this many steps (``history_``).
    early_stopping, monitor, patience, min_delta
        Stop when ``monitor`` (default ``val_ll``) stops improving on ``X_val``; the best
        parameters are restored.
    seed : int
        Seeds everything random in training.
    convention : {"auto", "binary", "spin"}
        Units of ``X``: ``auto`` detects them.
    validation_fraction : float
        Share of ``X`` held out as validation data when ``X_val`` is not given.
    progress : bool
        Show a progress bar (``tqdm.auto`` when installed).

    Attributes
    ----------
    W_ : (n_visible, n_hidden) weights.   a_ : (n_visible,) visible biases.
    b_ : (n_hidden,) hidden biases.       model_ : the :class:`boltzmann_lab.models.rbm.RBM`.
    history_ : dict of (n_rows,) arrays: ``step``, ``epoch`` and every metric
        (``recon_error``, ``train_ll``...; NaN where not evaluated).
    score_method_ : ``exact`` (a layer can be enumerated) or ``ais``.
    n_features_in_, convention_, n_steps_, converged_, fit_message_.

    Examples
    --------
    >>> import numpy as np, boltzmann_lab as bl
    >>> X = bl.datasets.bars_and_stripes(size=3)          # the 14 distinct 3x3 images
    >>> rbm = bl.RBM(n_hidden=6, steps=300, batch_size=14, seed=0, progress=False).fit(X)
    >>> rbm.W_.shape, rbm.score_method_
    ((9, 6), 'exact')
    >>> bool(rbm.score(X) > -9 * np.log(2))              # beats the uniform distribution
    True
    >>> rbm.sample(4, seed=1).shape, rbm.transform(X).shape
    ((4, 9), (14, 6))
    """

    kind = "rbm"
    _needs_length = True
    _derived = ("method", "chains")
    _real_data_hint = ", or model real values with visible_units='gaussian'"
    _config_keys = {
        "n_hidden": ("model", "hidden"),
        **{k: ("model", k) for k in ("visible_units", "hidden_units", "sigma")},
        **training_keys("method", "k", "chains", "temperatures", "precision", "centering",
                        "rate_scaling", "epochs", "steps",
                        "batch_size", *GRADIENT_KEYS),
        "convention": ("data", "convention"),
        "validation_fraction": ("data", "validation_fraction"),
    }

    def __init__(self, n_hidden=_d("model", "hidden"), *,
                 visible_units=_d("model", "visible_units"),
                 hidden_units=_d("model", "hidden_units"), sigma=_d("model", "sigma"),
                 method=None, k=_d("training", "k"),
                 chains=None, temperatures=_d("training", "temperatures"),
                 precision=_d("training", "precision"),
                 centering=_d("training", "centering"),
                 rate_scaling=_d("training", "rate_scaling"), epochs=10, steps=None,
                 batch_size=_d("training", "batch_size"),
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
        return {"W_": model.W, "a_": model.a, "b_": model.b}

    @classmethod
    def _params_from_model(cls, model) -> dict:
        return {"n_hidden": model.n_hidden, "visible_units": model.visible.name,
                "hidden_units": model.hidden.name, "precision": str(model.dtype)}

    def _score_kwargs(self, x) -> dict:
        # log Z is exact or one forward-AIS estimate (seeded by ``seed``), computed once
        if self._log_z is None:
            self._log_z = self.model_.log_partition_with_method(seed=self.seed, data=x)[0]
        return {"log_z": self._log_z}

    def transform(self, X) -> np.ndarray:
        """(n_samples, n_hidden) E[h | v] for each row v of ``X`` (the hidden features)."""
        x = self._input(X)
        m = self.model_
        W, b = np.asarray(m.W, np.float64), np.asarray(m.b, np.float64)   # float64 whatever
        return m.hidden.mean(x @ W + b)                                  # the training precision

    def reconstruct(self, X) -> np.ndarray:
        """One mean-field up-down pass E[v | h = E[h | v]] for each row of ``X``."""
        return self.model_.reconstruct(self._input(X))
