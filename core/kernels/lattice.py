"""Checkerboard Metropolis and heat-bath sweeps of the 2D Ising model (periodic L x L square lattice).

Model and conventions
---------------------
Spins s_ij in {-1, +1} (``int8``), stored row-major as an (L, L) array, with periodic boundaries.
Energy (a sum, not a mean)::

    E(s) = -J * sum_<ij> s_i s_j  -  H * sum_i s_i        (each nearest-neighbour bond once)

and p(s) ∝ exp(-E(s) / T).  The observables reported per sweep are the energy per spin E/N and
the magnetisation per spin M/N, N = L*L.

Why the layout is what it is (speed)
------------------------------------
The square lattice is bipartite: every neighbour of a "black" site (i + j even) is "white", so all
sites of one colour can be updated at once (exactly, not approximately — they do not interact).
For the duration of a call the kernel repacks the lattice into ``P[c, i, k]`` = spin at row ``i``,
column ``j = 2k + ((i + c) & 1)`` (``c`` = 0 black, 1 white).  In this layout a colour's row is a
contiguous int8 vector and its four neighbours are contiguous vectors too:

* up/down neighbours of ``P[c, i, k]`` are ``P[1-c, i∓1, k]``;
* left/right neighbours are ``P[1-c, i, k-1], P[1-c, i, k]`` when ``(i + c)`` is even and
  ``P[1-c, i, k], P[1-c, i, k+1]`` when it is odd (with one wrapped element at the row end).

Each row is then updated by short loops with no branches and no modulo (the single wrapped
column is handled outside the loop) that LLVM turns into SIMD code: a neighbour-sum pass and an
update pass in which the acceptance threshold is picked by arithmetic selects from a small table
(no table gather, no ``if`` that depends on a spin).

Random numbers
--------------
One xoroshiro64* generator (two ``uint32`` words of state, 32-bit output) per *column lane*
``k`` = 0..L/2-1, i.e. ``states`` has shape (2, L/2).  Lane ``k`` supplies the draw for site
``(i, 2k + offset)`` of every row in turn, so the lanes are updated side by side in SIMD registers.
The state is explicit and advanced in place: the same spins + states give the same chain.  The
top 31 bits of each output are compared with a threshold ``t`` in [0, 2^31] (``P = t / 2^31``),
so probabilities are represented to 2^-31 and probability 1 is exact.

Tables (built by :func:`metropolis_table` / :func:`heatbath_table` from beta, J, H):

* rule ``RULE_METROPOLIS``: ``table[2*a + b]`` = threshold of *flipping*, with
  ``a = (s*n + 4) / 2`` (n = sum of the four neighbours, s the current spin) and ``b = (s + 1)/2``;
  flip probability min(1, exp(-beta * dE)), dE = 2 s (J n + H).
* rule ``RULE_HEATBATH``: ``table[(n + 4) / 2]`` = threshold of the new spin being +1,
  P(+1) = 1 / (1 + exp(-2 beta (J n + H))).

All kernels are ``@njit(nogil=True, cache=True)``.  L must be even (an odd periodic lattice is
not bipartite, so a checkerboard update would be wrong there).
"""

import numpy as np
from numba import njit

from boltzmann_lab.kernels.rng import seed_states

RULE_METROPOLIS = 0
RULE_HEATBATH = 1

_MUL = np.uint32(0x9E3779BB)   # xoroshiro64* output multiplier (Blackman & Vigna)
_ONE31 = 2 ** 31               # probability 1 as a threshold on 31-bit draws


# --------------------------------------------------------------------------- set-up (Python)
def seed_lanes(n_lanes, seed):
    """Return xoroshiro64* states, shape (2, n_lanes) uint32, derived from ``seed``.

    ``seed``: int, None or ``numpy.random.Generator`` (advanced).  Each lane gets 64 random bits
    from :func:`boltzmann_lab.kernels.rng.seed_states`, which are never all zero (the generator's only
    forbidden state).
    """
    s64 = seed_states(n_lanes, seed)
    return np.ascontiguousarray(s64.view(np.uint32).reshape(n_lanes, 2).T)


def _threshold(p):
    return np.uint32(min(_ONE31, max(0, int(round(float(p) * _ONE31)))))


def metropolis_table(beta, J=1.0, H=0.0):
    """Flip thresholds for the Metropolis rule (see module docstring), shape (10,) uint32."""
    tab = np.zeros(10, np.uint32)
    for a, u in enumerate((-4, -2, 0, 2, 4)):          # u = s * (sum of neighbours)
        for b, s in enumerate((-1, 1)):
            dE = 2.0 * (J * u + H * s)                 # energy change of flipping s
            tab[2 * a + b] = _threshold(1.0 if beta * dE <= 0 else np.exp(-beta * dE))
    return tab


