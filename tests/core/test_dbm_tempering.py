"""DBM joint training: tempered persistent chains sample the exact distribution (enumeration), the
centred step is the reparametrised gradient step, and tempered + centred runs resume bit for bit."""

import itertools

import numpy as np

from boltzmann_lab.learning.dbm import DBMLearner
from boltzmann_lab.models.dbm import DBM


def two_mode_dbm():
    """6 visible, 3 + 2 hidden: h1 on switches every pixel on, off switches them off — two modes
    (all on / all off) separated by a barrier of several nats."""
    W0 = np.full((6, 3), 4.0)
    W1 = np.full((3, 2), 1.0)
    return DBM([W0, W1], [np.full(6, -9.1), np.full(3, -7.0), np.full(2, -1.0)])


def exact_visible_distribution(d):
    V = np.array(list(itertools.product((0.0, 1.0), repeat=d.sizes[0])))
    p = np.exp(d.unnormalized_log_prob(V) - d.log_partition())
    return V, p


def chain_frequencies(method, sweeps=400, burn=100, chains=400, temperatures=8):
    """Time-averaged indicator of each visible state per chain, chains started in one mode."""
    d = two_mode_dbm()
    start = np.zeros((4, 6))                   # every chain starts at v = all off
    L = DBMLearner(start, hidden=(3, 2), pretrain_epochs=0, chains=chains, method=method,
                   temperatures=temperatures, seed=3)
    for k, w in enumerate(d.W):
        L.params[f"W{k}"][...] = w
    for k, b in enumerate(d.b):
        L.params[f"b{k}"][...] = b
    codes = 1 << np.arange(5, -1, -1)          # row index of v in itertools.product order
    counts = np.zeros((chains, 64))
    for t in range(burn + sweeps):
        v = L._negative_phase()[0]
        if t >= burn:
            counts[np.arange(chains), (v @ codes).astype(int)] += 1
    return counts / sweeps, L, d


def test_tempered_chains_sample_the_exact_distribution_across_the_barrier():
    freq, L, d = chain_frequencies("pt")
    V, p = exact_visible_distribution(d)
    assert p[0] > 0.4 and p[-1] > 0.4          # two modes, each with a large weight
    # chains are independent of each other: the standard error of the mean frequency is the
    # spread over chains / sqrt(chains) (it includes each chain's autocorrelation)
    mean = freq.mean(0)
    se = freq.std(0, ddof=1) / np.sqrt(len(freq))
    z = np.abs(mean - p) / np.maximum(se, 1e-3)
    assert z.max() < 4.5, (z.max(), mean[[0, -1]], p[[0, -1]])
    acc = L.swap_accept / L.swap_tries
    assert np.all(acc > 0.05)
    assert 0.0 < L.evaluate()["swap_rate"] <= 1.0


def test_plain_persistent_chains_stay_in_their_mode():
    """The reason for tempering: at beta = 1 the chains started all-off hardly reach all-on."""
    freq, _, d = chain_frequencies("pcd", sweeps=200, burn=50, chains=100)
    _, p = exact_visible_distribution(d)
    assert freq.mean(0)[-1] < 0.5 * p[-1]


def centred_energy(x, Wc, bc, o):
    e = -sum((x[l] - o[l]) @ bc[l] for l in range(len(bc)))
    return e - sum(np.einsum("ci,ci->c", (x[l] - o[l]) @ Wc[l], x[l + 1] - o[l + 1])
                   for l in range(len(Wc)))


def stored(Wc, bc, o):
    """The stored (uncentred) parameters of centred ones (learning.dbm docstring)."""
    L = len(Wc)
    b = [bc[l] - (Wc[l - 1].T @ o[l - 1] if l > 0 else 0) - (Wc[l] @ o[l + 1] if l < L else 0)
         for l in range(L + 1)]
    return [w.copy() for w in Wc], b


def test_centred_step_is_the_reparametrised_gradient_step():
    rng = np.random.default_rng(0)
    sizes = [4, 3, 2]
    o = [rng.random(n) for n in sizes]
    Wc = [rng.standard_normal((sizes[l], sizes[l + 1])) for l in range(2)]
    bc = [rng.standard_normal(n) for n in sizes]
    # the map is right: both energies differ by a constant over every joint state
    X = [np.array(list(itertools.product((0.0, 1.0), repeat=n))) for n in sizes]
    idx = np.array(list(itertools.product(*[range(len(x)) for x in X])))
    x = [X[l][idx[:, l]] for l in range(3)]
    W, b = stored(Wc, bc, o)
    diff = centred_energy(x, Wc, bc, o) - DBM(W, b).energy(x)
    assert np.ptp(diff) < 1e-10
    # P = Jacobian of stored(.) (linear: columns by unit steps); expected SGD step P P^T g
    theta = np.concatenate([a.ravel() for a in Wc + bc])
    shapes = [a.shape for a in Wc + bc]

    def unpack(t):
        out, k = [], 0
        for s in shapes:
            out.append(t[k:k + int(np.prod(s))].reshape(s))
            k += int(np.prod(s))
        return out[:2], out[2:]

    def flat(t):
        W, b = stored(*unpack(t), o)
        return np.concatenate([a.ravel() for a in W + b])
    P = np.stack([flat(e) for e in np.eye(len(theta))], axis=1)
    g = rng.standard_normal(len(theta))
    expected = P @ (P.T @ g)
    L = DBMLearner(np.zeros((3, 4)), hidden=(3, 2), pretrain_epochs=0, optimizer="sgd",
                   learning_rate=1.0, centering=True)
    for k in range(3):
        L.offsets[k][...] = o[k]
    before = {k: v.copy() for k, v in L.params.items()}
    gw, gb = unpack(g)
    grads = {**{f"W{k}": gw[k].copy() for k in range(2)}, **{f"b{k}": gb[k].copy() for k in range(3)}}
    L._centred_step(grads, [o[1], o[2]])
    step = [L.params[f"W{k}"] - before[f"W{k}"] for k in range(2)] + \
        [L.params[f"b{k}"] - before[f"b{k}"] for k in range(3)]
    np.testing.assert_allclose(np.concatenate([a.ravel() for a in step]), expected, atol=1e-12)
    assert g @ expected > 0                    # an ascent direction
