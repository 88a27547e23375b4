"""The 2D q-state Potts model on a periodic square lattice: simulation and exact references.

    E(s) = −J Σ_⟨ij⟩ δ(s_i, s_j),   s_i ∈ {0..q−1},   p(s) ∝ e^{−E/T}   (k_B = 1, bonds once).

Exact facts used as references (Baxter, *Exactly Solved Models*, ch. 12; Wu, RMP 54, 235 (1982)):

* T_c = J / ln(1 + √q) (self-duality); the transition is continuous for q ≤ 4, first order for
  q > 4; at T_c (q ≤ 4) the energy per site is u_c = −J (1 + 1/√q).
* q = 2 is the Ising model with J_Ising = J/2 (δ(s, s') = (1 + σσ')/2):
  u_Potts(T) = −J + (J/2) u_Ising(2T/J), u_Ising the unit-coupling Onsager energy per spin.
* High temperature: e^{βJδ} = (1 + w)(1 + t (qδ − 1)) with w = (e^{βJ} − 1)/q and
  t = (e^{βJ} − 1)/(e^{βJ} + q − 1); since (qδ − 1) averages to zero over one spin, only subgraphs
  without dangling ends survive and a polygon of length ℓ contributes (q − 1) t^ℓ:
  ln Z / N = ln q + 2 ln(1 + w) + (q − 1)(t⁴ + 2 t⁶) + O(t⁷)  (one square and two 1 x 2
  rectangles per site; the first graph with a vertex of degree 3 has 7 edges and vanishes for
  q = 2).
* Low temperature (x = e^{−βJ}): ln Z / N = 2βJ + (q − 1) x⁴ + 2 (q − 1) x⁶
  + 2 (q − 1)(q − 2) x⁷ + O(x⁸), from single changed sites (4 broken bonds) and changed
  nearest-neighbour pairs in one state (6 broken bonds) or in two different states (7).

Public names: :func:`critical_temperature`, :func:`critical_energy`, :func:`high_t_energy`,
:func:`low_t_energy`, :func:`ising_energy`, :class:`PottsLattice`, :func:`sample_configurations`.
"""

from __future__ import annotations

import math

import numpy as np


def critical_temperature(q, J=1.0) -> float:
    """T_c = J / ln(1 + √q)."""
    return J / math.log(1.0 + math.sqrt(q))


def critical_energy(q, J=1.0) -> float:
    """Energy per site at T_c for q ≤ 4 (continuous transition): −J (1 + 1/√q)."""
    return -J * (1.0 + 1.0 / math.sqrt(q))


def high_t_energy(T, q, J=1.0) -> float:
    """u = −∂(ln Z/N)/∂β from the high-temperature expansion to O(t⁶) (module docstring); the
    neglected terms are O(t⁶ dt/dβ) in u."""
    b = J / T
    e = math.exp(b)
    first = 2.0 * J * e / (e + q - 1.0)
    t = (e - 1.0) / (e + q - 1.0)
    dt = J * e * q / (e + q - 1.0) ** 2
    return -(first + (q - 1.0) * (4.0 * t ** 3 + 12.0 * t ** 5) * dt)


def low_t_energy(T, q, J=1.0) -> float:
    """u from the low-temperature expansion to O(x⁷), x = e^{−βJ} (module docstring); the next
    terms are O(x⁸)."""
    x = math.exp(-J / T)
    return -2.0 * J + J * (q - 1) * (4 * x ** 4 + 12 * x ** 6 + 14 * (q - 2) * x ** 7)


def ising_energy(T, J=1.0, L=None) -> float:
    """Exact energy per site of the q = 2 Potts model through the Ising mapping (Onsager, or
    Kaufman's exact finite-L value when ``L`` is given)."""
    from boltzmann_lab.exact import onsager
    u_ising = (onsager.energy_per_spin(2.0 * T / J) if L is None
               else onsager.finite_energy_per_spin(L, 2.0 * T / J))
    return J * (-1.0 + 0.5 * u_ising)


class PottsLattice:
    """A periodic L x L q-state Potts lattice simulated by heat-bath or Metropolis sweeps.

    ``PottsLattice(L, q, temperature, seed, J=1.0, algorithm="heatbath", start="random")``;
    ``start`` = ``random`` (uniform states) or ``ordered`` (all 0).  ``run(n)`` performs n sweeps
    and returns the energies per site and order parameters after each; ``spins`` is the (L, L)
    int8 state.  Random: the xorshift64* stream seeded by ``seed``.
    """

    def __init__(self, L, q, temperature, seed, J=1.0, algorithm="heatbath", start="random"):
        from boltzmann_lab.kernels.rng import seed_states
        if not (2 <= int(q) <= 127 and int(L) >= 2 and temperature > 0):
            raise ValueError(f"need L >= 2, 2 <= q <= 127 and T > 0; got L={L}, q={q}, "
                             f"T={temperature}")
        if algorithm not in ("heatbath", "metropolis"):
            raise ValueError(f"unknown algorithm {algorithm!r}; choose heatbath or metropolis")
        self.L, self.q, self.T, self.J = int(L), int(q), float(temperature), float(J)
        self.algorithm = algorithm
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        if start == "random":
            self.spins = rng.integers(0, self.q, size=(self.L, self.L)).astype(np.int8)
        elif start == "ordered":
            self.spins = np.zeros((self.L, self.L), np.int8)
        else:
            raise ValueError(f"unknown start {start!r}; choose random or ordered")
        self._rng = seed_states(1, rng)
        self._nb = np.zeros(self.q, np.int64)
        self._w = np.zeros(self.q)

    def run(self, n_sweeps):
        """``n_sweeps`` sweeps; returns ``(energy (n,), order (n,))`` per site after each."""
        from boltzmann_lab.kernels import potts_lattice as kern
        n = int(n_sweeps)
        e, m = np.empty(n), np.empty(n)
        rule = kern.HEATBATH if self.algorithm == "heatbath" else kern.METROPOLIS
        kern.sweeps(self.spins, self.q, 1.0 / self.T, self.J, rule, n, self._rng, e, m,
                    self._nb, self._w)
        return e, m


def sample_configurations(L, q, temperature, samples, seed, burn_in=None, thin=10,
                          algorithm="heatbath", J=1.0) -> np.ndarray:
    """``samples`` configurations (samples, L*L) int8 of one long chain: ``burn_in`` sweeps
    (default 100 + 20 L) from a random start, then one configuration every ``thin`` sweeps
    (correlated when ``thin`` is below the autocorrelation time, which grows near T_c)."""
    lat = PottsLattice(L, q, temperature, seed, J, algorithm)
    lat.run(100 + 20 * int(L) if burn_in is None else int(burn_in))
    out = np.empty((int(samples), int(L) * int(L)), np.int8)
    for k in range(int(samples)):
        lat.run(int(thin))
        out[k] = lat.spins.ravel()
    return out
