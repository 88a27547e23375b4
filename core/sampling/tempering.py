"""Replica exchange (parallel tempering) between neighbouring inverse temperatures: the one swap
rule that the tempered MaxEnt, RBM and DBM chains share.

Replica r runs at inverse temperature ``betas[r]`` (decreasing, beta_0 = 1); a proposed swap of the
states of replicas r and s = r + 1 (for every chain c separately) is accepted with probability
min(1, exp((beta_r - beta_s)(E_r - E_s))), E the tempered part of the energy at beta = 1.  Even
pairs (0-1, 2-3, ...) are tried first, then odd pairs (1-2, 3-4, ...) with the energies after
the even swaps; the pairs of one parity are disjoint, so each parity is one vectorised pass.
"""

from __future__ import annotations

import numpy as np


def swap_neighbours(betas, energy, u, tries=None, accepted=None) -> np.ndarray:
    """One round of neighbour swaps (module docstring).

    ``energy`` (R, C): each replica's energy per chain (not modified); ``u`` (R, C): uniforms,
    ``u[r]`` decides the swap of pair (r, r + 1) in either parity; ``tries`` / ``accepted``
    (R - 1,) per-pair counters, incremented in place when given.  Returns ``slot`` (R, C) of
    replica indices: after the round, temperature r of chain c holds the state that replica
    ``slot[r, c]`` held before (apply it with ``states[slot, np.arange(C)]``).
    """
    betas = np.asarray(betas, np.float64)
    e = np.array(energy, np.float64)
    R, C = e.shape
    slot = np.repeat(np.arange(R)[:, None], C, axis=1)
    for parity in (0, 1):
        r = np.arange(parity, R - 1, 2)
        if len(r) == 0:
            continue
        s = r + 1
        acc = np.log(u[r] + 1e-300) < (betas[r] - betas[s])[:, None] * (e[r] - e[s])
        if tries is not None:
            tries[r] += C
            accepted[r] += acc.sum(axis=1)
        for arr in (e, slot):
            a_r, a_s = arr[r], arr[s]
            arr[r] = np.where(acc, a_s, a_r)
            arr[s] = np.where(acc, a_r, a_s)
    return slot
