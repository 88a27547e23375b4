"""Do Markov chains mix?  Diagnostics across chains for persistent MCMC (MaxEnt fantasy particles,
RBM/DBM persistent chains).

* :func:`split_rhat` — the potential scale reduction factor R̂ of Gelman & Rubin, split form
  (Gelman et al., *Bayesian Data Analysis* 3rd ed. §11.4; Vehtari et al. 2021 without rank
  normalisation): each of m chains of length T is cut in halves, giving 2m series of length
  N = T//2 with means x̄_c and variances s_c²;  W = mean s_c² (within), B/N = var(x̄_c) (between),
  var⁺ = (N−1)/N · W + B/N,  R̂ = sqrt(var⁺ / W).  Chains that sample the same distribution give
  R̂ → 1 (≈ 1 + O(1/N)); chains stuck in different modes (an ordered model whose chains never
  cross between all-up and all-down) give R̂ ≫ 1.  Convergence is commonly declared at
  R̂ < 1.1 (BDA3), which is the threshold used here (:data:`RHAT_OK`).
* :func:`integrated_autocorr_time` from :mod:`boltzmann_lab.stats.autocorr` (the one τ convention,
  1 + 2Σρ) of the same per-chain series, in units of recorded steps.

:class:`ChainMonitor` keeps the last ``window`` values of a per-chain scalar (energy and
magnetisation per unit) for a fixed subset of at most ``max_chains`` chains and reports
``rhat_energy``, ``rhat_m`` and ``tau_m``.  While parameters are being learned the series are not
stationary; a drift common to all chains inflates W, not B, so it lowers R̂ rather than raising
it: a large R̂ still means chains disagree with each other.

:func:`mixing_advice` turns these metrics into one sentence for the user (or ``None``).
"""

from __future__ import annotations

import math

import numpy as np

from boltzmann_lab.stats.autocorr import integrated_autocorr_time

#: chains whose split-R̂ is below this count as mixed (BDA3's rule of thumb)
RHAT_OK = 1.1


def split_rhat(x) -> float:
    """Split-R̂ of per-chain series ``x`` (chains, T), T >= 4 (module docstring).  A constant
    array gives 1; between-chain differences with no within-chain variance give ``inf``."""
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2 or x.shape[1] < 4 or x.shape[0] < 1:
        raise ValueError(f"split_rhat needs (chains, T >= 4) series, got shape {x.shape}")
    N = x.shape[1] // 2
    halves = np.concatenate([x[:, :N], x[:, x.shape[1] - N:]], axis=0)
    means = halves.mean(axis=1)
    W = float(halves.var(axis=1, ddof=1).mean())
    B_over_N = float(means.var(ddof=1))
    if W <= 0:
        return 1.0 if B_over_N <= 1e-24 else math.inf
    var_plus = (N - 1) / N * W + B_over_N
    return float(math.sqrt(var_plus / W))


class ChainMonitor:
    """Sliding window of per-chain energy and magnetisation for a subset of chains.

    ``ChainMonitor(n_chains, window=100, max_chains=64, seed=0)``: the subset is
    ``chains[:max_chains]`` spread evenly over all chains (fixed).  ``record(energy, m)`` takes
    (n_chains,) arrays of the current states; ``diagnostics()`` returns ``rhat_energy``,
    ``rhat_m`` (split-R̂) and ``tau_m`` (integrated autocorrelation time of m in recorded steps)
    once at least ``min_fill`` (default window // 2, at least 8) values were recorded, else {}.
    ``reset()`` forgets the window (after the dynamics changed, e.g. tempering was switched on).
    """

    def __init__(self, n_chains, window=100, max_chains=64, min_fill=None):
        self.n_chains = int(n_chains)
        G = min(self.n_chains, int(max_chains))
        self.index = np.unique(np.linspace(0, self.n_chains - 1, G).round().astype(np.int64))
        self.window = int(window)
        self.min_fill = max(8, self.window // 2) if min_fill is None else int(min_fill)
        self._e = np.zeros((len(self.index), self.window))
        self._m = np.zeros((len(self.index), self.window))
        self.reset()

    def reset(self):
        self.count = 0

    def record(self, energy, m):
        k = self.count % self.window
        self._e[:, k] = np.asarray(energy, np.float64)[self.index]
        self._m[:, k] = np.asarray(m, np.float64)[self.index]
        self.count += 1

    def _series(self, a):
        T = min(self.count, self.window)
        if self.count <= self.window:
            return a[:, :T]
        k = self.count % self.window
        return np.concatenate([a[:, k:], a[:, :k]], axis=1)   # oldest first

    @property
    def ready(self) -> bool:
        return self.count >= self.min_fill and len(self.index) >= 2

    def diagnostics(self) -> dict[str, float]:
        if not self.ready:
            return {}
        e, m = self._series(self._e), self._series(self._m)
        return {"rhat_energy": split_rhat(e), "rhat_m": split_rhat(m),
                "tau_m": float(integrated_autocorr_time(m))}

    def state_dict(self, prefix="monitor/"):
        return {f"{prefix}e": self._e.copy(), f"{prefix}m": self._m.copy(),
                f"{prefix}count": self.count}

    def load_state_dict(self, state, prefix="monitor/"):
        if f"{prefix}count" not in state:
            return
        self._e[...] = state[f"{prefix}e"]
        self._m[...] = state[f"{prefix}m"]
        self.count = int(state[f"{prefix}count"])


def worst_rhat(metrics) -> float:
    """The largest ``rhat_*`` value among ``metrics`` (NaN when there is none)."""
    vals = [float(v) for k, v in metrics.items() if k.startswith("rhat_")]
    return max(vals) if vals else float("nan")


def mixing_advice(metrics, kind="rbm", method="pcd") -> str | None:
    """One sentence for the user when the chains do not mix (worst ``rhat_*`` >= RHAT_OK), or
    ``None``.  ``kind``/``method`` choose the remedy offered."""
    r = worst_rhat(metrics)
    if not (r >= RHAT_OK):
        return None
    if kind == "maxent":
        fix = "turn on parallel tempering ([training] tempering = \"on\") or raise sweeps"
    elif kind == "rbm" and method != "pt":
        fix = "use method = \"pt\" (parallel tempering) or a larger k (more Gibbs sweeps per step)"
    else:
        fix = "raise the number of Gibbs sweeps per step or lower the learning rate"
    return (f"the persistent chains do not mix (split-R̂ = {r:.2g} ≥ {RHAT_OK}: chains disagree, "
            f"e.g. stuck in different modes), so the model term of the gradient is biased; {fix}")
