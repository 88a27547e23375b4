"""Mixture-model estimator (kind ``mixture``): EM over :class:`boltzmann_lab.learning.mixture.MixtureLearner`
and :class:`boltzmann_lab.models.mixture.MixtureModel`."""

from __future__ import annotations

import functools

import numpy as np

from boltzmann_lab.estimators.base import Estimator, config_default

_d = functools.partial(config_default, "mixture")


class Mixture(Estimator):
    """Mixture of Bernoulli, binomial (coin) or Gaussian components fitted by EM
    (Mehta et al. 2019, sec. 14): p(x) = sum_k w_k p(x | z = k).

    Parameters
    ----------
    n_components : int
        Number of components K (``[model] components``).
    family : {"auto", "bernoulli", "binomial", "gaussian"}
        Component family; ``auto``: bernoulli for binary/spin data, gaussian for real data.
    covariance : {"full", "diag"}
        Gaussian covariance type.
    covariance_floor : float
        Smallest covariance eigenvalue (keeps EM monotone and components from collapsing).
    init : {"kmeans++", "random", "given"}
        Initialisation; ``given`` uses ``init_params``.
    init_params : list of float, optional
        ``init="given"``: K head probabilities (binomial) or K*n means, optionally followed by K
        weights.
    fit_weights : bool
        Learn the mixing weights (else they stay equal).
    prior : (a, b), optional
        Beta(a, b) prior on head probabilities (a, b >= 1): MAP instead of maximum likelihood.
    restarts : int
        Random restarts; the best is kept.
    tolerance : float
        Stop when an EM iteration raises the objective by less than this (nats per sample).
    max_steps : int or None
        At most this many EM iterations (per restart).
    seed : int
        Seeds the initialisation (EM itself is deterministic).
    convention : {"auto", "binary", "spin", "real"}
        Units of ``X``.
    validation_fraction : float
        Share of ``X`` held out when ``X_val`` is not given.
    progress : bool
        Show a progress bar.

    Attributes
    ----------
    weights_ : (K,) mixing weights.   means_ : (K, n) component means E[x | z = k].
    covs_ : (K, n, n) or (K, n) Gaussian covariances, or None.   family_ : the family used.
    model_ : the :class:`boltzmann_lab.models.mixture.MixtureModel`.
    history_ : per EM iteration ``train_ll`` (= l(θᵗ)), ``bound``, ``kl_gap``, ...
    score_method_ : ``exact``.

    Examples
    --------
    >>> import boltzmann_lab as bl
    >>> X = bl.datasets.coin_tosses(biases=(0.8, 0.3), n=200, tosses=20, seed=0)
    >>> em = bl.Mixture(family="binomial", n_components=2, progress=False).fit(X)
    >>> em.family_, em.converged_
    ('binomial', True)
    >>> sorted(round(float(p), 1) for p in em.means_[:, 0])     # the coins' head probabilities
    [0.3, 0.8]
    """

    kind = "mixture"
    _config_keys = {
        "n_components": ("model", "components"),
        **{k: ("model", k) for k in ("family", "covariance", "covariance_floor", "init",
                                     "init_params", "fit_weights", "prior", "restarts")},
        "tolerance": ("training", "tolerance"),
        "max_steps": ("training", "steps"),
        "seed": ("training", "seed"),
        "convention": ("data", "convention"),
        "validation_fraction": ("data", "validation_fraction"),
    }
    _unmapped = {"epochs": "one EM iteration per step: max_steps",
                 "eval_every": "train_ll every step", "early_stopping": "EM never overfits a step",
                 "monitor": "no early stopping", "patience": "no early stopping",
                 "min_delta": "no early stopping"}

    def __init__(self, n_components=_d("model", "components"), *, family=_d("model", "family"),
                 covariance=_d("model", "covariance"),
                 covariance_floor=_d("model", "covariance_floor"), init=_d("model", "init"),
                 init_params=None, fit_weights=_d("model", "fit_weights"), prior=None,
                 restarts=_d("model", "restarts"), tolerance=_d("training", "tolerance"),
                 max_steps=1000, seed=0, convention="auto", validation_fraction=0.0,
                 progress=True):
        self._init_params(locals())

    def _fitted_attributes(self, model) -> dict:
        return {"weights_": model.weights, "means_": model.means, "covs_": model.covs,
                "family_": model.family}

    @classmethod
    def _params_from_model(cls, model) -> dict:
        return {"n_components": model.K, "family": model.family,
                "covariance": model.covariance}

    def transform(self, X) -> np.ndarray:
        """(n_samples, K) posterior probabilities p(z = k | x) of the components."""
        return self.model_.responsibilities(self._input(X))

    predict_proba = transform

    def predict(self, X) -> np.ndarray:
        """(n_samples,) the most probable component of each row."""
        return np.argmax(self.transform(X), axis=1)
