"""Gibbs and Metropolis sweeps of a fully connected pairwise model over many chains at once.

Model (``binary`` {0,1} or ``spin`` {-1,+1} units):

    E(x) = -sum_i h_i x_i - sum_{i<j} J_ij x_i x_j + V[K(x)],   K(x) = number of "on" units.

Layout: the chains are the fast axis, in tiles of T lanes (T = :func:`tile_size`, a multiple of 64;
1024 for n = 100 and 1000 chains).  ``X`` has shape (tiles, n, T) float32, so updating unit i means
one pass over a contiguous row of T chains and the compiler vectorises it (SIMD lanes = chains).
Each tile (at most ~1 MiB, L2-resident) runs all its sweeps before the next one; chains are
independent, so this is bit-identical to sweeping all chains together.
Sweeps are sequential scans i = 0..n-1.  Local fields f_i = h_i + sum_j J_ij x_j are computed for
4 units at once from one pass over X (16 multiply-adds per 4 loads), and the fields of the later
units of the block are corrected after each update (f_k += J_ki (x_i' - x_i)), which is exact and
halves the memory traffic of the dominant loop.  The population potential enters exactly: with K_o the count of the
*other* units on, switching unit i on changes the energy by  -m f + V[K_o + 1] - V[K_o]  (m = 2 for
spins, 1 for binary units), ``dV[k] = V[k+1] - V[k]`` gathered per chain.

Measuring (optional, every sweep): the tile's states are packed into bits and sum_c x_i x_j is
counted 64 chains per popcount, as exact integers.

Random numbers: one xoshiro128+ generator per chain, state ``S`` (tiles, 4, T) uint32 (32-bit lanes
vectorise twice as wide as 64-bit ones); uniforms are float32 in (0, 1) from the top 24 bits.
Acceptance uses a vectorisable float32 exp (Cephes polynomial, ~1 ulp) so the whole chain loop is
SIMD; its error (~1e-7 relative in an acceptance probability) is far below any statistical error.

Heat bath: on with probability sigmoid(beta * (m f - dV[K_o])), tested as u * (1 + exp(-d)) < 1.
Metropolis: flip with probability min(1, exp(-beta dE)), tested as u < exp(-beta dE).
"""

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic

GIBBS = 0
METROPOLIS = 1


@intrinsic
def _int_bits_as_float32(typingctx, x):
    """Reinterpret the bits of an int32 as a float32 (no conversion)."""
    sig = types.float32(types.int32)

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.FloatType())

    return sig, codegen


@njit(nogil=True, cache=True, inline="always", fastmath={"contract"})
def fast_exp(x):
    """exp(x) in float32 for x clamped to [-87, 87] (Cephes expf polynomial, ~1 ulp); vectorises."""
    x = min(max(x, np.float32(-87.0)), np.float32(87.0))
    k = np.floor(x * np.float32(1.44269504088896341) + np.float32(0.5))
    r = x - k * np.float32(0.693359375)
    r = r - k * np.float32(-2.12194440e-4)
    p = np.float32(1.9875691500e-4)
    p = p * r + np.float32(1.3981999507e-3)
    p = p * r + np.float32(8.3334519073e-3)
    p = p * r + np.float32(4.1665795894e-2)
    p = p * r + np.float32(1.6666665459e-1)
    p = p * r + np.float32(5.0000001201e-1)
    p = p * r * r + r + np.float32(1.0)
    return p * _int_bits_as_float32((np.int32(k) + np.int32(127)) << np.int32(23))


