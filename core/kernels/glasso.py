"""One sweep of the graphical lasso (Friedman, Hastie & Tibshirani 2008; HTF Algorithm 17.2),
restricted to a pair mask.

For each unit j the block update solves the lasso problem

    minimise_β  ½ βᵀ W₁₁ β − βᵀ s₁₂ + ρ Σ_k |β_k|,     β_k = 0 for k outside the mask of j,

by cyclic coordinate descent (β_k ← soft(s₁₂,k − Σ_{l≠k} W₁₁,kl β_l, ρ) / W₁₁,kk), then sets
w₁₂ = W₁₁ β.  W₁₁ is W without row and column j (here: W with β_j = 0 and the j-th row skipped).
At a fixed point W = Θ⁻¹ solves −log det Θ + tr(SΘ) + ρ Σ_{i≠j} |Θ_ij| (the penalty counts
both triangles, as :func:`sklearn.covariance.graphical_lasso` does), with Θ_ij = 0 off the mask.
Deterministic; works in place on ``W`` and ``B``.
"""

from numba import njit


@njit(nogil=True, cache=True)
def glasso_sweep(W, S, mask, rho, B, tol, max_inner):
    """Update every column of the covariance ``W`` (n, n) in place; ``B`` (n, n) holds column j's
    coefficients β (warm start, updated in place).  ``mask`` (n, n) bool, diagonal ignored.
    Returns the largest change of an entry of W."""
    n = W.shape[0]
    change = 0.0
    for j in range(n):
        beta = B[:, j]
        beta[j] = 0.0
        for _ in range(max_inner):
            delta = 0.0
            for k in range(n):
                if k == j:
                    continue
                if not mask[j, k]:
                    beta[k] = 0.0
                    continue
                r = S[k, j]
                for l in range(n):
                    if l != j and l != k:
                        r -= W[k, l] * beta[l]
                if r > rho:
                    new = (r - rho) / W[k, k]
                elif r < -rho:
                    new = (r + rho) / W[k, k]
                else:
                    new = 0.0
                d = abs(new - beta[k])
                if d > delta:
                    delta = d
                beta[k] = new
            if delta < tol:
                break
        for i in range(n):
            if i == j:
                continue
            w = 0.0
            for l in range(n):
                if l != j:
                    w += W[i, l] * beta[l]
            d = abs(w - W[i, j])
            if d > change:
                change = d
            W[i, j] = w
            W[j, i] = w
    return change
