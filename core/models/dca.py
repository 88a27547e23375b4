"""Direct-coupling analysis of Potts models: the zero-sum gauge, coupling scores with the
average-product correction, ranked contact lists, contact precision, and gauge-invariant errors.

Gauge.  The Potts energy (:mod:`boltzmann_lab.models.potts`) is unchanged, up to a constant, by
J_ij(a, b) → J_ij(a, b) + u_ij(b) + v_ij(a) compensated in the fields; h_i(a) → h_i(a) + c_i
only shifts log Z.  The **zero-sum (Ising) gauge** picks the representative with

    Σ_a h_i(a) = 0,   Σ_a J_ij(a, b) = Σ_b J_ij(a, b) = 0,

obtained from any (h, J) by (· = mean over that state index)

    J'_ij(a, b) = J_ij(a, b) − J_ij(·, b) − J_ij(a, ·) + J_ij(·, ·),
    h'_i(a)     = h_i(a) − h_i(·) + Σ_{j≠i} [J_ij(a, ·) − J_ij(·, ·)].

It minimises the Frobenius norm of every J_ij block among equivalent couplings, which is why
contact scores and coupling errors are computed in it (Ekeberg et al., PRE 87, 012707 (2013)).

Scores.  F_ij = ‖J'_ij‖_F (optionally leaving out one state, e.g. the alignment gap), then the
average-product correction (APC, Dunn et al. 2008):  F^APC_ij = F_ij − F_i· F_·j / F_··, with F_i·
the mean of row i over j ≠ i and F_·· the mean over all pairs i ≠ j.
"""

from __future__ import annotations

import numpy as np


def zero_sum_gauge(h, J):
    """(h', J') in the zero-sum gauge: the same distribution (see the module docstring)."""
    h = np.asarray(h, dtype=np.float64)
    J = np.asarray(J, dtype=np.float64)
    row = J.mean(axis=3, keepdims=True)            # J_ij(a, ·)
    col = J.mean(axis=2, keepdims=True)            # J_ij(·, b)
    both = J.mean(axis=(2, 3), keepdims=True)      # J_ij(·, ·)
    Jz = J - row - col + both
    hz = h - h.mean(axis=1, keepdims=True) + (row - both)[..., 0].sum(axis=1)
    # the diagonal blocks of J are zero, so they add nothing to the sum above
    return hz, Jz


def frobenius_scores(J, ignore_state=None) -> np.ndarray:
    """F_ij = ‖J'_ij‖_F in the zero-sum gauge, (n, n) symmetric with a zero diagonal.
    ``ignore_state`` (an index, e.g. the gap) is left out of the norm after gauging."""
    _, Jz = zero_sum_gauge(np.zeros(np.shape(J)[::2]), J)
    if ignore_state is not None:
        keep = np.ones(Jz.shape[2], bool)
        keep[int(ignore_state)] = False
        Jz = Jz[:, :, keep][:, :, :, keep]
    F = np.sqrt((Jz ** 2).sum(axis=(2, 3)))
    np.fill_diagonal(F, 0.0)
    return F


def apc(F) -> np.ndarray:
    """Average-product correction F_ij − F_i· F_·j / F_·· (means over j ≠ i), zero diagonal."""
    F = np.asarray(F, dtype=np.float64)
    n = F.shape[0]
    if n < 3:
        return F.copy()
    off = ~np.eye(n, dtype=bool)
    row = (F * off).sum(axis=1) / (n - 1)
    mean = F[off].mean()
    out = F - np.outer(row, row) / mean if mean > 0 else F.copy()
    np.fill_diagonal(out, 0.0)
    return out


def coupling_scores(J, use_apc=True, ignore_state=None) -> np.ndarray:
    """Contact scores: Frobenius norms in the zero-sum gauge, with APC unless ``use_apc=False``."""
    F = frobenius_scores(J, ignore_state)
    return apc(F) if use_apc else F


def ranked_pairs(scores, min_separation=1, top=None):
    """Pairs (i, j), i < j with j − i ≥ ``min_separation``, sorted by decreasing score; returns a
    list of ``(i, j, score)`` (the first ``top`` when given).  Ties keep (i, j) order."""
    S = np.asarray(scores)
    iu, ju = np.triu_indices(S.shape[0], max(1, int(min_separation)))
    order = np.argsort(-S[iu, ju], kind="stable")
    if top is not None:
        order = order[:int(top)]
    return [(int(iu[k]), int(ju[k]), float(S[iu[k], ju[k]])) for k in order]


def contact_precision(scores, contacts, top=None, min_separation=1) -> float:
    """Fraction of true ``contacts`` (an (n, n) boolean matrix or a list of pairs) among the
    ``top`` highest-scoring pairs (default: as many as there are true contacts)."""
    n = np.shape(scores)[0]
    C = contact_matrix(contacts, n)
    k = int(np.triu(C, max(1, int(min_separation))).sum()) if top is None else int(top)
    if k == 0:
        return float("nan")
    ranked = ranked_pairs(scores, min_separation, k)
    return float(np.mean([C[i, j] for i, j, _ in ranked]))


def contact_matrix(contacts, n) -> np.ndarray:
    """(n, n) symmetric boolean matrix from a boolean matrix or a (K, 2) list of index pairs."""
    C = np.asarray(contacts)
    if C.shape == (n, n) and C.dtype == bool:
        out = C | C.T
    else:
        C = np.asarray(contacts, dtype=np.int64).reshape(-1, 2)
        if C.size and (C.min() < 0 or C.max() >= n):
            raise ValueError(f"contact indices must lie in 0..{n - 1}")
        out = np.zeros((n, n), bool)
        out[C[:, 0], C[:, 1]] = True
        out |= out.T
    np.fill_diagonal(out, False)
    return out


def coupling_error(J_fit, J_true, mask=None) -> float:
    """Gauge-invariant relative coupling error γ = ‖J'_fit − J'_true‖_F / ‖J'_true‖_F over the
    blocks i < j (in ``mask`` when given), both in the zero-sum gauge."""
    n = np.shape(J_true)[0]
    q = np.shape(J_true)[2]
    _, A = zero_sum_gauge(np.zeros((n, q)), J_fit)
    _, B = zero_sum_gauge(np.zeros((n, q)), J_true)
    iu, ju = np.triu_indices(n, 1)
    if mask is not None:
        keep = np.asarray(mask, bool)[iu, ju]
        iu, ju = iu[keep], ju[keep]
    ref = np.linalg.norm(B[iu, ju])
    if ref == 0:
        raise ValueError("coupling_error is relative to the true couplings, which are all zero")
    return float(np.linalg.norm(A[iu, ju] - B[iu, ju]) / ref)
