"""Observers: cheap per-step measurements the :class:`~boltzmann_lab.learning.trainer.Trainer`
adds to a step's metrics, for any learner that offers the hooks they need.

* :class:`ChainMixing` — for learners with persistent chains (RBM/DBM PCD, RBM PT): each step it
  records each monitored chain's energy per unit and mean unit value
  (``learner.chain_observables(index)``) and every ``every`` steps reports the split-R̂ across
  chains, ``rhat_energy`` / ``rhat_m``, and ``tau_m``
  (:class:`boltzmann_lab.stats.mixing.ChainMonitor`, window 100 steps, at most 32 chains).
  When R̂ stays >= 1.1 its ``advice`` offers the remedy (:func:`~boltzmann_lab.stats.mixing.
  mixing_advice`: parallel tempering or more sweeps); :meth:`Trainer.advice` collects it.
* :class:`IsingMatch` — for models of 2D Ising configurations (``[data] generator = "ising"``):
  every ``every`` steps, the distance between the fantasy particles (``learner.fantasy_particles()``,
  all persistent chains) and the training data, as the Wasserstein-1 distance between the two
  empirical distributions of the energy per spin E/N = −(1/N) Σ_<ij> s_i s_j (nearest neighbours,
  periodic, J = 1; ``w1_energy``) and of |m| = |Σ s_i| / N (``w1_abs_m``).  W1 = ∫ |F_a − F_b| dx
  (the area between the two empirical CDFs), in the units of the observable; two samples of the
  same distribution are ~ σ·sqrt(1/N_a + 1/N_b) apart, which two random halves of the data show
  (:meth:`IsingMatch.floor`).

An observer is ``f(trainer, step, metrics)`` and updates ``metrics`` in place.
"""

from __future__ import annotations

import numpy as np

from boltzmann_lab.stats.mixing import RHAT_OK, ChainMonitor, mixing_advice, worst_rhat


def wasserstein1(a, b) -> float:
    """W1 distance between the empirical distributions of samples ``a`` and ``b`` (1-D):
    the integral of |F_a(x) − F_b(x)| over x (equals scipy.stats.wasserstein_distance)."""
    a = np.sort(np.asarray(a, np.float64).ravel())
    b = np.sort(np.asarray(b, np.float64).ravel())
    if not a.size or not b.size:
        return float("nan")
    grid = np.concatenate([a, b])
    grid.sort()
    dx = np.diff(grid)
    fa = np.searchsorted(a, grid[:-1], side="right") / a.size
    fb = np.searchsorted(b, grid[:-1], side="right") / b.size
    return float(np.sum(np.abs(fa - fb) * dx))


def ising_observables(x, image_shape):
    """Per configuration: energy per spin E/N = −(1/N) Σ_<ij> s_i s_j (periodic, J = 1) and |m|,
    for rows ``x`` (k, L1*L2) in spin {−1,+1} or binary {0,1} units (binary read as s = 2x − 1)."""
    x = np.asarray(x, dtype=np.float64)
    s = 2.0 * x - 1.0 if x.size and x.min() >= 0 else x
    s = s.reshape(len(s), *image_shape)
    bonds = (s * np.roll(s, 1, axis=1)).sum((1, 2)) + (s * np.roll(s, 1, axis=2)).sum((1, 2))
    N = image_shape[0] * image_shape[1]
    return -bonds / N, np.abs(s.reshape(len(s), -1).mean(1))


class ChainMixing:
    """Split-R̂ of persistent chains (module docstring)."""

    def __init__(self, learner, every=10, window=100, max_chains=32):
        self.learner, self.every = learner, int(every)
        n = int(learner.n_persistent_chains())
        self.monitor = ChainMonitor(n, window=window, max_chains=max_chains) if n >= 2 else None
        #: one sentence with a remedy once R̂ >= RHAT_OK in three reports in a row, else None
        self.advice = None
        self._bad = 0

    def __call__(self, trainer, step, metrics):
        if self.monitor is None:
            return
        obs = self.learner.chain_observables(self.monitor.index)
        if obs is None:
            return
        e, m = obs
        full_e = np.zeros(self.monitor.n_chains)
        full_m = np.zeros(self.monitor.n_chains)
        full_e[self.monitor.index], full_m[self.monitor.index] = e, m
        self.monitor.record(full_e, full_m)
        if step % self.every == 0:
            d = self.monitor.diagnostics()
            metrics.update(d)
            if d:
                self._bad = self._bad + 1 if worst_rhat(d) >= RHAT_OK else 0
                if self._bad >= 3 and self.advice is None:
                    self.advice = mixing_advice(d, getattr(self.learner, "kind", ""),
                                                getattr(self.learner, "method", ""))


class IsingMatch:
    """Fantasy particles vs data: W1 of the E/N and |m| distributions (module docstring)."""

    def __init__(self, learner, data, image_shape, every=10, max_data=4000, seed=0):
        self.learner, self.every = learner, int(every)
        self.shape = tuple(image_shape)
        data = np.asarray(data)
        if len(data) > max_data:
            data = data[np.random.default_rng(seed).choice(len(data), max_data, replace=False)]
        self.e_data, self.m_data = ising_observables(data, self.shape)

    def floor(self) -> dict[str, float]:
        """W1 between two random halves of the data: the finite-sample level of the distances."""
        p = np.random.default_rng(0).permutation(len(self.e_data))   # rows may be sorted by T
        a, b = p[:len(p) // 2], p[len(p) // 2:]
        return {"w1_energy": wasserstein1(self.e_data[a], self.e_data[b]),
                "w1_abs_m": wasserstein1(self.m_data[a], self.m_data[b])}

    def distances(self, fantasy) -> dict[str, float]:
        e, m = ising_observables(fantasy, self.shape)
        return {"w1_energy": wasserstein1(e, self.e_data), "w1_abs_m": wasserstein1(m, self.m_data)}

    def __call__(self, trainer, step, metrics):
        if step % self.every and step != 1:
            return
        fantasy = self.learner.fantasy_particles()
        if fantasy is None or not len(fantasy):
            return
        metrics.update(self.distances(fantasy))


def standard_observers(learner, dataset, cfg) -> list:
    """The observers a run gets from :func:`boltzmann_lab.build.make_trainer`: chain mixing for
    learners with persistent chains, and the Ising match for 2D Ising data."""
    out = []
    if hasattr(learner, "chain_observables") and hasattr(learner, "n_persistent_chains"):
        out.append(ChainMixing(learner))
    shape = getattr(dataset, "image_shape", None)
    if dataset is not None and hasattr(learner, "fantasy_particles") and \
            (cfg.get("data") or {}).get("generator") == "ising" and shape and len(shape) == 2:
        out.append(IsingMatch(learner, dataset.train, shape))
    return out