def tile_size(n, chains):
    """Lanes per tile: a multiple of 64 holding at most ~1 MiB of float32 states (half of L2),
    with the chains spread evenly over the fewest such tiles.

    Long rows matter more than L1 residency: every pass over a row costs a fixed set-up (the
    compiler's run-time alias checks, loop prologue), measured 12.8 / 6.1 / 5.0 ns per update for
    T = 16 / 64 / 1024 at n = 100.
    """
    cap = max(64, (1 << 20) // (4 * n) // 64 * 64)
    tiles = -(-chains // cap)
    per_tile = -(-chains // tiles)
    return -(-per_tile // 64) * 64


def seed_rng(chains, seed):
    """xoshiro128+ states (4, chains) uint32 from ``seed`` (int/None/Generator), no lane all 0.

    Lane c's state does not depend on how many lanes are drawn, so padding never changes a chain.
    """
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    S = rng.integers(0, 2**32, size=(chains, 4), dtype=np.uint32).T.copy()
    S[0, np.all(S == 0, axis=0)] = 1
    return S


@njit(nogil=True, cache=True, fastmath={"contract"})
def _local_fields(X, J, h, i, f):
    """f[c] = h_i + sum_j J_ij X[j, c] for every chain c (8 rows of X per pass over f)."""
    n, C = X.shape
    hi = h[i]
    for c in range(C):
        f[c] = hi
    j = 0
    while j + 8 <= n:
        w0 = J[i, j]
        w1 = J[i, j + 1]
        w2 = J[i, j + 2]
        w3 = J[i, j + 3]
        w4 = J[i, j + 4]
        w5 = J[i, j + 5]
        w6 = J[i, j + 6]
        w7 = J[i, j + 7]
        x0 = X[j]
        x1 = X[j + 1]
        x2 = X[j + 2]
        x3 = X[j + 3]
        x4 = X[j + 4]
        x5 = X[j + 5]
        x6 = X[j + 6]
        x7 = X[j + 7]
        for c in range(C):
            f[c] += ((w0 * x0[c] + w1 * x1[c]) + (w2 * x2[c] + w3 * x3[c])) + \
                    ((w4 * x4[c] + w5 * x5[c]) + (w6 * x6[c] + w7 * x7[c]))
        j += 8
    while j < n:
        w0 = J[i, j]
        x0 = X[j]
        for c in range(C):
            f[c] += w0 * x0[c]
        j += 1


@njit(nogil=True, cache=True, fastmath={"contract"})
def _block_fields(X, J, h, i, F):
    """F[k, c] = h_{i+k} + sum_j J_{i+k, j} X[j, c] for the 4 units i..i+3, from the current X.

    One pass over X feeds four units (4 x 4 weights in registers, 16 multiply-adds per 4 loads of
    X), which halves the time of four single-unit passes; the fields of units i+1.. are then
    corrected for the updates of the earlier units of the block (:func:`_correct_block`).
    """
    n, C = X.shape
    for k in range(4):
        hk = h[i + k]
        for c in range(C):
            F[k, c] = hk
    j = 0
    while j + 4 <= n:
        a00 = J[i, j]
        a01 = J[i, j + 1]
        a02 = J[i, j + 2]
        a03 = J[i, j + 3]
        a10 = J[i + 1, j]
        a11 = J[i + 1, j + 1]
        a12 = J[i + 1, j + 2]
        a13 = J[i + 1, j + 3]
        a20 = J[i + 2, j]
        a21 = J[i + 2, j + 1]
        a22 = J[i + 2, j + 2]
        a23 = J[i + 2, j + 3]
        a30 = J[i + 3, j]
        a31 = J[i + 3, j + 1]
        a32 = J[i + 3, j + 2]
        a33 = J[i + 3, j + 3]
        for c in range(C):
            y0 = X[j, c]
            y1 = X[j + 1, c]
            y2 = X[j + 2, c]
            y3 = X[j + 3, c]
            F[0, c] += (a00 * y0 + a01 * y1) + (a02 * y2 + a03 * y3)
            F[1, c] += (a10 * y0 + a11 * y1) + (a12 * y2 + a13 * y3)
            F[2, c] += (a20 * y0 + a21 * y1) + (a22 * y2 + a23 * y3)
            F[3, c] += (a30 * y0 + a31 * y1) + (a32 * y2 + a33 * y3)
        j += 4
    while j < n:
        a0 = J[i, j]
        a1 = J[i + 1, j]
        a2 = J[i + 2, j]
        a3 = J[i + 3, j]
        for c in range(C):
            y = X[j, c]
            F[0, c] += a0 * y
            F[1, c] += a1 * y
            F[2, c] += a2 * y
            F[3, c] += a3 * y
        j += 1


@njit(nogil=True, cache=True, fastmath={"contract"})
def _correct_block(F, J, i, k, dx):
    """After unit i+k changed by dx (C,), add J_{i+k2, i+k} dx to the fields of units i+k2, k2 > k.

    Rows k2 <= k get a zero weight (already used), which keeps the loop branch-free.
    """
    C = F.shape[1]
    w1 = J[i + 1, i + k] if k < 1 else np.float32(0.0)
    w2 = J[i + 2, i + k] if k < 2 else np.float32(0.0)
    w3 = J[i + 3, i + k] if k < 3 else np.float32(0.0)
    for c in range(C):
        d = dx[c]
        F[1, c] += w1 * d
        F[2, c] += w2 * d
        F[3, c] += w3 * d


@njit(nogil=True, cache=True)
def _uniforms(S, u):
    """u[c] = next float32 uniform in (0, 1) of lane c (xoshiro128+, state S (4, C) uint32)."""
    s0 = S[0]
    s1 = S[1]
    s2 = S[2]
    s3 = S[3]
    for c in range(u.shape[0]):
        a0 = s0[c]
        a1 = s1[c]
        a2 = s2[c]
        a3 = s3[c]
        # numba widens uint32 arithmetic to 64 bits: truncate where carries/shifts leave 32 bits
        r = np.uint32(a0 + a3)
        t = np.uint32(a1 << np.uint32(9))
        a2 ^= a0
        a3 ^= a1
        a1 ^= a2
        a0 ^= a3
        a2 ^= t
        a3 = np.uint32((a3 << np.uint32(11)) | (a3 >> np.uint32(21)))
        s0[c] = a0
        s1[c] = a1
        s2[c] = a2
        s3[c] = a3
        # top 24 bits, centred in their cell: never exactly 0 or 1
        u[c] = (np.float32(r >> np.uint32(8)) + np.float32(0.5)) * np.float32(2.0 ** -24)


@njit(nogil=True, cache=True)
def _gather_dv(X, K, dV, i, g):
    """g[c] = dV[K_o] with K_o = K[c] - [unit i on]: the population part of unit i's log-odds.

    A scalar loop on purpose: the compiler will not vectorise the gather, and keeping it out of the
    update loop lets that one vectorise.
    """
    xi = X[i]
    for c in range(g.shape[0]):
        g[c] = dV[K[c] - np.int32(xi[c] > 0)]


@njit(nogil=True, cache=True, fastmath={"contract"})
def _update_row(X, K, i, f, g, u, dx, spin, method, beta):
    """Heat-bath or Metropolis update of unit i in every chain; dx receives new - old values.

    f: local fields, g: population term dV[K_o] (zeros without V), u: uniforms, all (C,) float32.
    (The RNG and the gather are separate loops: with fewer arrays per loop the compiler's run-time
    alias checks stay within its limit and this loop vectorises.)
    """
    C = X.shape[1]
    m = np.float32(2.0) if spin else np.float32(1.0)
    off = np.float32(-1.0) if spin else np.float32(0.0)
    b = np.float32(beta)
    one = np.float32(1.0)
    xi = X[i]
    if method == 0:
        for c in range(C):
            on = xi[c] > 0
            # d = -beta (E_on - E_off): log-odds of "on" against "off" given the other units
            d = b * (m * f[c] - g[c])
            new_on = u[c] * (one + fast_exp(-d)) < one
            new = one if new_on else off
            dx[c] = new - xi[c]
            xi[c] = new
            K[c] = K[c] + (np.int32(new_on) - np.int32(on))
    else:
        for c in range(C):
            on = xi[c] > 0
            d = b * (m * f[c] - g[c])
            # beta dE of the flip is -d when currently off, +d when on
            de = d if on else -d
            new_on = (u[c] < fast_exp(-de)) != on
            new = one if new_on else off
            dx[c] = new - xi[c]
            xi[c] = new
            K[c] = K[c] + (np.int32(new_on) - np.int32(on))


@intrinsic
def _popcount(typingctx, x):
    """Number of set bits of a uint64 (one ``popcnt`` instruction)."""
    sig = types.uint64(types.uint64)

    def codegen(context, builder, signature, args):
        return builder.ctpop(args[0])

    return sig, codegen


@njit(nogil=True, cache=True)
def _pack_bits(X, valid, bits):
    """bits[i, w] = bit k set when chain 64 w + k of this tile is on (chains >= valid left 0)."""
    n, T = X.shape
    words = bits.shape[1]
    for i in range(n):
        xi = X[i]
        for w in range(words):
            word = np.uint64(0)
            hi = min(64, valid - 64 * w)
            for k in range(hi):
                word |= np.uint64(xi[64 * w + k] > 0) << np.uint64(k)
            bits[i, w] = word


@njit(nogil=True, cache=True)
def _accumulate_tile(bits, valid, spin, count_x, count_xx):
    """Add one sweep's sum over the tile's chains of x_i and x_i x_j (j >= i), as exact integers.

    Binary: sum x_i x_j = popcount(b_i AND b_j).  Spin: agreements minus disagreements =
    valid - 2 popcount(b_i XOR b_j).  Counting 64 chains per instruction is what makes measuring
    every sweep nearly free (a float X X^T would cost half a sweep).
    """
    n, words = bits.shape
    for i in range(n):
        pi = np.int64(0)
        for w in range(words):
            pi += np.int64(_popcount(bits[i, w]))
        count_x[i] += 2 * pi - valid if spin else pi
        for j in range(i, n):
            p = np.int64(0)
            if spin:
                for w in range(words):
                    p += np.int64(_popcount(bits[i, w] ^ bits[j, w]))
                count_xx[i, j] += valid - 2 * p
            else:
                for w in range(words):
                    p += np.int64(_popcount(bits[i, w] & bits[j, w]))
                count_xx[i, j] += p


@njit(nogil=True, cache=True)
def run_sweeps(X, K, S, valid, J, h, dV, has_v, spin, method, beta, sweeps, measure, count_x,
               count_xx, count_k, F, g, u, dx, bits):
    """Run ``sweeps`` sequential-scan sweeps of every chain, in place.

    Chains are stored in tiles of T lanes: X (tiles, n, T) float32, K (tiles, T) int32 (number of
    units on), S (tiles, 4, T) uint32 RNG states; valid (tiles,) int64 = real chains per tile
    (padding lanes run but are never measured).  A tile (n T floats, sized to stay in L1) goes
    through all its sweeps before the next tile: chains are independent, so the result is
    bit-identical to sweeping all chains together, without streaming X from L2 for every unit.

    J (n, n) float32 symmetric zero diagonal, h (n,) float32, dV (n,) float32 = V[k+1] - V[k],
    has_v False when there is no population term (then g must be zeros), spin: bool, method: GIBBS
    or METROPOLIS, beta: inverse temperature.  When ``measure``, each sweep adds exact integer
    counts to count_x (n,), the upper triangle of count_xx (n, n) and count_k (n+1,) (int64).
    F (4, T), g, u, dx (T,) float32 and bits (n, ceil(T/64)) uint64 are scratch.
    """
    tiles, n, T = X.shape
    for t in range(tiles):
        Xt = X[t]
        Kt = K[t]
        St = S[t]
        for _ in range(sweeps):
            # units in blocks of 4 (fields from one pass over X, then corrected), the rest singly
            for i0 in range(0, n - n % 4, 4):
                _block_fields(Xt, J, h, i0, F)
                for k in range(4):
                    i = i0 + k
                    if has_v:
                        _gather_dv(Xt, Kt, dV, i, g)
                    _uniforms(St, u)
                    _update_row(Xt, Kt, i, F[k], g, u, dx, spin, method, beta)
                    if k < 3:
                        _correct_block(F, J, i0, k, dx)
            for i in range(n - n % 4, n):
                _local_fields(Xt, J, h, i, F[0])
                if has_v:
                    _gather_dv(Xt, Kt, dV, i, g)
                _uniforms(St, u)
                _update_row(Xt, Kt, i, F[0], g, u, dx, spin, method, beta)
            if measure:
                _pack_bits(Xt, valid[t], bits)
                _accumulate_tile(bits, valid[t], spin, count_x, count_xx)
                for c in range(valid[t]):
                    count_k[Kt[c]] += 1
