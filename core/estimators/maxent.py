"""Maximum-entropy estimators: pairwise (Ising) models of binary/spin data (kind ``maxent``,
:mod:`boltzmann_lab.learning.maxent`) and Gaussian models of real data (kind ``gaussian``,
:mod:`boltzmann_lab.learning.gaussian`)."""

from __future__ import annotations

import functools

from boltzmann_lab.estimators.base import (GRADIENT_KEYS, Estimator, config_default,
                                           training_keys)

_m = functools.partial(config_default, "maxent")
_g = functools.partial(config_default, "gaussian")


class MaxEnt(Estimator):
    """Pairwise maximum-entropy model fitted by Boltzmann learning (Mehta et al. 2019, sec. 15).

    p(x) = exp(-E(x)) / Z,  E(x) = -sum_i h_i x_i - sum_{i<j} J_ij x_i x_j + V[K(x)], with the
    multipliers of the chosen constraints free and all others exactly zero.  ``x`` in {0, 1}
    (``binary``) or {-1, +1} (``spin``): the fitted h and J are in the data's convention.

    Parameters
    ----------
    constraints : tuple of {"means", "pairs", "population"}
        Moments whose data averages the model reproduces: <x_i> (fields h), <x_i x_j> (couplings
        J), and P(K), K = number of on units (potential V).
    pairs : {"all", "lattice", "mask"}
        Which pairs are constrained: all, nearest neighbours on the square lattice of the data
        (``image_shape``), or ``mask``.
    mask : (n, n) boolean array or path of a ``.npy`` file, optional
        Constrained pairs when ``pairs="mask"``.
    periodic : bool
        Lattice neighbours wrap around.
    estimator : {"exact", "mcmc", "pseudolikelihood"}
        How the model term of the gradient is computed: enumeration (n <= 24), persistent MCMC
        chains, or Besag's pseudo-likelihood (then the pseudo-likelihood is maximised).
    init : {"zero", "mean_field", "pseudolikelihood"}
        Starting parameters.
    chains, sweeps, sampler, tempering, temperatures
        MCMC settings (``estimator="mcmc"``; tempering ``auto`` | ``on`` | ``off``).
    tolerance, strict_tolerance : float
        Convergence: moment error over the combined data and estimate noise < ``tolerance``
        with the chains mixing (mcmc); normalised gradient <
        ``strict_tolerance`` (exact, pseudolikelihood).
    max_steps : int or None
        Stop after this many updates if not converged first (``[training] steps``); ``None``
        runs until converged.
    learning_rate : float or None
        Base learning rate; ``None``: the config's default for the estimator (0.05, or 0.003
        for ``estimator="mcmc"``).
    optimizer, momentum, schedule, decay, l1, l2
        Optimiser; L1/L2 penalties on J only.
    eval_every, early_stopping, monitor, patience, min_delta, seed
        Evaluation, early stopping on ``X_val`` and the seed (MCMC chains).
    convention : {"auto", "binary", "spin"}
        Units of ``X``.
    image_shape : (rows, cols), optional
        Shape of one sample for ``pairs="lattice"`` (default: square when n is a square).
    validation_fraction : float
        Share of ``X`` held out when ``X_val`` is not given.
    progress : bool
        Show a progress bar.

    Attributes
    ----------
    h_ : (n,) fields.   J_ : (n, n) couplings, symmetric, zero diagonal.
    V_ : (n+1,) population potential, or None.   model_ : the
        :class:`boltzmann_lab.models.pairwise.PairwiseModel`.
    score_method_ : ``exact`` (n <= 24) or ``pseudo``.   history_, converged_, fit_message_.

    Examples
    --------
    >>> import boltzmann_lab as bl
    >>> X, truth = bl.datasets.sk(n_units=6, n=20000, seed=1, return_params=True)
    >>> model = bl.MaxEnt(constraints=("means", "pairs"), estimator="exact",
    ...                   progress=False).fit(X)
    >>> model.converged_, model.J_.shape, model.score_method_
    (True, (6, 6), 'exact')
    >>> bool(abs(model.J_ - truth["J"]).max() < 0.1)     # 20000 samples: error ~ 0.01
    True
    """

    kind = "maxent"
    _array_keys = ("mask",)
    _derived = ("learning_rate",)
    _config_keys = {
        **{k: ("model", k) for k in ("constraints", "pairs", "mask", "periodic")},
        **training_keys("estimator", "init", "chains", "sweeps", "sampler", "tempering",
                        "temperatures", "tolerance",
                        "strict_tolerance", *GRADIENT_KEYS),
        "max_steps": ("training", "steps"),
        "convention": ("data", "convention"),
        "validation_fraction": ("data", "validation_fraction"),
    }
    _unmapped = {"epochs": "full batch: an epoch is a step (max_steps)",
                 "lambdas": "the Λ sweep runs many fits (bl.sweep)",
                 "lambda_penalty": "the Λ sweep runs many fits (bl.sweep)"}

    def __init__(self, constraints=_m("model", "constraints"), *, pairs=_m("model", "pairs"),
                 mask=None, periodic=_m("model", "periodic"),
                 estimator=_m("training", "estimator"), init=_m("training", "init"),
                 chains=_m("training", "chains"), sweeps=_m("training", "sweeps"),
                 sampler=_m("training", "sampler"), tempering=_m("training", "tempering"),
                 temperatures=_m("training", "temperatures"),
                 tolerance=_m("training", "tolerance"),
                 strict_tolerance=_m("training", "strict_tolerance"), max_steps=10000,
                 learning_rate=None,
                 optimizer=_m("training", "optimizer"), momentum=_m("training", "momentum"),
                 schedule=_m("training", "schedule"), decay=_m("training", "decay"),
                 l1=_m("training", "l1"), l2=_m("training", "l2"),
                 eval_every=_m("training", "eval_every"),
                 early_stopping=_m("training", "early_stopping"),
                 monitor=_m("training", "monitor"), patience=_m("training", "patience"),
                 min_delta=_m("training", "min_delta"), seed=_m("training", "seed"),
                 convention="auto", image_shape=None, validation_fraction=0.0, progress=True):
        self._init_params(locals())

    def _fitted_attributes(self, model) -> dict:
        return {"h_": model.h, "J_": model.J, "V_": model.V}


