"""Hopfield network estimator (kind ``hopfield``): storing patterns is the fit, recall is the use
(:mod:`boltzmann_lab.models.hopfield`)."""

from __future__ import annotations

import functools

import numpy as np

from boltzmann_lab.estimators.base import Estimator, _table, config_default

_d = functools.partial(config_default, "hopfield")


class Hopfield(Estimator):
    """Hopfield network: stores the rows of ``X`` as memories and recalls them from cues.

    Spin convention (binary patterns are mapped by s = 2x - 1).  J has a zero diagonal; as a
    probability model p(s) = exp(-E(s)) / Z at T = 1 with E(s) = -s.J.s/2 - h.s.  Storing is one
    closed-form step, so ``fit`` runs no training loop.

    Parameters
    ----------
    rule : {"hebbian", "storkey", "pseudoinverse"}
        Storage rule.
    update : {"async", "sync"}
        Recall dynamics: one unit at a time in random order, or all units at once.
    temperature : float
        Recall temperature (0: deterministic descent to a fixed point).
    seed : int
        Default seed of :meth:`recall` (update orders, heat-bath draws).

    Attributes
    ----------
    J_ : (n, n) couplings.   h_ : (n,) fields (zero).   patterns_ : (P, n) stored spins.
    model_ : the :class:`boltzmann_lab.models.hopfield.HopfieldModel`.
    history_ : one row: ``stable_patterns`` (fraction of memories that are T = 0 fixed points)
        and ``train_ll`` (or ``train_pll`` for n > 24) of the memories.
    score_method_ : ``exact`` (n <= 24) or ``pseudo``.

    Examples
    --------
    >>> import boltzmann_lab as bl
    >>> memories = bl.datasets.patterns(n=3, n_units=100, seed=0)
    >>> net = bl.Hopfield(rule="storkey").fit(memories)
    >>> cue = memories[0].copy()
    >>> cue[:10] *= -1                                  # 10 of 100 units flipped
    >>> bool((net.recall(cue) == memories[0]).all())
    True
    """

    kind = "hopfield"
    _config_keys = {
        **{k: ("model", k) for k in ("rule", "update", "temperature")},
        "seed": ("training", "seed"),
    }
    _unmapped = {"cue": "recall(cue) takes the cue", "cue_noise": "recall(cue) takes the cue",
                 "sweeps": "recall(cue, sweeps=...)", "steps": "storing is one step",
                 "epochs": "storing is one step", "eval_every": "nothing to evaluate during fit",
                 "early_stopping": "storing is one step", "monitor": "storing is one step",
                 "patience": "storing is one step", "min_delta": "storing is one step",
                 "units_per_step": "the app's recall animation pace; recall() runs whole sweeps"}

    def __init__(self, rule=_d("model", "rule"), *, update=_d("model", "update"),
                 temperature=_d("model", "temperature"), seed=0):
        self._init_params(locals())

    def fit(self, X, y=None):
        """Store the rows of ``X`` (binary or spin patterns) with ``rule``.

        Parameters
        ----------
        X : array (n_patterns, n_units) of {0, 1} or {-1, +1}.
        y : ignored (scikit-learn compatibility).

        Returns
        -------
        self
        """
        from boltzmann_lab.build import make_learner

        cfg = self._config()
        ds = self._dataset(X, None, cfg)
        try:
            learner = make_learner(cfg, ds)
        except ValueError as exc:
            raise ValueError(self._reword(exc)) from None
        self._set_fitted(learner.model)
        self.history_ = _table([{"step": 0, **learner.evaluate()}])
        self.n_steps_, self.converged_, self.fit_message_ = 0, True, "patterns stored"
        return self

    def _fitted_attributes(self, model) -> dict:
        return {"J_": model.J, "h_": model.h, "patterns_": model.patterns}

    @classmethod
    def _params_from_model(cls, model) -> dict:
        rule = model.rule
        return {"rule": rule} if rule in ("hebbian", "storkey", "pseudoinverse") else {}

    def recall(self, cue, sweeps=100, seed=None, return_trajectory=False):
        """Run the recall dynamics (``update``, ``temperature``) from each cue.

        Parameters
        ----------
        cue : (n,) or (M, n) binary or spin states.
        sweeps : int
            At most this many sweeps; at T = 0 recall stops at a fixed point (or a 2-cycle of
            synchronous updates).
        seed : int, optional
            Randomness of the update order and heat-bath draws (default: the ``seed`` parameter).
        return_trajectory : bool
            Return the :class:`boltzmann_lab.models.hopfield.Recall` record(s) (energy and
            overlaps after every sweep) instead of the final states.

        Returns
        -------
        Final spin states shaped like ``cue`` (or Recall records).
        """
        x = np.asarray(cue, dtype=np.float64)
        one = x.ndim == 1
        rows = self._input(x.reshape(1, -1) if one else x)
        ss = np.random.SeedSequence(self.seed if seed is None else seed)
        seeds = [int(s) for s in ss.generate_state(len(rows))]      # one stream per cue
        out = [self.model_.recall(r, self.update, self.temperature, sweeps, seed=s)
               for r, s in zip(rows, seeds)]
        if return_trajectory:
            return out[0] if one else out
        states = np.stack([r.state for r in out])
        return states[0] if one else states
