"""Hopfield storage capacity: recall quality against the load α = P/n (Hebbian α_c ≈ 0.138)."""

from __future__ import annotations

import numpy as np

from boltzmann_lab.kernels.rng import seed_states
from boltzmann_lab.models.hopfield import run_dynamics, store


def capacity_sweep(n, alphas, rule="hebbian", cue_noise=0.1, trials=1, update="async",
                   temperature=0.0, max_sweeps=100, max_cues=None, seed=0):
    """Final overlap after recall versus load alpha = P/n.

    For each alpha: P = max(1, round(alpha n)) unbiased random +-1 patterns (``trials`` independent
    draws), stored with ``rule``; every pattern (or ``max_cues`` of them per trial) is cued with
    exactly round(cue_noise n) flipped units and recalled (``update``, ``temperature``; at T = 0
    until a fixed point / 2-cycle, at most ``max_sweeps``).  The final overlap with the cued
    pattern, m = (1/n) xi . s, is averaged over cues and trials.

    Returns a dict of arrays over ``alphas``: ``alpha``, ``P``, ``mean_overlap``, ``se``
    (standard error over cues), ``perfect`` (fraction of recalls with m = 1), ``sweeps`` (mean).
    """
    rng = np.random.default_rng(seed)
    alphas = np.atleast_1d(np.asarray(alphas, dtype=np.float64))
    k = int(round(cue_noise * n))
    res = {key: [] for key in ("alpha", "P", "mean_overlap", "se", "perfect", "sweeps")}
    for alpha in alphas:
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
        res["alpha"].append(alpha)
        res["P"].append(P)
        res["mean_overlap"].append(m.mean())
        res["se"].append(m.std(ddof=1) / np.sqrt(m.size) if m.size > 1 else np.nan)
        res["perfect"].append(np.mean(m == 1.0))
        res["sweeps"].append(np.concatenate(sweeps).mean())
    return {key: np.array(v) for key, v in res.items()}
