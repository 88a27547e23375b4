"""Hopfield storage capacity: recall quality against the load α = P/n (Hebbian α_c ≈ 0.138).

Each (rule, α) is one task of the sweep mechanism (:func:`capacity_curves` runs them through
:func:`boltzmann_lab.sweeps.map_tasks`, serially or on a dask cluster).  A task's randomness comes
from ``(seed, α)`` alone — not from its place in the grid or from the rule — so a point gives the
same number in any grid, serially or distributed, and the rules compared at one α see the same
patterns and the same cues (common random numbers: their difference is not blurred by different
draws).
"""

from __future__ import annotations

import numpy as np

from boltzmann_lab.kernels.rng import seed_states
from boltzmann_lab.models.hopfield import run_dynamics, store

KEYS = ("alpha", "P", "mean_overlap", "se", "perfect", "sweeps")


def point_rng(seed: int, alpha: float) -> np.random.Generator:
    """The random stream of the capacity point (seed, α): α enters as round(α·10⁹)."""
    return np.random.default_rng([int(seed), int(round(float(alpha) * 1e9))])


def capacity_point(n, alpha, rule="hebbian", cue_noise=0.1, trials=1, update="async",
                   temperature=0.0, max_sweeps=100, max_cues=None, seed=0) -> dict:
    """Final overlap after recall at one load α (see :func:`capacity_sweep`); a dict of scalars
    ``alpha``, ``P``, ``mean_overlap``, ``se``, ``perfect``, ``sweeps``."""
    rng = point_rng(seed, alpha)
    k = int(round(cue_noise * n))
    P = max(1, int(round(alpha * n)))
    finals, sweeps = [], []
    for _ in range(int(trials)):
        xi = 2.0 * rng.integers(0, 2, size=(P, n)) - 1.0
        J = store(xi, rule)
        cued = np.arange(P) if max_cues is None or max_cues >= P else \
            rng.choice(P, size=max_cues, replace=False)
        S = xi[cued].copy()
        flip = np.argsort(rng.random((len(cued), n)), axis=1)[:, :k]   # k distinct units/row
        np.put_along_axis(S, flip, -np.take_along_axis(S, flip, axis=1), axis=1)
        r = run_dynamics(J, np.zeros(n), S, update, temperature, max_sweeps,
                         rng_states=seed_states(len(cued), rng))
        finals.append(np.einsum("ij,ij->i", S, xi[cued]) / n)
        sweeps.append(r["sweeps"])
    m = np.concatenate(finals)
    return {"alpha": float(alpha), "P": P, "mean_overlap": float(m.mean()),
            "se": float(m.std(ddof=1) / np.sqrt(m.size)) if m.size > 1 else float("nan"),
            "perfect": float(np.mean(m == 1.0)), "sweeps": float(np.concatenate(sweeps).mean())}


def _collect(points) -> dict:
    return {key: np.array([p[key] for p in points]) for key in KEYS}


def capacity_sweep(n, alphas, rule="hebbian", cue_noise=0.1, trials=1, update="async",
                   temperature=0.0, max_sweeps=100, max_cues=None, seed=0):
    """Final overlap after recall versus load alpha = P/n, in this process.

    For each alpha: P = max(1, round(alpha n)) unbiased random +-1 patterns (``trials`` independent
    draws), stored with ``rule``; every pattern (or ``max_cues`` of them per trial) is cued with
    exactly round(cue_noise n) flipped units and recalled (``update``, ``temperature``; at T = 0
    until a fixed point / 2-cycle, at most ``max_sweeps``).  The final overlap with the cued
    pattern, m = (1/n) xi . s, is averaged over cues and trials.  Random draws: module docstring.

    Returns a dict of arrays over ``alphas``: ``alpha``, ``P``, ``mean_overlap``, ``se``
    (standard error over cues), ``perfect`` (fraction of recalls with m = 1), ``sweeps`` (mean).
    """
    alphas = np.atleast_1d(np.asarray(alphas, dtype=np.float64))
    return _collect([capacity_point(n, a, rule, cue_noise, trials, update, temperature,
                                    max_sweeps, max_cues, seed) for a in alphas])


def _point_task(item, n, cue_noise, trials, update, temperature, max_sweeps, max_cues, seed):
    rule, alpha = item
    return capacity_point(n, alpha, rule, cue_noise, trials, update, temperature, max_sweeps,
                          max_cues, seed)


def capacity_curves(n, alphas, rules=("hebbian", "storkey", "pseudoinverse"), cue_noise=0.1,
                    trials=1, update="async", temperature=0.0, max_sweeps=100, max_cues=None,
                    seed=0, scheduler=None) -> dict:
    """:func:`capacity_sweep` for several rules, one sweep task per (rule, α).

    ``scheduler`` as :func:`boltzmann_lab.sweeps.map_tasks` (default: serial in this process).
    Returns ``{rule: capacity_sweep dict}``; the numbers do not depend on the scheduler.
    """
    from boltzmann_lab.sweeps.executor import map_tasks

    alphas = [float(a) for a in np.atleast_1d(np.asarray(alphas, dtype=np.float64))]
    items = [(rule, a) for rule in rules for a in alphas]
    points = map_tasks(_point_task, items, common=(n, cue_noise, trials, update, temperature,
                                                   max_sweeps, max_cues, seed),
                       scheduler=scheduler)
    return {rule: _collect(points[i * len(alphas):(i + 1) * len(alphas)])
            for i, rule in enumerate(rules)}
