"""Autocorrelation times and error bars of correlated (MCMC) series — the one convention used
everywhere in Boltzmann Lab.

Convention: the integrated autocorrelation time is

    τ = 1 + 2 Σ_{t=1}^{W} ρ(t),

so that independent samples have τ = 1 and the variance of the mean of N samples is τ·var(x)/N
(τ is the number of steps per effectively independent sample; e.g. an AR(1) series
x_t = φ x_{t−1} + ε_t has τ = (1 + φ)/(1 − φ), 19 for φ = 0.9).  Sokal's ``τ_sokal = 1/2 + Σρ``
is exactly τ/2.  The window W is chosen automatically (Sokal; Goodman & Weare / emcee): the
smallest W with W ≥ c·τ(W), c = 5 by default.

Several independent chains of the same process may be given as a (chains, T) array: ρ(t) is then
averaged over chains (deviations from the grand mean), and the standard error uses all
chains × T values.
"""

from __future__ import annotations

import math

import numpy as np


def _as_chains(x) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    if x.ndim == 1:
        x = x[None, :]
    if x.ndim != 2 or x.shape[1] == 0:
        raise ValueError(f"expected a series (T,) or chains (chains, T), got shape {x.shape}")
    return x


def autocorrelation(x, max_lag=None) -> np.ndarray:
    """Normalised autocorrelation ρ(t) = C(t)/C(0), t = 0..max_lag, of a series (T,) or of chains
    (chains, T) (C averaged over chains), with the biased estimator
    C(t) = (1/T) Σ_{s<T−t} (x_s − x̄)(x_{s+t} − x̄), by FFT.  A constant series gives [1, 0, 0, …]."""
    x = _as_chains(x)
    T = x.shape[1]
    max_lag = T - 1 if max_lag is None else min(int(max_lag), T - 1)
    d = x - x.mean()
    nfft = 1 << (2 * T - 1).bit_length()
    f = np.fft.rfft(d, nfft, axis=1)
    c = np.fft.irfft(f * np.conj(f), nfft, axis=1)[:, :max_lag + 1].mean(axis=0) / T
    if c[0] <= 0:
        out = np.zeros(max_lag + 1)
        out[0] = 1.0
        return out
    return c / c[0]


def integrated_autocorr_time(x, c=5.0, return_window=False):
    """τ = 1 + 2 Σ_{t=1}^{W} ρ(t) (module docstring) of a series (T,) or chains (chains, T), in
    units of the series' steps, with the automatic window W ≥ c·τ(W).

    If no window qualifies (the series is shorter than ~c·τ) the value at the largest lag is
    returned — check ``T >> c·τ``.  A constant series gives 1.  ``return_window`` also returns W.
    """
    rho = autocorrelation(x)
    if rho.size < 2:
        return (1.0, 0) if return_window else 1.0
    taus = 1.0 + 2.0 * np.cumsum(rho[1:])
    lags = np.arange(1, taus.size + 1)
    ok = lags >= c * taus
    W = int(lags[np.argmax(ok)]) if ok.any() else int(lags[-1])
    tau = float(max(taus[W - 1], 1e-12))
    return (tau, W) if return_window else tau


def standard_error(x, c=5.0) -> float:
    """Standard error of the mean of a correlated series or of chains: sqrt(τ·var(x)/N), N the
    number of values, τ from :func:`integrated_autocorr_time`."""
    x = _as_chains(x)
    tau = integrated_autocorr_time(x, c)
    return float(math.sqrt(tau * x.var() / x.size))


def binning_error(x, min_blocks=32) -> float:
    """Standard error of the mean by blocking: average blocks of 2^k consecutive values and take
    std(block means)/sqrt(n_blocks) at the largest block size that leaves at least ``min_blocks``
    blocks (the plateau, if the series is >> min_blocks·τ long).  Independent of τ's convention."""
    x = np.asarray(x, dtype=np.float64).ravel()
    if x.size < 2:
        raise ValueError("binning_error needs at least 2 values")
    b = x
    se = float(b.std(ddof=1) / math.sqrt(b.size))
    while b.size // 2 >= min_blocks:
        b = 0.5 * (b[: 2 * (b.size // 2): 2] + b[1: 2 * (b.size // 2): 2])
        se = float(b.std(ddof=1) / math.sqrt(b.size))
    return se
