"""Naive mean-field inverse Ising: couplings from the inverse connected correlation matrix.

For a pairwise model E(x) = -sum_i h_i x_i - sum_{i<j} J_ij x_i x_j, naive mean-field theory gives
the self-consistency m_i = f(c h_i + c sum_j J_ij m_j) and, by linear response, for i != j

    J_ij = -(C^{-1})_ij,          C_ij = <x_i x_j> - <x_i><x_j>  (connected correlations),

in either convention when C is computed in that convention (C_binary = C_spin / 4 and
J_binary = 4 J_spin, so the two agree).  The fields follow from inverting the self-consistency:

    spin:    h_i = atanh(m_i) - sum_j J_ij m_j,
    binary:  h_i = logit(m_i) - sum_j J_ij m_j.

It is a fast but biased initialisation: it fails for strong couplings (REFERENCES.md: γ ≈ 0.2 for
SK at β = 1 even with 10^5 samples).  Nothing here is random.
"""

from __future__ import annotations

import numpy as np

from boltzmann_lab.data.conventions import check_convention

_CLIP = 1e-6   # keeps atanh/logit finite for units that never (or always) switch on
_RIDGE = 1e-6  # keeps C invertible when a unit has (almost) zero variance


def naive_mean_field(x, convention, mask=None, fields=True):
    """Naive mean-field estimates ``(h, J)`` from samples ``x`` (M, n).

    ``mask`` (n, n) boolean restricts the couplings (entries outside it are exactly 0; ``None``:
    all pairs).  The fields are computed from the restricted J so that the pair (h, J) is
    self-consistent; ``fields=False`` returns h = 0 exactly (means not constrained).
    """
    check_convention(convention, ("binary", "spin"))
    x = np.asarray(x, dtype=np.float64)
    n = x.shape[1]
    m = x.mean(axis=0)
    C = np.atleast_2d(np.cov(x, rowvar=False, bias=True))
    # relative ridge: scale-free, only matters for (near-)singular C
    C = C + _RIDGE * max(np.trace(C) / n, 1e-12) * np.eye(n)
    J = -np.linalg.inv(C)
    J = 0.5 * (J + J.T)
    np.fill_diagonal(J, 0.0)
    if mask is not None:
        J *= np.asarray(mask, dtype=bool)
    if not fields:
        return np.zeros(n), J
    if convention == "spin":
        mc = np.clip(m, -1 + _CLIP, 1 - _CLIP)
        h = np.arctanh(mc) - J @ mc
    else:
        mc = np.clip(m, _CLIP, 1 - _CLIP)
        h = np.log(mc) - np.log1p(-mc) - J @ mc
    return h, J
