"""Unit conventions and exact conversion of pairwise models between them.

``binary`` units take values in {0, 1}, ``spin`` units in {-1, +1}; the map is s = 2x - 1.
For the pairwise energy E(x) = -sum_i h_i x_i - sum_{i<j} J_ij x_i x_j, substituting
x = (s + 1)/2 gives (dropping a constant, which only changes log Z):

    J^spin = J^binary / 4,      h^spin_i = h^binary_i / 2 + sum_j J^binary_ij / 4

and conversely J^binary = 4 J^spin, h^binary_i = 2 h^spin_i - 2 sum_j J^spin_ij.  An extra
potential V(K) of the population count K = number of "on" units (x_i = 1, s_i = +1) is the same
function in both conventions.  ``log_z_shift`` returns the constant so that log Z converts exactly.
"""

import numpy as np

CONVENTIONS = ("binary", "spin")
ALL_CONVENTIONS = ("binary", "spin", "real")


def check_convention(name, allowed=ALL_CONVENTIONS):
    if name not in allowed:
        raise ValueError(f"unknown convention {name!r}; choose one of {', '.join(allowed)}")
    return name


def to_spin(x):
    """{0,1} -> {-1,+1}."""
    return 2 * np.asarray(x) - 1


def to_binary(s):
    """{-1,+1} -> {0,1}."""
    return (np.asarray(s) + 1) // 2 if np.asarray(s).dtype.kind in "iu" else (np.asarray(s) + 1) / 2


def convert_data(x, source, target):
    """Convert samples between ``binary`` and ``spin`` (identity when equal)."""
    check_convention(source, CONVENTIONS)
    check_convention(target, CONVENTIONS)
    if source == target:
        return np.asarray(x)
    return to_spin(x) if target == "spin" else to_binary(x)


def pairwise_binary_to_spin(h, J):
    """Fields and couplings of the same distribution in the spin convention.

    Returns ``(h_s, J_s, c)`` with E_binary(x) = E_spin(2x-1) + c, so log Z_binary = log Z_spin - c.
    """
    h = np.asarray(h, dtype=np.float64)
    J = np.asarray(J, dtype=np.float64)
    J_s = J / 4.0
    h_s = h / 2.0 + J.sum(axis=1) / 4.0
    c = -h.sum() / 2.0 - np.triu(J, 1).sum() / 4.0
    return h_s, J_s, c


def pairwise_spin_to_binary(h, J):
    """Inverse of :func:`pairwise_binary_to_spin`; returns ``(h_b, J_b, c)`` with
    E_spin(s) = E_binary((s+1)/2) + c."""
    h = np.asarray(h, dtype=np.float64)
    J = np.asarray(J, dtype=np.float64)
    J_b = 4.0 * J
    h_b = 2.0 * h - 2.0 * J.sum(axis=1)
    # E_spin(s) = -h.s - sum_{i<j} J s_i s_j ; with s = 2x-1 the constant is +h.sum() - sum_{i<j} J_ij
    c = h.sum() - np.triu(J, 1).sum()
    return h_b, J_b, c
