"""Expectation–maximisation with the lower bound made explicit (Mehta et al. 2019, sec. 14, Fig. 59).

Notation (every quantity is *per sample*, in nats: sums over samples are divided by M).

* Data x_1..x_M, a discrete latent z in {0..K-1}, parameters θ.
* ``log_joint`` L (M, K): L_ik(θ) = log p(x_i, z = k | θ).
* Log-likelihood ℓ(θ) = (1/M) Σ_i log Σ_k exp L_ik(θ)   (log-sum-exp, never exp of L itself).
* Any posterior guess q (M, K), rows summing to one, gives the bound (the negative free energy)

      −F_q(θ) = (1/M) Σ_i Σ_k q_ik [L_ik(θ) − log q_ik] = E_q[log p(x, z | θ)] + H(q),

  and ℓ(θ) − (−F_q(θ)) = (1/M) Σ_i KL(q_i ‖ p(z | x_i, θ)) ≥ 0 (terms with q_ik = 0 count zero).
* E-step at θᵗ: q = p(z | x, θᵗ), so the bound touches ℓ at θᵗ.  M-step: θᵗ⁺¹ = argmax_θ −F_q(θ)
  (over the model's parameter domain).  Hence ℓ(θᵗ) = −F_q(θᵗ) ≤ −F_q(θᵗ⁺¹) ≤ ℓ(θᵗ⁺¹).
* MAP: with a prior p(θ) the objective is J(θ) = ℓ(θ) + log p(θ) / M and the bound
  −F_q(θ) + log p(θ) / M; the same chain holds for J.  Every ``objective``/``bound`` below includes the
  prior term; ``ll`` never does.

Posteriors are carried as ``log_q`` (log-responsibilities) so that responsibilities that underflow in
linear space (784-dimensional Bernoulli vectors give log-joint differences of thousands of nats) still
enter the bound exactly.

Compressed data: every function takes optional ``counts`` (M,) — the multiplicity of each row — so a
data set may be passed as its distinct rows; M is then ``counts.sum()``.

Models plug in through a small duck-typed protocol (``boltzmann_lab.learning.mixture_em.MixtureEM`` implements it):

* ``log_joint(x) -> (M, K)``; ``m_step(x, q, counts=None) -> model`` (the maximiser of the bound);
  ``log_prior() -> float`` (0 without a prior);
* for the slices of Fig. 59 (:mod:`boltzmann_lab.learning.em_slices`): ``free_vector() -> (P,)`` the free parameters, ``with_free_vector(v) -> model``,
  ``feasible_interval(v0, d, lo, hi) -> (s_lo, s_hi)`` — the part of the line v0 + s d, s in [lo, hi],
  inside the parameter domain (an interval, the domain being convex).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from boltzmann_lab.stats.numerics import logsumexp


# ---------------------------------------------------------------------------- basic identities
def _weights(counts, m):
    if counts is None:
        return None, float(m)
    c = np.asarray(counts, dtype=float)
    if c.shape != (m,):
        raise ValueError(f"counts must have shape ({m},), got {c.shape}")
    return c, float(c.sum())


def _mean(values, counts):
    c, total = _weights(counts, len(values))
    if total <= 0:
        raise ValueError("no samples")
    return float(np.sum(values) / total) if c is None else float(np.dot(c, values) / total)


def e_step(log_joint: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Posterior over the latent variable.

    Returns ``log_q`` (M, K) = L − logsumexp_k L (log-responsibilities, exact even where exp
    underflows) and ``ll_i`` (M,) = log p(x_i | θ)."""
    L = np.asarray(log_joint, dtype=float)
    ll_i = logsumexp(L, axis=1)
    if not np.all(np.isfinite(ll_i)):
        raise FloatingPointError("a sample has zero probability under every component")
    return L - ll_i[:, None], ll_i


def log_likelihood(log_joint: np.ndarray, counts=None) -> float:
    """ℓ = mean_i log Σ_k exp L_ik (nats per sample)."""
    return _mean(logsumexp(log_joint, axis=1), counts)


def _q_terms(log_q, values):
    """Σ_k q_ik · values_ik with q_ik = 0 contributing exactly 0 (values may be −inf there)."""
    q = np.exp(log_q)
    with np.errstate(invalid="ignore"):
        prod = np.where(q > 0, q * values, 0.0)
    return prod.sum(axis=1)


