"""What the MaxEnt learner shows: model-vs-data moments, couplings and fantasy particles."""

from __future__ import annotations

import numpy as np

from boltzmann_lab.learning.constraints import connected
from boltzmann_lab.learning.maxent_estimators import MCMCEstimator, finite


class MaxEntViews:
    """Mixin of :class:`boltzmann_lab.learning.maxent.MaxEntLearner` (display arrays)."""

    def views(self, n_show: int = 16) -> dict[str, np.ndarray]:
        """``means_data``/``means_model``, ``corr_data``/``corr_model`` (connected correlations of
        the constrained pairs, i<j in row-major order), ``couplings`` (J), ``fantasy`` (persistent
        chains for mcmc; otherwise a few display chains advanced one Gibbs sweep per call),
        ``state`` (one chain), ``data`` (first training rows), ``p_k_data``/``p_k_model`` when the
        population constraint is active.  All copies."""
        h, J, V = self._hV()
        out = {"means_data": self.data.mean.copy(), "corr_data": self.corr_data.copy(),
               "couplings": J.copy(), "data": self.train[:n_show].copy()}
        mom = self.model_moments
        if mom is not None:
            out["means_model"] = mom.mean.copy()
            out["corr_model"] = connected(mom, self.C)
        if self.C.population:
            out["p_k_data"] = self.data.p_k.copy()
            if mom is not None:
                out["p_k_model"] = mom.p_k.copy()
        fantasy = self._fantasy(n_show)
        if fantasy is not None and len(fantasy):
            out["fantasy"] = fantasy
            out["state"] = fantasy[0].copy()
        return out

    def _fantasy(self, n_show):
        if isinstance(self.estimator, MCMCEstimator):
            return self.estimator.sampler.states[:n_show]
        h, J, V = self._hV()
        if not finite(h, J, V):
            return None
        if self._display is None:
            self._make_display(n_show)
        self._display.run(h, J, V, sweeps=1)
        return self._display.states[:n_show]

    def _make_display(self, n_chains):
        # a few chains only for showing samples; seeded apart from the training chains
        from boltzmann_lab.models.pairwise import PairwiseSampler
        rng = np.random.default_rng([self.seed, 2])
        self._display = PairwiseSampler(self.n, n_chains, self.convention,
                                        seed=int(rng.integers(2 ** 63)))
        rows = rng.integers(0, self.M, size=n_chains)
        self._display.set_states(self.train[rows].copy())

    def fantasy_particles(self):
        """All beta = 1 persistent chains (chains, n) for the ``mcmc`` estimator, else None
        (used by :class:`boltzmann_lab.learning.observers.IsingMatch`)."""
        if isinstance(self.estimator, MCMCEstimator):
            return self.estimator.sampler.states
        return None
