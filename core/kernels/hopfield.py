"""Numba kernels for Hopfield recall and sampling (spin convention, s_i = +-1).

Energy (the project's pairwise convention, sums not means)::

    E(s) = -sum_{i<j} J_ij s_i s_j - sum_i h_i s_i = -1/2 s^T J s - h^T s,

with J symmetric and zero on the diagonal.  The local field of unit i is
H_i = sum_j J_ij s_j + h_i; flipping s_i changes the energy by 2 s_i H_i (before the flip).

Update rule for one unit at temperature T (the energy is divided by T):

* T = 0 (deterministic): s_i <- sign(H_i).  A tie, |H_i| <= TIE, keeps the current s_i, so that
  a flip always lowers the energy strictly and rounding in the incrementally updated fields
  cannot create spurious flips.
* T > 0 (Glauber / heat bath): s_i <- +1 with probability 1 / (1 + exp(-2 H_i / T)).

Asynchronous sweeps visit every unit once in a fresh uniformly random order (Fisher-Yates with the
chain's own xorshift lane, ``boltzmann_lab.kernels.rng``); at T > 0 they sample the Boltzmann distribution
p(s) ~ exp(-E(s)/T).  Synchronous sweeps update all units at once from the same fields (Little
dynamics); at T = 0 they end in a fixed point or a 2-cycle (J symmetric), at T > 0 their
stationary distribution is *not* the Boltzmann distribution of E but
pi(s) ~ exp(h.s/T) prod_i cosh(H_i(s)/T) (Peretto 1984).

Arrays: ``J`` (n, n) float64 C-contiguous, ``h`` (n,), ``S`` (B, n) float64 states updated in
place, ``rng_states`` (B,) uint64 -- one lane per chain, so chain b's result depends only on its
own lane.
"""

import numpy as np
from numba import njit

from boltzmann_lab.kernels.rng import uniform

TIE = 1e-12

STATUS_RUNNING = 0
STATUS_FIXED_POINT = 1
STATUS_TWO_CYCLE = 2


@njit(nogil=True, cache=True)
def _fields_row(J, h, s, H):
    n = s.shape[0]
    for i in range(n):
        acc = h[i]
        for j in range(n):
            acc += J[i, j] * s[j]
        H[i] = acc


@njit(nogil=True, cache=True)
def _update(f, si, temperature, rng_states, lane):
    """The unit update rule (module docstring) for field ``f`` and current value ``si``."""
    if temperature <= 0.0:
        if f > TIE:
            return 1.0
        if f < -TIE:
            return -1.0
        return si
    p = 1.0 / (1.0 + np.exp(-2.0 * f / temperature))
    return 1.0 if uniform(rng_states, lane) < p else -1.0


@njit(nogil=True, cache=True)
def async_sweeps(J, h, S, temperature, n_sweeps, stop_at_fixed_point, rng_states,
                 n_done, last_flips, total_flips):
    """Run up to ``n_sweeps`` asynchronous sweeps on every chain (row of ``S``, in place).

    With ``stop_at_fixed_point`` (meaningful at T = 0) a chain stops after the first sweep in
    which no unit changed.  Per chain b the outputs are: ``n_done[b]`` sweeps performed,
    ``last_flips[b]`` units changed in the last sweep, ``total_flips[b]`` over all sweeps.
    The fields are recomputed from the state at the start of every call (O(n^2)), then updated
    incrementally at each flip (O(n)), so a call's result depends only on (S, rng_states).
    """
    B, n = S.shape
    H = np.empty(n)
    perm = np.empty(n, dtype=np.int64)
    for b in range(B):
        s = S[b]
        _fields_row(J, h, s, H)
        done = 0
        flips = 0
        tot = 0
        for _ in range(n_sweeps):
            shuffle_order(perm, rng_states, b)     # a uniform random order
            flips = 0
            for t in range(n):
                i = perm[t]
                new = _update(H[i], s[i], temperature, rng_states, b)
                if new != s[i]:
                    s[i] = new
                    d = 2.0 * new
                    for j in range(n):             # J symmetric: row i is column i
                        H[j] += d * J[i, j]
                    flips += 1
            done += 1
            tot += flips
            if stop_at_fixed_point and flips == 0:
                break
        n_done[b] = done
        last_flips[b] = flips
        total_flips[b] = tot


@njit(nogil=True, cache=True)
def shuffle_order(perm, rng_states, lane):
    """A fresh uniformly random visiting order in ``perm`` (n,) int64 (Fisher-Yates, the same
    draws as the start of an asynchronous sweep)."""
    n = perm.shape[0]
    for i in range(n):
        perm[i] = i
    for i in range(n - 1, 0, -1):
        k = int(uniform(rng_states, lane) * (i + 1))
        tmp = perm[i]
        perm[i] = perm[k]
        perm[k] = tmp


