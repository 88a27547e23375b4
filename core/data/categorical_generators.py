"""Generators of categorical data (convention ``categorical``), offline and seeded; the true
parameters go into ``meta`` so learning can be checked against them.

=================  ==========================================================================
generator          what
=================  ==========================================================================
``potts``          exact, independent samples of a random Potts model (h ~ N(0, field²),
                   J_ij(a, b) ~ N(0, coupling²/n)), by enumeration (q^n ≤ 2^20)
``potts_lattice``  configurations of the 2D q-state Potts model (L x L, heat bath), T_c = 1/ln(1+√q)
``protein_family`` a synthetic "protein family": n sites, 21 states (protein alphabet),
                   conserved and variable sites, couplings only on planted contacts arranged
                   like β-sheet ladders; samples by long independent Gibbs chains
=================  ==========================================================================

Expensive draws are cached on disk (:mod:`boltzmann_lab.data.cache`).
"""

from __future__ import annotations

import numpy as np

from boltzmann_lab.data.cache import cached
from boltzmann_lab.data.loaders import LoadError, RawData


def random_potts(n, q, coupling=1.0, field=0.5, seed=0):
    """A random Potts model: h_i(a) ~ N(0, field²); J_ij(a, b) ~ N(0, coupling²/n) for i < j,
    J_ji = J_ijᵀ, zero diagonal blocks.  Returns ``(h (n, q), J (n, n, q, q))``."""
    rng = np.random.default_rng(seed)
    h = rng.normal(0.0, field, size=(n, q))
    J = rng.normal(0.0, coupling / np.sqrt(n), size=(n, n, q, q))
    J = np.triu(np.ones((n, n)), 1)[:, :, None, None] * J
    J = J + J.transpose(1, 0, 3, 2)
    return h, J


def potts(n: int = 5, q: int = 3, coupling: float = 1.0, field: float = 0.5,
          samples: int = 10000, seed: int = 0) -> RawData:
    """Exact samples of :func:`random_potts` (model seeded by ``seed``, samples by ``seed + 1``);
    ``meta`` holds ``h_true``, ``J_true``."""
    from boltzmann_lab.exact.potts import feasible, sample_exact
    if not feasible(n, q, 1 << 20):
        raise LoadError(f"potts generator: q^n = {q}^{n} is too many states to sample exactly "
                        f"(at most 2^20); lower n or q.")
    h, J = random_potts(n, q, coupling, field, seed)
    x = sample_exact(h, J, samples, np.random.default_rng([seed, 1]))
    meta = {"generator": "potts", "n": n, "q": q, "states": q, "h_true": h, "J_true": J}
    return RawData(x.astype(np.float64), name=f"Potts n={n} q={q} (exact samples)",
                   convention="categorical", meta=meta)


def potts_lattice(L: int = 16, q: int = 3, temperature: float = 1.0, samples: int = 1000,
                  thin: int = 10, algorithm: str = "heatbath", seed: int = 0) -> RawData:
    """2D q-state Potts configurations (J = 1, periodic), one chain: burn-in 100 + 20 L sweeps,
    then one configuration every ``thin`` sweeps.  Cached."""
    from boltzmann_lab.models.potts_lattice import critical_temperature, sample_configurations

    def compute():
        return {"x": sample_configurations(L, q, temperature, samples, seed, thin=thin,
                                           algorithm=algorithm)}

    params = {"L": L, "q": q, "temperature": temperature, "samples": samples, "thin": thin,
              "algorithm": algorithm, "seed": seed}
    x = cached("potts_lattice", params, compute)["x"].astype(np.float64)
    Tc = critical_temperature(q)
    meta = {"generator": "potts_lattice", "L": L, "q": q, "states": q, "temperature": temperature,
            "T_c": Tc, "alphabet": "".join("0123456789abcdefghijklmnopqrstuvwxyz"[:q])
            if q <= 36 else None}
    if meta["alphabet"] is None:
        del meta["alphabet"]
    return RawData(x, name=f"Potts lattice L={L} q={q} T={temperature:g}", image_shape=(L, L),
                   convention="categorical", meta=meta)


def planted_contacts(n, rng):
    """β-sheet-like ladders of contacts (i + k, j − k), k = 0..len−1 (len 3..5, j − i ≥ 2 len + 6),
    until about 0.8 n pairs, plus n/10 isolated long-range pairs (|i − j| ≥ 6); returns a sorted
    (K, 2) array of pairs i < j."""
    pairs = set()
    for _ in range(200):
        if len(pairs) >= 0.8 * n or n < 20:
            break
        length = int(rng.integers(3, 6))
        i = int(rng.integers(0, n - 2 * length - 6))
        j = int(rng.integers(i + 2 * length + 6, n))
        pairs.update((i + k, j - k) for k in range(length))
    for _ in range(max(2, n // 10)):
        i, j = sorted(int(v) for v in rng.choice(n, size=2, replace=False))
        if j - i >= 6 or n < 8:
            pairs.add((i, j))
    return np.array(sorted(pairs), dtype=np.int64).reshape(-1, 2)


def protein_family_model(n=40, strength=1.0, seed=0):
    """The planted model of :func:`protein_family`: ``(h, J, contacts)`` with q = 21.

    Fields: per site a profile p ~ Dirichlet(0.3) over the 20 amino acids, mixed with 5 % uniform,
    and a gap frequency of 3 %; h_i(a) = log p_i(a).  Couplings: on each planted contact
    J_ij(a, b) = strength · G(a, b), G with N(0, 1) entries; zero elsewhere.
    """
    rng = np.random.default_rng(seed)
    q = 21
    h = np.empty((n, q))
    for i in range(n):
        p = 0.95 * rng.dirichlet(np.full(20, 0.3)) + 0.05 / 20
        h[i, 1:] = np.log(0.97 * p)
        h[i, 0] = np.log(0.03)
    contacts = planted_contacts(n, rng)
    J = np.zeros((n, n, q, q))
    for i, j in contacts:
        G = rng.normal(0.0, 1.0, size=(q, q))
        J[i, j] = strength * G
        J[j, i] = strength * G.T
    return h, J, contacts


def protein_family(n: int = 40, samples: int = 3000, strength: float = 1.0,
                   sweeps: int = 50, seed: int = 0) -> RawData:
    """Sequences of :func:`protein_family_model`: ``samples`` independent Gibbs chains started
    uniformly and run ``sweeps`` sweeps each (one sequence per chain).  The chains mix fast: for
    n = 40, strength 0.6 the connected two-site frequencies on the contacts after 10 sweeps agree
    with 600-sweep chains to within sampling noise.  Cached.  ``meta`` holds the ``contacts``,
    ``h_true``, ``J_true`` and the protein ``alphabet``."""
    from boltzmann_lab.models.potts import PottsSampler
    h, J, contacts = protein_family_model(n, strength, seed)

    def compute():
        s = PottsSampler(n, 21, samples, np.random.default_rng([seed, 1]))
        s.run(h, J, sweeps=sweeps)
        return {"x": s.states.astype(np.int8)}

    params = {"n": n, "samples": samples, "strength": strength, "sweeps": sweeps, "seed": seed}
    x = cached("protein_family", params, compute)["x"].astype(np.float64)
    meta = {"generator": "protein_family", "states": 21, "alphabet": "-ACDEFGHIKLMNPQRSTVWY",
            "contacts": contacts, "h_true": h, "J_true": J}
    return RawData(x, name=f"synthetic protein family n={n} ({len(contacts)} contacts)",
                   convention="categorical", meta=meta)


GENERATORS = {"potts": potts, "potts_lattice": potts_lattice, "protein_family": protein_family}
