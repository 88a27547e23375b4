"""The one autocorrelation-time convention, pinned on AR(1) series whose answers are exact.

x_t = φ x_{t−1} + ε_t has ρ(t) = φ^t, τ = 1 + 2 Σ_{t≥1} φ^t = (1 + φ)/(1 − φ) (19 for φ = 0.9),
stationary variance 1/(1 − φ²), and the variance of the mean of N values → τ/(1 − φ²)/N.
Tolerances: Sokal's var(τ̂) ≈ 2(2W + 1)τ²/N for the estimate with window W; Bartlett's formula
for the sample autocorrelation; a blocking estimate with B blocks has relative error ~1/sqrt(2B).
"""

import math

import numpy as np
import pytest

from boltzmann_lab.stats.autocorr import (autocorrelation, binning_error,
                                          integrated_autocorr_time, standard_error)

Z = 4.0


def ar1(phi, chains, T, seed=0):
    rng = np.random.default_rng(seed)
    noise = rng.standard_normal((chains, T))
    x = np.empty((chains, T))
    x[:, 0] = noise[:, 0] / math.sqrt(1 - phi * phi)
    for t in range(1, T):
        x[:, t] = phi * x[:, t - 1] + noise[:, t]
    return x


@pytest.mark.parametrize("phi", [0.8, 0.9])
def test_tau_is_one_plus_twice_the_summed_autocorrelation(phi):
    x = ar1(phi, chains=1, T=200_000)[0]
    tau_true = (1 + phi) / (1 - phi)                 # 9 and 19
    tau, W = integrated_autocorr_time(x, return_window=True)
    sd = math.sqrt(2 * (2 * W + 1) / x.size) * tau_true
    assert abs(tau - tau_true) <= Z * sd + 2 * tau_true * phi ** W   # + the truncated tail
    assert W >= 5 * tau                                # the automatic window condition


def test_chains_are_pooled_and_the_standard_error_uses_tau():
    phi = 0.9
    x = ar1(phi, chains=40, T=5000, seed=1)
    tau_true = (1 + phi) / (1 - phi)
    tau, W = integrated_autocorr_time(x, return_window=True)
    sd = math.sqrt(2 * (2 * W + 1) / x.size) * tau_true
    assert abs(tau - tau_true) <= Z * sd + 2 * tau_true * phi ** W
    se_true = math.sqrt(tau_true / (1 - phi * phi) / x.size)
    assert standard_error(x) == pytest.approx(se_true, rel=Z * sd / tau_true / 2 + 0.01)


def test_autocorrelation_matches_bartlett():
    phi, n = 0.8, 200_000
    x = ar1(phi, 1, n, seed=2)[0]
    rho = autocorrelation(x, 5)
    k = np.arange(6)
    var_r = ((1 + phi ** 2) * (1 - phi ** (2 * k)) / (1 - phi ** 2) - 2 * k * phi ** (2 * k)) / n
    assert np.all(np.abs(rho - phi ** k) <= Z * np.sqrt(var_r) + 1e-12), (rho, np.sqrt(var_r))


def test_blocking_agrees_with_the_exact_error_of_the_mean():
    phi, n = 0.8, 200_000
    x = ar1(phi, 1, n, seed=3)[0]
    se_true = math.sqrt((1 + phi) / (1 - phi) / (1 - phi * phi) / n)
    nb = 128
    assert binning_error(x, min_blocks=nb) == pytest.approx(se_true, rel=Z / math.sqrt(2 * nb))


def test_independent_and_constant_series():
    rng = np.random.default_rng(4)
    W = 11   # window for white noise: tau ~ 1 -> W = 5..~11
    assert integrated_autocorr_time(rng.standard_normal(20000)) == pytest.approx(
        1.0, abs=Z * math.sqrt(2 * (2 * W + 1) / 20000) + 0.02)
    assert integrated_autocorr_time(np.ones(100)) == 1.0
    assert autocorrelation(np.ones(10)).tolist() == [1.0] + [0.0] * 9