class GaussianMaxEnt(Estimator):
    """Gaussian maximum-entropy model of real-valued data: means and (selected) covariances
    constrained, fitted in closed form or by covariance selection (:mod:`boltzmann_lab.learning.gaussian`).

    E(x) = -a.x - x.J.x / 2 with J = -Σ⁻¹ (zero outside the constrained pairs) and a = -J μ.

    Parameters
    ----------
    pairs : {"all", "lattice", "mask"}
        Which covariances are constrained (the others' couplings are exactly zero).
    mask : (n, n) boolean array or path of a ``.npy`` file, optional
        Constrained pairs when ``pairs="mask"``.
    periodic : bool
        Lattice neighbours wrap around.
    l1 : float
        Graphical-lasso penalty Λ: maximises ℓ - Λ sum_{i<j} |J_ij| (sparse couplings).
    tolerance : float
        Covariance selection stops when a sweep changes the covariance by less than
        ``tolerance`` x the largest variance.
    ridge : float
        Added to the diagonal of the sample covariance (singular data).
    max_steps : int or None
        At most this many covariance-selection sweeps.
    image_shape : (rows, cols), optional
        Shape of one sample for ``pairs="lattice"``.
    validation_fraction : float
        Share of ``X`` held out when ``X_val`` is not given.
    progress : bool
        Show a progress bar.

    Attributes
    ----------
    mean_ : (n,).   cov_ : (n, n) model covariance.   J_ : (n, n) = -inverse(cov_).
    a_ : (n,) = -J_ mean_.   model_ : the :class:`boltzmann_lab.models.gaussian.GaussianModel`.
    score_method_ : ``exact``.

    Examples
    --------
    >>> import numpy as np, boltzmann_lab as bl
    >>> rng = np.random.default_rng(0)
    >>> X = rng.multivariate_normal([0, 1], [[1, 0.5], [0.5, 2]], size=5000)
    >>> g = bl.GaussianMaxEnt(progress=False).fit(X)
    >>> np.round(g.cov_, 1)
    array([[1. , 0.5],
           [0.5, 2. ]])
    """

    kind = "gaussian"
    _array_keys = ("mask",)
    _config_keys = {
        **{k: ("model", k) for k in ("pairs", "mask", "periodic")},
        **training_keys("l1", "tolerance", "ridge"),
        "max_steps": ("training", "steps"),
        "validation_fraction": ("data", "validation_fraction"),
    }
    _unmapped = {"epochs": "one step is one sweep: max_steps", "seed": "nothing random",
                 "eval_every": "exact every step", "early_stopping": "closed form",
                 "monitor": "closed form", "patience": "closed form", "min_delta": "closed form"}

    def __init__(self, pairs=_g("model", "pairs"), *, mask=None,
                 periodic=_g("model", "periodic"), l1=_g("training", "l1"),
                 tolerance=_g("training", "tolerance"),
                 ridge=_g("training", "ridge"), max_steps=1000, image_shape=None,
                 validation_fraction=0.0, progress=True):
        self._init_params(locals())

    def _fitted_attributes(self, model) -> dict:
        return {"mean_": model.mean, "cov_": model.cov, "J_": model.J, "a_": model.a}