def neg_free_energy(log_joint: np.ndarray, log_q: np.ndarray, counts=None) -> float:
    """−F_q(θ) = mean_i Σ_k q_ik (L_ik(θ) − log q_ik) = E_q[log p(x,z|θ)] + H(q), per sample.

    ``log_joint`` is evaluated at θ, ``log_q`` is the fixed posterior guess (usually the E-step at an
    earlier θᵗ).  Without the prior term (add ``log_prior / M`` for MAP)."""
    with np.errstate(invalid="ignore"):       # -inf - (-inf) where q = 0: masked out below
        diff = log_joint - log_q
    return _mean(_q_terms(log_q, diff), counts)


def expected_complete_ll(log_joint, log_q, counts=None) -> float:
    """E_q[log p(x, z | θ)] per sample."""
    return _mean(_q_terms(log_q, log_joint), counts)


def entropy(log_q, counts=None) -> float:
    """H(q) per sample = −mean_i Σ_k q_ik log q_ik."""
    return _mean(-_q_terms(log_q, log_q), counts)


def kl_gap(log_joint: np.ndarray, log_q: np.ndarray, counts=None) -> float:
    """mean_i KL(q_i ‖ p(z | x_i, θ)) = ℓ(θ) − (−F_q(θ)) ≥ 0, computed term by term (not as a
    difference) so that it is non-negative up to round-off of its own size."""
    log_post, _ = e_step(log_joint)
    with np.errstate(invalid="ignore"):       # -inf - (-inf) where q = 0: masked out below
        diff = log_q - log_post
    return _mean(_q_terms(log_q, diff), counts)


# ------------------------------------------------------------------------------- one iteration
@dataclass
class EMStep:
    """What one EM iteration θᵗ → θᵗ⁺¹ did (per sample, nats).

    ``ll_old``/``ll_new``: ℓ(θᵗ), ℓ(θᵗ⁺¹) (no prior).  ``objective_old``/``objective_new``: J = ℓ +
    log p(θ)/M.  ``bound_old`` = −F_q(θᵗ) + log p(θᵗ)/M (equals ``objective_old`` up to round-off);
    ``bound_new`` = −F_q(θᵗ⁺¹) + log p(θᵗ⁺¹)/M.  ``kl_gap`` = KL(q ‖ p(z|x,θᵗ⁺¹)) per sample
    (= objective_new − bound_new).  Chain: objective_old ≤ bound_new ≤ objective_new."""

    ll_old: float
    ll_new: float
    objective_old: float
    objective_new: float
    bound_old: float
    bound_new: float
    kl_gap: float


def em_step(model, x, counts=None, log_joint=None, commit=None):
    """One EM iteration from ``model`` (θᵗ).

    ``log_joint`` may pass ``model.log_joint(x)`` when already known (it is not recomputed).
    ``commit(new_model) -> model`` (optional) is called with the M-step result before anything is
    evaluated at θᵗ⁺¹ — a learner uses it to copy the result into its live parameter arrays, so that
    L(θᵗ⁺¹) is computed from exactly the arrays a resumed run would start from.
    Returns ``(new_model, info: EMStep, log_q, new_log_joint)``; ``log_q`` is the E-step posterior at
    θᵗ and ``new_log_joint`` = L(θᵗ⁺¹), which is the next iteration's ``log_joint``."""
    L0 = model.log_joint(x) if log_joint is None else log_joint
    log_q, ll_i = e_step(L0)
    _, total = _weights(counts, len(ll_i))
    # everything at θᵗ first: ``commit`` may overwrite the arrays ``model`` refers to
    p0 = model.log_prior() / total
    ll0 = _mean(ll_i, counts)
    bound0 = neg_free_energy(L0, log_q, counts) + p0
    new = model.m_step(x, log_q, counts)
    if commit is not None:
        new = commit(new)
    L1 = new.log_joint(x)
    p1 = new.log_prior() / total
    ll1 = log_likelihood(L1, counts)
    info = EMStep(ll_old=ll0, ll_new=ll1, objective_old=ll0 + p0, objective_new=ll1 + p1,
                  bound_old=bound0, bound_new=neg_free_energy(L1, log_q, counts) + p1,
                  kl_gap=kl_gap(L1, log_q, counts))
    return new, info, log_q, L1


def round_off(value: float, n_terms: int) -> float:
    """Round-off scale of a per-sample log-likelihood ``value`` built from about ``n_terms`` summed
    float64 terms per sample: 16 ε (n_terms + 1) (1 + |value|).  Used as the tolerance of the exact
    EM inequalities (ℓ never decreases, the bound never exceeds ℓ)."""
    return 16.0 * np.finfo(float).eps * (n_terms + 1.0) * (1.0 + abs(float(value)))
