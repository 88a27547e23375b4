"""Exact results for the 2D Ising model on the square lattice (no scipy needed).

Model: E(s) = -J sum_<ij> s_i s_j (nearest-neighbour bonds counted once), H = 0, k_B = 1,
p(s) ∝ exp(-E/T), beta = 1/T, K = beta*J.

Infinite lattice (Onsager 1944; Yang 1952), ferromagnet J > 0:

* critical temperature ``T_C = 2 / ln(1 + sqrt 2)`` = 2.269185... (for J = 1; T_c = J * T_C);
* energy per spin  u(T) = -J coth(2K) [1 + (2/pi)(2 tanh^2(2K) - 1) K(k^2)],
  k = 2 sinh(2K) / cosh^2(2K), with K(m) the complete elliptic integral of the first kind
  (parameter m = k^2) computed by the arithmetic-geometric mean;
* spontaneous magnetisation m(T) = (1 - sinh(2K)^-4)^(1/8) for T < T_c, 0 above;
* specific heat per spin c(T) = du/dT (central difference of the closed form).

Finite periodic m x n lattice (Kaufman 1949, in the form of Beale, PRL 76, 78 (1996)): the exact
partition function

    Z = 1/2 (2 sinh 2K)^(mn/2) (Z1 + Z2 + Z3 + Z4),
    Z1 = prod_{r<n} 2 cosh(m g_{2r+1} / 2),   Z2 = prod_{r<n} 2 sinh(m g_{2r+1} / 2),
    Z3 = prod_{r<n} 2 cosh(m g_{2r} / 2),     Z4 = prod_{r<n} 2 sinh(m g_{2r} / 2),
    cosh g_l = cosh 2K coth 2K - cos(pi l / n)  (l >= 1),   g_0 = 2K + ln tanh K  (signed),

evaluated in log space with signs (Z4 < 0 above T_c).  :func:`finite_energy_per_spin` and
:func:`finite_specific_heat` differentiate log Z numerically in beta (5-point stencils; error far
below any Monte Carlo error bar).  These are the *exact* finite-size references the tests compare
simulations against; they are checked against brute-force enumeration of small lattices.
"""

from __future__ import annotations

import math

import numpy as np

#: critical temperature of the J = 1 square-lattice ferromagnet
T_C = 2.0 / math.log(1.0 + math.sqrt(2.0))


def ellipk(m):
    """Complete elliptic integral of the first kind K(m) = ∫_0^{π/2} dθ / sqrt(1 - m sin²θ),
    parameter m in [0, 1) (inf at m = 1), by the arithmetic-geometric mean:
    K(m) = π / (2 AGM(1, sqrt(1 - m))).  Accepts scalars or arrays."""
    m = np.asarray(m, dtype=float)
    if np.any((m < 0) | (m > 1)):
        raise ValueError("ellipk: parameter m must lie in [0, 1]")
    a = np.ones_like(m)
    b = np.sqrt(1.0 - m)
    for _ in range(60):          # quadratic convergence: ~6 rounds reach double precision
        a, b = 0.5 * (a + b), np.sqrt(a * b)
        if np.all(np.abs(a - b) <= 1e-16 * a):
            break
    with np.errstate(divide="ignore"):
        out = np.pi / (2.0 * a)
    out = np.where(m == 1.0, np.inf, out)
    return out if out.ndim else float(out)


def _check_T(T):
    T = np.asarray(T, dtype=float)
    if np.any(~np.isfinite(T)) or np.any(T <= 0):
        raise ValueError("temperature must be positive and finite")
    return T


def energy_per_spin(T, J=1.0):
    """Exact energy per spin u(T) of the infinite lattice (formula in the module docstring).

    For J < 0 (antiferromagnet, bipartite lattice) the energy equals that of the ferromagnet with
    |J|.  Scalars or arrays; T > 0.
    """
    T = _check_T(T)
    if J == 0:
        return np.zeros_like(T) if T.ndim else 0.0
    aJ = abs(float(J))
    K2 = 2.0 * aJ / T
    k = 2.0 * np.sinh(K2) / np.cosh(K2) ** 2
    m = np.minimum(k * k, 1.0)
    factor = 2.0 * np.tanh(K2) ** 2 - 1.0
    with np.errstate(invalid="ignore"):
        ell = ellipk(np.where(m >= 1.0, 0.0, m))
        # at T_c, factor -> 0 while K -> inf only logarithmically: the product vanishes
        term = np.where(m >= 1.0, 0.0, factor * ell)
    u = -aJ / np.tanh(K2) * (1.0 + (2.0 / np.pi) * term)
    return u if u.ndim else float(u)


