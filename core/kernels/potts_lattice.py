"""Sweeps of the 2D q-state Potts model on a periodic L x L square lattice.

    E(s) = −J Σ_⟨ij⟩ δ(s_i, s_j),    s_i ∈ {0, …, q−1},    p(s) ∝ e^{−E/T},

each nearest-neighbour bond counted once.  A sweep visits the sites in checkerboard order (all
sites with i + j even, then the odd ones; for odd L this is simply a fixed order, still a valid
sequential scan).  Rules:

* heat bath: the new state is a with probability ∝ exp(β J n_a), n_a the number of the four
  neighbours in state a (a table of exp(β J k), k = 0..4, so no exp in the loop);
* Metropolis: propose one of the q − 1 other states uniformly, accept with min(1, e^{−β ΔE}),
  ΔE = −J (n_new − n_old).

After every sweep the energy per site E/N and the order parameter m = (q max_a ρ_a − 1)/(q − 1)
(ρ_a the fraction of sites in state a; 0 disordered, 1 fully ordered) are recorded.

Randomness: one xorshift64* state (``states`` of shape (1,)) advanced in place.
"""

import numpy as np
from numba import njit

from boltzmann_lab.kernels.rng import uniform

HEATBATH = 0
METROPOLIS = 1


@njit(nogil=True, cache=True)
def lattice_energy(S, J):
    """E / N of the configuration S (L, L) int8."""
    L = S.shape[0]
    e = 0
    for i in range(L):
        for j in range(L):
            s = S[i, j]
            e += (s == S[(i + 1) % L, j]) + (s == S[i, (j + 1) % L])
    return -J * e / (L * L)


@njit(nogil=True, cache=True)
def order_parameter(S, q, counts):
    L = S.shape[0]
    counts[:] = 0
    for i in range(L):
        for j in range(L):
            counts[S[i, j]] += 1
    big = 0
    for a in range(q):
        big = max(big, counts[a])
    return (q * big / (L * L) - 1.0) / (q - 1.0)


@njit(nogil=True, cache=True)
def sweeps(S, q, beta, J, rule, n_sweeps, states, energy, order, nb, w):
    """Run ``n_sweeps`` sweeps of S (L, L) int8 in place; write E/N and m after sweep k into
    ``energy[k]`` and ``order[k]``.  nb (q,) int64 and w (q,) float64 are scratch."""
    L = S.shape[0]
    tab = np.empty(5)
    for k in range(5):
        tab[k] = np.exp(beta * J * k)
    for t in range(n_sweeps):
        for colour in range(2):
            for i in range(L):
                up, down = (i - 1) % L, (i + 1) % L
                for j in range((i + colour) & 1, L, 2):
                    left, right = (j - 1) % L, (j + 1) % L
                    a1, a2, a3, a4 = S[up, j], S[down, j], S[i, left], S[i, right]
                    cur = S[i, j]
                    if rule == HEATBATH:
                        nb[a1] += 1
                        nb[a2] += 1
                        nb[a3] += 1
                        nb[a4] += 1
                        total = 0.0
                        for a in range(q):
                            w[a] = tab[nb[a]]
                            total += w[a]
                        u = uniform(states, 0) * total
                        new = q - 1
                        acc = 0.0
                        for a in range(q):
                            acc += w[a]
                            if u < acc:
                                new = a
                                break
                        nb[a1] = 0
                        nb[a2] = 0
                        nb[a3] = 0
                        nb[a4] = 0
                        S[i, j] = new
                    else:
                        new = int(uniform(states, 0) * (q - 1))
                        if new >= cur:
                            new += 1
                        dn = ((a1 == new) + (a2 == new) + (a3 == new) + (a4 == new)
                              - (a1 == cur) - (a2 == cur) - (a3 == cur) - (a4 == cur))
                        # ΔE = −J dn; accept with min(1, exp(β J dn))
                        if dn * J >= 0 or uniform(states, 0) < np.exp(beta * J * dn):
                            S[i, j] = new
        energy[t] = lattice_energy(S, J)
        order[t] = order_parameter(S, q, nb)
        nb[:] = 0
