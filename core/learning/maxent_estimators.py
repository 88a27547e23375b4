"""The model term of the MaxEnt gradient: three interchangeable estimators.

Every estimator answers one question for the current parameters (h, J, V): *in which direction
should the parameters move?*  It returns an :class:`Estimate`:

* ``exact``            (:class:`ExactEstimator`) — model moments by enumerating all 2^n states;
  deterministic; the step ascends the log-likelihood.
* ``mcmc``             (:class:`MCMCEstimator`) — model moments from persistent fantasy particles
  (``chains`` Markov chains advanced ``sweeps`` sweeps per step, never re-initialised); stochastic;
  the step ascends the log-likelihood on average.
* ``pseudolikelihood`` (:class:`PseudoLikelihoodEstimator`) — the gradient of Besag's
  pseudo-log-likelihood (no model moments at all); deterministic.

Moment estimators return ``Estimate(moments=...)`` and the learner turns Δ = <O>_data − <O>_model
into the gradient; the pseudo-likelihood estimator returns ``Estimate(grads=...)`` directly.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from boltzmann_lab.exact.enumeration import MAX_UNITS
from boltzmann_lab.learning.constraints import Moments
from boltzmann_lab.models import pseudolikelihood as _pl


@dataclass
class Estimate:
    """What one estimator call found: model ``moments`` (moment estimators) or ``grads``
    (a dict like the parameters: the pseudo-likelihood estimator), plus cheap ``metrics``."""

    moments: Moments | None = None
    grads: dict | None = None
    metrics: dict = field(default_factory=dict)


def finite(*arrays) -> bool:
    """True when every given array (None is skipped) holds only finite numbers."""
    return all(a is None or np.isfinite(a).all() for a in arrays)


class ExactEstimator:
    """Model moments by enumerating all 2^n states (deterministic, n <= ``MAX_UNITS``)."""

    name = "exact"
    deterministic = True
    objective = "log-likelihood"

    def __init__(self, n, convention):
        if n > MAX_UNITS:
            raise ValueError(f"estimator 'exact' enumerates all 2^n states and handles at most "
                             f"{MAX_UNITS} units; this data has n = {n}: use 'mcmc' or "
                             f"'pseudolikelihood'")
        self.n, self.convention = n, convention

    def moments(self, h, J, V) -> Moments:
        if not finite(h, J, V):
            return Moments.nan(self.n)   # let NaN reach the parameters: the Trainer stops the run
        from boltzmann_lab.exact.enumeration import enumerate_stats
        s = enumerate_stats(h, J, self.convention, V)
        return Moments(s.mean, s.second, s.p_k)

    def estimate(self, h, J, V) -> Estimate:
        return Estimate(moments=self.moments(h, J, V))

    def state_dict(self):
        return {}

    def load_state_dict(self, state):
        pass


class MCMCEstimator:
    """Model moments from persistent fantasy particles
    (:class:`boltzmann_lab.learning.maxent_mcmc.TemperedChains`).

    ``chains`` chains start at randomly chosen data rows (drawn with ``seed``) and are never
    re-initialised; each call advances them ``sweeps`` sweeps at the current parameters and returns
    the averages over chains and those sweeps.  ``tempering`` (``auto`` | ``on`` | ``off``) and
    ``temperatures`` (replicas) control parallel tempering; the estimate's metrics carry the
    mixing diagnostic (``rhat_energy``, ``rhat_m``, ``tau_m``), ``replicas`` and ``swap_rate``.
    Random: the chains' RNG streams and the swap stream (seeded).
    """

    name = "mcmc"
    deterministic = False
    objective = "log-likelihood"

    def __init__(self, n, convention, chains, sweeps, method, seed, init_data, tempering="auto",
                 temperatures=8):
        from boltzmann_lab.learning.maxent_mcmc import TemperedChains
        rng = np.random.default_rng(seed)
        self.n, self.convention = n, convention
        self.chains = TemperedChains(n, convention, chains, sweeps, method, rng,
                                     np.asarray(init_data), tempering, temperatures)
        self.states = None

    @property
    def sampler(self):
        """The β = 1 chains (a :class:`boltzmann_lab.models.pairwise.PairwiseSampler`)."""
        return self.chains.sampler

    @property
    def sweeps(self):
        return self.chains.sweeps

    @sweeps.setter
    def sweeps(self, value):
        self.chains.sweeps = int(value)

    def moments(self, h, J, V) -> Moments:
        if not finite(h, J, V):
            return Moments.nan(self.n)
        (mean, second, p_k), self.states = self.chains.moments(h, J, V)
        return Moments(mean, second, p_k)

    def estimate(self, h, J, V) -> Estimate:
        mom = self.moments(h, J, V)
        return Estimate(moments=mom, metrics=self.chains.metrics())

    def state_dict(self):
        return self.chains.state_dict()

    def load_state_dict(self, state):
        self.chains.load_state_dict(state)


class PseudoLikelihoodEstimator:
    """The gradient of the pseudo-log-likelihood of the training data
    (:func:`boltzmann_lab.models.pseudolikelihood.pseudo_log_likelihood`), restricted to the
    constrained moments; reports ``train_pll``.  Deterministic, needs no partition function."""

    name = "pseudolikelihood"
    deterministic = True
    objective = "pseudo-likelihood"

    def __init__(self, train, convention, constraints):
        self.train, self.convention, self.C = train, convention, constraints

    def estimate(self, h, J, V) -> Estimate:
        pll, g = _pl.pseudo_log_likelihood(self.train, h, J, self.convention, V=V, grad=True,
                                           mask=self.C.pairs)
        if not self.C.means:
            g["h"][...] = 0.0
        return Estimate(grads=g, metrics={"train_pll": pll})

    def state_dict(self):
        return {}

    def load_state_dict(self, state):
        pass


ESTIMATORS = ("exact", "mcmc", "pseudolikelihood")


def exact_ll_live(n) -> bool:
    """``evaluate()`` reports the exact log-likelihood: 2^n states affordable in a live run
    (:func:`boltzmann_lab.exact.enumeration.affordable` with the pairwise kernel's cost; every
    n <= ``MAX_UNITS`` is, at ~0.2 s for n = 24)."""
    from boltzmann_lab.exact.enumeration import affordable
    from boltzmann_lab.learning.cost import LIVE_EVAL_SECONDS
    return affordable(n, None, LIVE_EVAL_SECONDS, kernel="pairwise")


def evaluation_cost(learner) -> float:
    """A MaxEnt learner's ``evaluate()`` in units of one step, by the a-priori cost model
    (:mod:`boltzmann_lab.learning.cost`): exact log Z (pairwise enumeration) plus the energies of
    the data, or pseudo-log-likelihoods; the step costs an enumeration of the moments (exact),
    ``replicas x sweeps x chains x n`` unit updates (mcmc), or a pass over the data (pseudo)."""
    from boltzmann_lab.learning import cost
    n, rows = learner.n, len(learner.train) + len(learner.val)
    est = learner.estimator
    exact = exact_ll_live(n)
    if exact:
        t = cost.enumeration_seconds(n, n, kernel="pairwise") + cost.seconds(muladds=rows * n * n)
        if est.name == "pseudolikelihood":
            t += 2 * cost.enumeration_seconds(n, n, kernel="pairwise")
    else:
        t = cost.seconds(muladds=2 * rows * n * n, elements=2 * rows * n)
    if est.name == "exact":
        step = cost.step_seconds() + 2 * cost.enumeration_seconds(n, n, kernel="pairwise")
    elif est.name == "mcmc":
        ch = est.chains
        updates = (1 + len(ch.replicas)) * ch.sweeps * ch.chains * n
        step = cost.step_seconds(muladds=updates * n, samples=updates, calls=30)
    else:
        M = len(learner.train)
        step = cost.step_seconds(muladds=3 * M * n * n, elements=2 * M * n, calls=30)
    return cost.ratio(t, step)
