"""Fully connected pairwise spin models: energy, the ``maxent`` model class and the MCMC sampler.

Convention (both ``binary`` {0,1} and ``spin`` {-1,+1} units):

    E(x) = -sum_i h_i x_i - sum_{i<j} J_ij x_i x_j + V[K(x)],      p(x) = exp(-E(x)) / Z,

with J symmetric and zero on the diagonal, and an optional population potential V of shape (n+1,)
evaluated at K(x) = number of "on" units (x_i = 1 or s_i = +1).
"""

import numpy as np

from core.conventions import CONVENTIONS, check_convention


def check_params(h, J, V=None):
    """Validate and return float64 ``(h (n,), J (n, n), V (n+1,) or None)``.

    J must be square, symmetric (to 1e-10 relative) and zero on the diagonal; it is returned exactly
    symmetrised.  All entries must be finite.
    """
    h = np.asarray(h, dtype=np.float64)
    J = np.asarray(J, dtype=np.float64)
    if h.ndim != 1:
        raise ValueError(f"fields h must be a 1-D array, got shape {h.shape}")
    n = h.shape[0]
    if n < 1:
        raise ValueError("a pairwise model needs at least one unit (h is empty)")
    if J.shape != (n, n):
        raise ValueError(f"couplings J must have shape ({n}, {n}) to match h, got {J.shape}")
    if not (np.all(np.isfinite(h)) and np.all(np.isfinite(J))):
        raise ValueError("fields h and couplings J must be finite (found NaN or inf)")
    scale = max(1.0, float(np.abs(J).max()))
    if np.abs(J - J.T).max() > 1e-10 * scale:
        raise ValueError("couplings J must be symmetric (J[i, j] == J[j, i])")
    if np.any(np.diag(J) != 0):
        raise ValueError("couplings J must have a zero diagonal (self-couplings are fields, put them in h)")
    J = 0.5 * (J + J.T)
    if V is not None:
        V = np.asarray(V, dtype=np.float64)
        if V.shape != (n + 1,):
            raise ValueError(f"population potential V must have shape ({n + 1},) for n = {n} units, "
                             f"got {V.shape}")
        if not np.all(np.isfinite(V)):
            raise ValueError("population potential V must be finite (found NaN or inf)")
    return h, J, V


def check_data(x, n, convention):
    """Return ``x`` as a (M, n) float64 array after checking its values fit ``convention``."""
    check_convention(convention, CONVENTIONS)
    x = np.asarray(x, dtype=np.float64)
    if x.ndim == 1:
        x = x[None, :]
    if x.ndim != 2 or x.shape[1] != n:
        raise ValueError(f"data must have shape (M, {n}), got {np.shape(x)}")
    allowed = (0.0, 1.0) if convention == "binary" else (-1.0, 1.0)
    if not np.all((x == allowed[0]) | (x == allowed[1])):
        raise ValueError(f"data in the {convention} convention may only hold {allowed[0]:g} and "
                         f"{allowed[1]:g}")
    return x


def energy(x, h, J, V=None):
    """E(x) = -h.x - sum_{i<j} J_ij x_i x_j + V[K(x)] for each row of x; returns (M,) float64.

    x: (M, n) or (n,) in either convention; K(x) counts units with x_i > 0, which is the "on"
    state in both conventions (1 or +1).  J symmetric with zero diagonal, V (n+1,) or None.
    """
    h, J, V = check_params(h, J, V)
    x = np.asarray(x, dtype=np.float64)
    x2 = x[None, :] if x.ndim == 1 else x
    e = -(x2 @ h) - 0.5 * np.einsum("mi,mi->m", x2 @ J, x2)
    if V is not None:
        e += V[(x2 > 0).sum(axis=1)]
    return e