def heatbath_table(beta, J=1.0, H=0.0):
    """Thresholds of P(new spin = +1 | neighbour sum n) for the heat-bath rule, shape (5,) uint32."""
    tab = np.zeros(5, np.uint32)
    for a, n in enumerate((-4, -2, 0, 2, 4)):
        x = 2.0 * beta * (J * n + H)
        # 1 / (1 + e^-x), written to avoid overflow for large |x|
        p = 1.0 / (1.0 + np.exp(-x)) if x >= 0 else np.exp(x) / (1.0 + np.exp(x))
        tab[a] = _threshold(p)
    return tab


# --------------------------------------------------------------------------- layout
@njit(nogil=True, cache=True)
def pack(spins, P):
    """Row-major spins (L, L) -> checkerboard layout P (2, L, L/2) (see module docstring)."""
    L = spins.shape[0]
    W = L // 2
    for i in range(L):
        for c in range(2):
            o = (i + c) & 1
            for k in range(W):
                P[c, i, k] = spins[i, 2 * k + o]


@njit(nogil=True, cache=True)
def unpack(P, spins):
    """Checkerboard layout P (2, L, L/2) -> row-major spins (L, L)."""
    L = spins.shape[0]
    W = L // 2
    for i in range(L):
        for c in range(2):
            o = (i + c) & 1
            for k in range(W):
                spins[i, 2 * k + o] = P[c, i, k]


# --------------------------------------------------------------------------- row kernels
@njit(nogil=True, cache=True, inline="always")
def _draw31(s0, s1, k):
    """Advance lane k (xoroshiro64*) and return its top 31 output bits."""
    x0 = s0[k]
    x1 = s1[k]
    r = np.uint32(x0 * _MUL) >> np.uint32(1)
    x1 = x1 ^ x0
    s0[k] = np.uint32((x0 << np.uint32(26)) | (x0 >> np.uint32(6))) ^ x1 ^ np.uint32(x1 << np.uint32(9))
    s1[k] = np.uint32((x1 << np.uint32(13)) | (x1 >> np.uint32(19)))
    return r


@njit(nogil=True, cache=True, fastmath=True, inline="always")
def _neighbour_sum(nb, up, dn, row, o):
    """nb[k] = sum of the 4 neighbours of site k of a colour row; ``row`` is the other colour's
    row, ``o`` the column offset of this colour in this row (0: left/right are row[k-1], row[k])."""
    W = nb.shape[0]
    for k in range(W):
        nb[k] = up[k] + dn[k] + row[k]
    if o == 0:
        for k in range(1, W):
            nb[k] += row[k - 1]
        nb[0] += row[W - 1]          # periodic wrap: left of column 0 is column L-1
    else:
        for k in range(W - 1):
            nb[k] += row[k + 1]
        nb[W - 1] += row[0]          # periodic wrap: right of column L-1 is column 0


@njit(nogil=True, cache=True, fastmath=True, inline="always")
def _row_metropolis_nofield(a, nb, s0, s1, g, t2, t4):
    """Metropolis on one colour row when H = 0.  With v = g*s*n (g = sign of J) the move costs
    dE = 2|J|v, so it is always accepted for v <= 0 and otherwise with threshold t2 (v = 2) or
    t4 (v = 4).  Returns (sum of new_s * n, sum of new_s)."""
    bond = 0
    mag = 0
    for k in range(a.shape[0]):
        r = _draw31(s0, s1, k)
        s = a[k]
        u = np.int8(s * nb[k])
        v = np.int8(g * u)
        # arithmetic select of the threshold (compiles to vector blends, no branch)
        flip = (v <= 0) | (r < (t4 if v == 4 else t2))
        new = np.int8(-s) if flip else s
        a[k] = new
        bond += np.int32(-u if flip else u)
        mag += np.int32(new)
    return bond, mag


@njit(nogil=True, cache=True, fastmath=True, inline="always")
def _row_metropolis_field(a, nb, s0, s1, tab):
    """Metropolis on one colour row, general H: threshold depends on u = s*n and on s."""
    bond = 0
    mag = 0
    for k in range(a.shape[0]):
        r = _draw31(s0, s1, k)
        s = a[k]
        u = np.int8(s * nb[k])
        up = s > 0
        tm4 = tab[1] if up else tab[0]
        tm2 = tab[3] if up else tab[2]
        t0 = tab[5] if up else tab[4]
        t2 = tab[7] if up else tab[6]
        t4 = tab[9] if up else tab[8]
        t = t4 if u == 4 else (t2 if u == 2 else (t0 if u == 0 else (tm2 if u == -2 else tm4)))
        flip = r < t
        new = np.int8(-s) if flip else s
        a[k] = new
        bond += np.int32(-u if flip else u)
        mag += np.int32(new)
    return bond, mag


@njit(nogil=True, cache=True, fastmath=True, inline="always")
def _row_heatbath(a, nb, s0, s1, tab):
    """Heat-bath on one colour row: new spin = +1 with probability tab[(n+4)/2] / 2^31."""
    tm4 = tab[0]
    tm2 = tab[1]
    t0 = tab[2]
    t2 = tab[3]
    t4 = tab[4]
    bond = 0
    mag = 0
    for k in range(a.shape[0]):
        r = _draw31(s0, s1, k)
        n = nb[k]
        t = t4 if n == 4 else (t2 if n == 2 else (t0 if n == 0 else (tm2 if n == -2 else tm4)))
        new = np.int8(1) if r < t else np.int8(-1)
        a[k] = new
        bond += np.int32(new * n)
        mag += np.int32(new)
    return bond, mag