def magnetization(T, J=1.0):
    """Exact spontaneous magnetisation per spin (Yang): (1 - sinh(2J/T)^-4)^(1/8) below
    T_c = J * T_C, 0 at and above it.  Ferromagnet only (J > 0)."""
    if J <= 0:
        raise ValueError("magnetization: the Yang formula needs a ferromagnet (J > 0)")
    T = _check_T(T)
    s = np.sinh(2.0 * J / T)
    with np.errstate(divide="ignore", invalid="ignore"):
        inner = 1.0 - s ** -4.0
    m = np.where(T < J * T_C, np.clip(inner, 0.0, None) ** 0.125, 0.0)
    return m if m.ndim else float(m)


def specific_heat(T, J=1.0, h=1e-5):
    """Specific heat per spin c(T) = du/dT of the infinite lattice (central difference of
    :func:`energy_per_spin`, step h*T; diverges logarithmically at T_c)."""
    T = _check_T(T)
    d = h * T
    c = (energy_per_spin(T + d, J) - energy_per_spin(T - d, J)) / (2.0 * d)
    return c if np.ndim(c) else float(c)


# --------------------------------------------------------------------------- finite lattice
def _log_2cosh(x):
    a = np.abs(x)
    return a + np.log1p(np.exp(-2.0 * a))


def _log_abs_2sinh(x):
    a = np.abs(x)
    with np.errstate(divide="ignore"):
        return a + np.log(-np.expm1(-2.0 * a))


def finite_log_z(L, T, J=1.0, M=None):
    """Exact log Z of the periodic M x L lattice (M rows, default M = L) at temperature T,
    coupling J > 0, H = 0 (Kaufman's formula, module docstring).  Scalar T."""
    if J <= 0:
        raise ValueError("finite_log_z: J must be positive")
    n = int(L)
    m = n if M is None else int(M)
    if n < 2 or m < 2:
        raise ValueError("finite_log_z: lattice sides must be >= 2")
    T = float(_check_T(T))
    K = J / T
    l = np.arange(2 * n)
    c = np.cosh(2 * K) / np.tanh(2 * K) - np.cos(np.pi * l / n)
    g = np.arccosh(np.maximum(c, 1.0))
    g[0] = 2 * K + np.log(np.tanh(K))         # signed: negative above T_c
    odd = g[1::2]
    even = g[0::2]
    logs = np.array([_log_2cosh(m * odd / 2).sum(), _log_abs_2sinh(m * odd / 2).sum(),
                     _log_2cosh(m * even / 2).sum(), _log_abs_2sinh(m * even / 2).sum()])
    signs = np.array([1.0, 1.0, 1.0, np.sign(even[0]) if even[0] != 0 else 0.0])
    top = logs[np.isfinite(logs)].max()
    total = np.sum(signs * np.exp(np.where(np.isfinite(logs), logs - top, -np.inf)))
    return float(-math.log(2.0) + 0.5 * m * n * math.log(2.0 * math.sinh(2 * K)) + top
                 + math.log(total))


def finite_energy_per_spin(L, T, J=1.0, M=None, h=1e-4):
    """Exact energy per spin <E>/N = -(1/N) d log Z / d beta of the periodic M x L lattice
    (5-point derivative in beta with step h*beta).  Scalar or array T."""
    Ts = np.atleast_1d(_check_T(T)).astype(float)
    N = L * (L if M is None else M)
    out = np.empty_like(Ts)
    for idx, t in enumerate(Ts):
        b = 1.0 / t
        d = h * b
        f = [finite_log_z(L, 1.0 / (b + k * d), J, M) for k in (-2, -1, 1, 2)]
        dlogz = (f[0] - 8 * f[1] + 8 * f[2] - f[3]) / (12 * d)
        out[idx] = -dlogz / N
    return out if np.ndim(T) else float(out[0])


def finite_specific_heat(L, T, J=1.0, M=None, h=1e-3):
    """Exact specific heat per spin beta^2 var(E) / N = (beta^2/N) d² log Z / d beta² of the
    periodic M x L lattice (5-point second derivative, step h*beta).  Scalar T."""
    N = L * (L if M is None else M)
    b = 1.0 / float(_check_T(T))
    d = h * b
    f = [finite_log_z(L, 1.0 / (b + k * d), J, M) for k in (-2, -1, 0, 1, 2)]
    d2 = (-f[0] + 16 * f[1] - 30 * f[2] + 16 * f[3] - f[4]) / (12 * d * d)
    return float(b * b * d2 / N)
