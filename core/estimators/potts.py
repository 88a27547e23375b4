"""Potts maximum-entropy estimator of categorical data (kind ``potts``,
:mod:`boltzmann_lab.learning.potts`): the scikit-learn face of direct-coupling analysis."""

from __future__ import annotations

import functools

import numpy as np

from boltzmann_lab.estimators.base import GRADIENT_KEYS, Estimator, config_default, training_keys

_p = functools.partial(config_default, "potts")


def _d(key):
    from boltzmann_lab.config import CATEGORICAL_KEYS
    return CATEGORICAL_KEYS[key].default


class Potts(Estimator):
    """Potts model of categorical data (states 0..q−1) fitted by Boltzmann learning, exactly, or
    by pseudo-likelihood (plmDCA).

    E(σ) = -sum_i h_i(σ_i) - sum_{i<j} J_ij(σ_i, σ_j), p(σ) = exp(-E(σ)) / Z; the one- and
    two-site frequencies of the chosen constraints are reproduced (README, "Potts models and
    direct-coupling analysis").

    Parameters
    ----------
    constraints : tuple of {"sites", "pairs"}
        One-site frequencies (fields h) and two-site frequencies (couplings J).
    pairs : {"all", "mask", "contacts"}
        Which pairs are constrained.
    mask : (n, n) boolean array or path of a ``.npy`` file, optional
        Constrained pairs when ``pairs="mask"``.
    contacts : path, optional
        File of 0-based site pairs ``i j`` when ``pairs="contacts"``.
    estimator : {"exact", "mcmc", "pseudolikelihood"}
        Enumeration (q^n <= 2^24), persistent chains (bmDCA) or pseudo-likelihood (plmDCA).
    init : {"zero", "independent", "pseudolikelihood"}
        Starting parameters.
    chains, sweeps
        MCMC settings.
    tolerance, strict_tolerance : float
        Convergence as for :class:`MaxEnt`.
    l2_fields : float
        L2 penalty on the fields (``l2`` acts on the couplings, ``l1`` is the group L1).
    pl_symmetry : {"symmetric", "asymmetric"}; pl_iterations : int
        Pseudo-likelihood mode and L-BFGS iterations per step.
    max_steps : int or None
        Stop after this many steps if not converged first.
    learning_rate, optimizer, momentum, schedule, decay, l1, l2, eval_every, early_stopping,
    monitor, patience, min_delta, seed
        As for :class:`MaxEnt`.
    alphabet : str
        State symbols (only recorded with the model: ``X`` holds integers).
    states : int, optional
        q (default max(X) + 1, or the alphabet's size).
    reweight : {"auto", "identity", "none"}; identity_threshold : float
        Sequence weights 1/#{neighbours with identity >= threshold} (``auto``: none for arrays).
    pseudocount : float
        f -> (1 - λ) f + λ/q.
    validation_fraction : float
        Share of ``X`` held out when ``X_val`` is not given.
    progress : bool
        Show a progress bar.

    Attributes
    ----------
    h_ : (n, q) fields.   J_ : (n, n, q, q) couplings, J_[i, j] = J_[j, i].T, zero diagonal
    blocks.   scores_ : (n, n) APC coupling scores (zero-sum gauge).   model_ : the
    :class:`boltzmann_lab.models.potts.PottsModel`.   score_method_ : ``exact`` or ``pseudo``.

    Examples
    --------
    >>> import numpy as np, boltzmann_lab as bl
    >>> from boltzmann_lab.data.generators import generate
    >>> X = generate({"generator": "potts", "n": 4, "q": 3, "samples": 3000}).x.astype(int)
    >>> m = bl.Potts(estimator="exact", l2_fields=0.0, progress=False).fit(X)
    >>> m.converged_, m.J_.shape, m.score_method_
    (True, (4, 4, 3, 3), 'exact')
    """

    kind = "potts"
    _array_keys = ("mask",)
    _config_keys = {
        **{k: ("model", k) for k in ("constraints", "pairs", "mask", "contacts")},
        **training_keys("estimator", "init", "chains", "sweeps", "tolerance", "strict_tolerance",
                        "l2_fields", "pl_symmetry", "pl_iterations", *GRADIENT_KEYS),
        "max_steps": ("training", "steps"),
        **{k: ("data", k) for k in ("alphabet", "states", "reweight", "identity_threshold",
                                    "pseudocount", "validation_fraction")},
    }
    _unmapped = {"epochs": "full batch: an epoch is a step (max_steps)"}
    #: data keys of the categorical convention that do not apply to an array in memory
    _unmapped_data = {"format": "X is an array, not a file", "unknown": "X holds integers"}

    def __init__(self, constraints=_p("model", "constraints"), *, pairs=_p("model", "pairs"),
                 mask=None, contacts=None, estimator=_p("training", "estimator"),
                 init=_p("training", "init"), chains=_p("training", "chains"),
                 sweeps=_p("training", "sweeps"), tolerance=_p("training", "tolerance"),
                 strict_tolerance=_p("training", "strict_tolerance"),
                 l2_fields=_p("training", "l2_fields"),
                 pl_symmetry=_p("training", "pl_symmetry"),
                 pl_iterations=_p("training", "pl_iterations"), max_steps=10000,
                 learning_rate=_p("training", "learning_rate"),
                 optimizer=_p("training", "optimizer"), momentum=_p("training", "momentum"),
                 schedule=_p("training", "schedule"), decay=_p("training", "decay"),
                 l1=_p("training", "l1"), l2=_p("training", "l2"),
                 eval_every=_p("training", "eval_every"),
                 early_stopping=_p("training", "early_stopping"),
                 monitor=_p("training", "monitor"), patience=_p("training", "patience"),
                 min_delta=_p("training", "min_delta"), seed=_p("training", "seed"),
                 alphabet=_d("alphabet"), states=None, reweight=_d("reweight"),
                 identity_threshold=_d("identity_threshold"), pseudocount=_d("pseudocount"),
                 validation_fraction=0.0, progress=True):
        self._init_params(locals())

    def _fitted_attributes(self, model) -> dict:
        from boltzmann_lab.models.dca import coupling_scores
        gap = (model.alphabet.index("-") if isinstance(model.alphabet, str)
               and "-" in model.alphabet else None)
        return {"h_": model.h, "J_": model.J, "scores_": coupling_scores(model.J,
                                                                         ignore_state=gap)}

    def sample(self, n, seed=0) -> np.ndarray:
        """(n, n_units) integer states of the fitted model; random (``seed``)."""
        self._check_fitted()
        return np.asarray(self.model_.sample(int(n), seed=seed), dtype=np.int64)