@njit(nogil=True, cache=True, fastmath=True, inline="always")
def _row_heatbath_nofield(a, nb, s0, s1, t0, t2, t4):
    """Heat-bath when H = 0, using P(+1 | -n) = 1 - P(+1 | n): draw c = [r < t(|n|)] and set
    new = +1 iff c == (n >= 0) — fewer selects than the 5-entry table, same distribution
    (P(r >= t) = 1 - t/2^31 exactly)."""
    bond = 0
    mag = 0
    for k in range(a.shape[0]):
        r = _draw31(s0, s1, k)
        n = nb[k]
        an = np.int8(-n) if n < 0 else n
        c = r < (t4 if an == 4 else (t2 if an == 2 else t0))
        new = np.int8(1) if c == (n >= 0) else np.int8(-1)
        a[k] = new
        bond += np.int32(new * n)
        mag += np.int32(new)
    return bond, mag


@njit(nogil=True, cache=True)
def _half_sweep(P, c, states, rule, field, antiferro, tab, nb):
    """Update every site of colour c; return (sum over those sites of new_s * neighbour sum,
    sum of their new spins)."""
    L = P.shape[1]
    s0 = states[0]
    s1 = states[1]
    bond = 0
    mag = 0
    for i in range(L):
        o = (i + c) & 1
        _neighbour_sum(nb, P[1 - c, i - 1 if i > 0 else L - 1],
                       P[1 - c, i + 1 if i < L - 1 else 0], P[1 - c, i], o)
        if rule == RULE_HEATBATH:
            if field:
                bb, mm = _row_heatbath(P[c, i], nb, s0, s1, tab)
            else:
                bb, mm = _row_heatbath_nofield(P[c, i], nb, s0, s1, tab[2], tab[3], tab[4])
        elif field:
            bb, mm = _row_metropolis_field(P[c, i], nb, s0, s1, tab)
        elif antiferro:
            # v = -u: v = 2 is u = -2 (tab[2]), v = 4 is u = -4 (tab[0])
            bb, mm = _row_metropolis_nofield(P[c, i], nb, s0, s1, np.int8(-1), tab[2], tab[0])
        else:
            bb, mm = _row_metropolis_nofield(P[c, i], nb, s0, s1, np.int8(1), tab[6], tab[8])
        bond += bb
        mag += mm
    return bond, mag


@njit(nogil=True, cache=True)
def checkerboard_sweeps(spins, states, n_sweeps, rule, tab, J, H, energy, magnetization):
    """Run ``n_sweeps`` checkerboard sweeps (black then white sites) in place.

    spins : (L, L) int8 ±1, L even, modified in place.
    states : (2, L/2) uint32 lane RNG states (:func:`seed_lanes`), advanced in place.
    rule : RULE_METROPOLIS or RULE_HEATBATH; tab : the matching table for (beta, J, H).
    J, H : coupling and field (only used to turn bond sums into energies; the physics is in tab).
    energy, magnetization : float64 arrays of length >= n_sweeps, filled with E/N and M/N after
        each sweep.  The energy costs nothing extra: after the white half-sweep every bond joins
        a white site to a black one, so sum_bonds s_i s_j = sum_white s_w * (neighbour sum).
    """
    L = spins.shape[0]
    W = L // 2
    N = L * L
    P = np.empty((2, L, W), np.int8)
    pack(spins, P)
    nb = np.empty(W, np.int8)
    field = H != 0.0
    antiferro = J < 0.0
    for t in range(n_sweeps):
        b0, m0 = _half_sweep(P, 0, states, rule, field, antiferro, tab, nb)
        b1, m1 = _half_sweep(P, 1, states, rule, field, antiferro, tab, nb)
        M = m0 + m1
        energy[t] = (-J * b1 - H * M) / N
        magnetization[t] = M / N
    unpack(P, spins)


@njit(nogil=True, cache=True)
def bond_and_magnetization(spins):
    """Return (sum over bonds of s_i s_j, sum of s_i) of a row-major periodic (L, L) lattice;
    any L >= 2 (for L = 2 each pair is joined by two bonds, as the periodic lattice says)."""
    L = spins.shape[0]
    bond = 0
    mag = 0
    for i in range(L):
        dn = spins[i + 1 if i < L - 1 else 0]
        row = spins[i]
        for j in range(L - 1):
            bond += np.int32(row[j]) * (np.int32(row[j + 1]) + np.int32(dn[j]))
            mag += np.int32(row[j])
        j = L - 1
        bond += np.int32(row[j]) * (np.int32(row[0]) + np.int32(dn[j]))
        mag += np.int32(row[j])
    return bond, mag
