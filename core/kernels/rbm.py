"""Fused elementwise kernels for RBM/DBM layers: conditional mean + sample in one pass.

Every kernel takes ``phi`` (rows, units) — the total field of each unit, bias included — and an
array ``states`` of uint64 xorshift64* states, one lane per row (``boltzmann_lab.kernels.rng``): row ``r``
draws its random numbers from ``states[r]`` in unit order, so results do not depend on how rows are
batched elsewhere.  Outputs are written into ``mean`` and ``x`` (same shape and dtype as ``phi``;
``mean`` may alias ``phi``).  float32 and float64 inputs are both supported (compiled per dtype).
"""

import math

import numpy as np
from numba import njit

from boltzmann_lab.kernels.rng import uniform


@njit(nogil=True, cache=True)
def sigmoid_bernoulli(phi, states, mean, x):
    """Binary units: mean = sigmoid(phi), x = 1 with probability mean, else 0."""
    R, n = phi.shape
    for r in range(R):
        for j in range(n):
            f = phi[r, j]
            # two branches keep exp() from overflowing
            if f >= 0:
                p = 1.0 / (1.0 + math.exp(-f))
            else:
                e = math.exp(f)
                p = e / (1.0 + e)
            mean[r, j] = p
            x[r, j] = 1.0 if uniform(states, r) < p else 0.0


@njit(nogil=True, cache=True)
def tanh_spin(phi, states, mean, x):
    """Spin units: mean = tanh(phi), x = +1 with probability sigmoid(2 phi), else -1."""
    R, n = phi.shape
    for r in range(R):
        for j in range(n):
            f = phi[r, j]
            t = math.tanh(f)
            mean[r, j] = t
            x[r, j] = 1.0 if uniform(states, r) < 0.5 * (1.0 + t) else -1.0


@njit(nogil=True, cache=True)
def gaussian_sample(phi, sigma, states, mean, x):
    """Gaussian units: mean = sigma^2 phi, x = mean + sigma * N(0,1) (Box-Muller, one normal
    per pair of uniforms; the second normal is discarded to keep the lane order simple)."""
    R, n = phi.shape
    for r in range(R):
        for j in range(n):
            s = sigma[j]
            m = s * s * phi[r, j]
            mean[r, j] = m
            u1 = uniform(states, r)
            u2 = uniform(states, r)
            z = math.sqrt(-2.0 * math.log(1.0 - u1)) * math.cos(2.0 * math.pi * u2)
            x[r, j] = m + s * z


# ------------------------------------------------------------------------------------------
# float32 fast path for binary layers (training of large RBMs; see boltzmann_lab.learning.rbm).
#
# * sigmoid without libm: exp(-|f|) = 2^-k * poly(r) with k integer, |r| <= ln2/2 and a degree-6
#   Taylor polynomial, written branch-free with error_model="numpy" so that LLVM vectorises the
#   row (libm's expf does not vectorise without SVML: ~5x slower).  Absolute error <= 2e-7; for
#   f < -20.8 (where sigmoid < 1e-9) the result is clamped at ~1e-9;
# * Bernoulli draws take two 24-bit uniforms from each xorshift64* step of the row's lane, with
#   the state kept in a register for the whole row (a probability is resolved to 2^-24).
# ------------------------------------------------------------------------------------------

_F0 = np.float32(0.0)
_F1 = np.float32(1.0)
_LOG2E = np.float32(1.4426950408889634)
_LN2 = np.float32(0.6931471805599453)
_TMIN = np.float32(-30.0)
_HALF = np.float32(0.5)
_C2 = np.float32(1 / 2)
_C3 = np.float32(1 / 6)
_C4 = np.float32(1 / 24)
_C5 = np.float32(1 / 120)
_C6 = np.float32(1 / 720)
_U24 = np.float32(1.0 / 16777216.0)
_MULT = np.uint64(0x2545F4914F6CDD1D)
_M24 = np.uint64(0xFFFFFF)


@njit(nogil=True, cache=True, fastmath=True, error_model="numpy")
def _sigmoid_row32(pre, bias, out):
    for j in range(pre.shape[0]):
        f = pre[j] + bias[j]
        t = max(-abs(f) * _LOG2E, _TMIN)             # log2 exp(-|f|), clamped
        k = np.int32(t - _HALF)                      # nearest integer (t <= 0)
        r = (t - np.float32(k)) * _LN2
        p = _F1 + r * (_F1 + r * (_C2 + r * (_C3 + r * (_C4 + r * (_C5 + r * _C6)))))
        e = p / np.float32(np.int32(1) << np.int32(-k))   # exp(-|f|)
        s = _F1 / (_F1 + e)
        neg = np.float32(f < _F0)
        out[j] = s * (_F1 - neg * (_F1 - e))         # f >= 0: s;  f < 0: e * s


@njit(nogil=True, cache=True)
def _bernoulli_row32(p, s, x):
    """x[j] = 1 if u_j < p[j]; two 24-bit uniforms per xorshift64* step; returns the new state."""
    n = p.shape[0]
    j = 0
    while j < n:
        s ^= s >> np.uint64(12)
        s ^= s << np.uint64(25)
        s ^= s >> np.uint64(27)
        z = s * _MULT
        x[j] = _F1 if np.float32(z >> np.uint64(40)) * _U24 < p[j] else _F0
        if j + 1 < n:
            x[j + 1] = _F1 if np.float32((z >> np.uint64(16)) & _M24) * _U24 < p[j + 1] else _F0
        j += 2
    return s


@njit(nogil=True, cache=True, fastmath=True)
def _scale_row32(p, scale, out):
    for j in range(p.shape[0]):
        out[j] = scale * p[j]


@njit(nogil=True, cache=True)
def fast_sigmoid_bernoulli(pre, bias, states, out, scale, x, sample):
    """float32 binary units from the GEMM output ``pre`` (rows, units): p = sigmoid(pre + bias);
    if ``sample``: x ~ Bernoulli(p), row r from lane ``states[r]``; ``out`` (may be ``pre``)
    receives ``scale * p`` (used to pre-scale gradient factors)."""
    # the row goes through a separate buffer: in-place loops defeat LLVM's vectoriser
    tmp = np.empty(pre.shape[1], np.float32)
    for r in range(pre.shape[0]):
        _sigmoid_row32(pre[r], bias, tmp)
        if sample:
            states[r] = _bernoulli_row32(tmp, states[r], x[r])
        _scale_row32(tmp, scale, out[r])


@njit(nogil=True, cache=True)
def ais_binary_hidden(pre, bias, beta0, beta1, states, h, dlogw):
    """One AIS step of binary hidden units with input x = pre + bias (rows = runs):
    dlogw[r] += sum_j softplus(beta1 x_rj) - softplus(beta0 x_rj)  (float64, libm accuracy), and
    h[r, j] ~ Bernoulli(sigmoid(beta1 x_rj)) with lane ``states[r]`` (53-bit uniforms)."""
    R, n = pre.shape
    for r in range(R):
        acc = 0.0
        for j in range(n):
            x = np.float64(pre[r, j]) + np.float64(bias[j])
            y1 = beta1 * x
            y0 = beta0 * x
            e1 = math.exp(-abs(y1))
            acc += (max(y1, 0.0) + math.log1p(e1)) - (max(y0, 0.0) + math.log1p(math.exp(-abs(y0))))
            p = 1.0 / (1.0 + e1) if y1 >= 0 else e1 / (1.0 + e1)
            h[r, j] = 1.0 if uniform(states, r) < p else 0.0
        dlogw[r] += acc