@njit(nogil=True, cache=True)
def async_units(J, h, s, temperature, perm, start, count, rng_states, lane):
    """Update units ``perm[start:start + count]`` of state ``s`` (n,) one after the other, as an
    asynchronous sweep visits them (the same rule; fields from the current state); return the
    number of units that changed.  A sweep cut into pieces (the GUI animates recall unit by
    unit) goes exactly as one :func:`async_sweeps` sweep through the same order would."""
    n = s.shape[0]
    flips = 0
    for t in range(start, min(start + count, n)):
        i = perm[t]
        f = h[i]
        for j in range(n):
            f += J[i, j] * s[j]
        new = _update(f, s[i], temperature, rng_states, lane)
        if new != s[i]:
            s[i] = new
            flips += 1
    return flips


@njit(nogil=True, cache=True)
def sync_sweeps(J, h, S, P, temperature, n_sweeps, stop_at_cycle, rng_states,
                n_done, last_flips, total_flips, status):
    """Run up to ``n_sweeps`` synchronous sweeps: s(t+1)_i = update(H_i(s(t))) for all i at once.

    ``P`` (B, n) holds s(t-1) for each chain (in place; zeros when unknown) so that a 2-cycle
    s(t+1) = s(t-1) is detected across calls.  ``status[b]`` becomes STATUS_FIXED_POINT when a
    sweep changed nothing, STATUS_TWO_CYCLE when s(t+1) = s(t-1) != s(t), else STATUS_RUNNING;
    with ``stop_at_cycle`` (meaningful at T = 0) the chain stops there.  At T > 0 unit i draws
    its uniform from lane b in index order.
    """
    B, n = S.shape
    H = np.empty(n)
    new = np.empty(n)
    for b in range(B):
        s = S[b]
        prev = P[b]
        _fields_row(J, h, s, H)
        done = 0
        flips = 0
        tot = 0
        st = STATUS_RUNNING
        for _ in range(n_sweeps):
            for i in range(n):
                new[i] = _update(H[i], s[i], temperature, rng_states, b)
            flips = 0
            same_as_prev = True
            for i in range(n):
                if new[i] != prev[i]:
                    same_as_prev = False
                if new[i] != s[i]:
                    flips += 1
            for i in range(n):
                if new[i] != s[i]:
                    d = 2.0 * new[i]
                    for j in range(n):
                        H[j] += d * J[i, j]
                prev[i] = s[i]
                s[i] = new[i]
            done += 1
            tot += flips
            if flips == 0:
                st = STATUS_FIXED_POINT
            elif same_as_prev:
                st = STATUS_TWO_CYCLE
            else:
                st = STATUS_RUNNING
            if stop_at_cycle and st != STATUS_RUNNING:
                break
        n_done[b] = done
        last_flips[b] = flips
        total_flips[b] = tot
        status[b] = st


@njit(nogil=True, cache=True)
def flip_random(s, k, rng_states, lane):
    """Flip exactly ``k`` distinct units of ``s`` (in place), chosen uniformly at random
    (partial Fisher-Yates with lane ``lane`` of ``rng_states``)."""
    n = s.shape[0]
    idx = np.arange(n)
    for t in range(min(k, n)):
        j = t + int(uniform(rng_states, lane) * (n - t))
        tmp = idx[t]
        idx[t] = idx[j]
        idx[j] = tmp
        s[idx[t]] = -s[idx[t]]


@njit(nogil=True, cache=True)
def storkey_add(J, xi):
    """Add one pattern ``xi`` (n,) to ``J`` (in place) by Storkey's rule (Storkey 1997):

        J_ij += (1/n) [xi_i xi_j - xi_i h_ji - h_ij xi_j],  h_ij = sum_{k != i,j} J_ik xi_k,

    all h computed from the J before this pattern; J stays symmetric with zero diagonal.
    """
    n = xi.shape[0]
    H = np.empty(n)
    for i in range(n):
        acc = 0.0
        for k in range(n):
            acc += J[i, k] * xi[k]
        H[i] = acc - J[i, i] * xi[i]
    inv = 1.0 / n
    for i in range(n):
        for j in range(i + 1, n):
            w = J[i, j]                      # old value (pair (i, j) is written only here)
            hij = H[i] - w * xi[j]
            hji = H[j] - w * xi[i]
            w += inv * (xi[i] * xi[j] - xi[i] * hji - hij * xi[j])
            J[i, j] = w
            J[j, i] = w
