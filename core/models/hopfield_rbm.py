"""Hopfield network ≡ RBM with Gaussian hidden units (REFERENCES.md, "RBMs"): the exact
conversions both ways and a side-by-side comparison of the two samplers (single-spin heat bath
vs block Gibbs) against the exact answer."""

from __future__ import annotations

import numpy as np

from boltzmann_lab.exact.enumeration import MAX_UNITS, enumerate_stats
from boltzmann_lab.models.hopfield import HopfieldModel, hebbian, run_dynamics
from boltzmann_lab.stats.autocorr import integrated_autocorr_time


def hopfield_to_rbm(model: HopfieldModel, tol=1e-10):
    """An RBM with spin visibles and Gaussian hidden units whose visible marginal is exactly the
    Hopfield distribution p(s) ~ exp(-E(s)) (T = 1).

    With the RBM convention of :mod:`boltzmann_lab.models.units` (raw coupling v.W.h, hidden self-energy
    h^2/(2 sigma^2)), summing out h gives couplings W diag(sigma^2) W^T and fields a + W sigma^2 b;
    for spins the diagonal of W diag(sigma^2) W^T is a constant.  Two constructions:

    * J = c * Hebbian(patterns) for some c > 0 (the Hebbian rule, possibly scaled by 1/T): one
      hidden unit per pattern, W = Xi^T (the patterns are the weights), sigma^2 = c / n.
    * any other symmetric J: J + lambda I (lambda = -smallest eigenvalue, so the matrix is positive
      semi-definite; this only adds a constant for spins) = U diag(l) U^T, one hidden unit per
      positive eigenvalue, W = U sqrt(l), sigma = 1.

    a = h and b = 0 in both cases.  Returns ``boltzmann_lab.models.rbm.RBM`` (float64).
    """
    from boltzmann_lab.models.rbm import RBM

    J = model.J
    n = model.n
    if model.n_patterns:
        Hb = hebbian(model.patterns)
        nrm = float(np.sum(Hb * Hb))
        c = float(np.sum(J * Hb)) / nrm if nrm > 0 else 0.0
        if c > 0 and np.allclose(J, c * Hb, rtol=1e-10, atol=1e-12):
            sigma = np.full(model.n_patterns, np.sqrt(c / n))
            return RBM(model.patterns.T.copy(), model.h.copy(), np.zeros(model.n_patterns),
                       visible="spin", hidden="gaussian", sigma_h=sigma)
    lam, U = np.linalg.eigh(J)
    shift = max(0.0, -lam[0])
    lam = lam + shift
    keep = lam > tol * max(1.0, lam.max())
    if not keep.any():          # J = 0: one hidden unit with zero weights keeps the shapes valid
        keep = np.zeros_like(lam, dtype=bool)
        keep[-1] = True
        lam[-1] = 0.0
    W = U[:, keep] * np.sqrt(lam[keep])
    return RBM(W, model.h.copy(), np.zeros(W.shape[1]), visible="spin", hidden="gaussian",
               sigma_h=1.0)


def rbm_to_hopfield(rbm):
    """The Hopfield network (spin convention) equal to the visible marginal of an RBM with
    Gaussian hidden units (spin or binary visibles).

    J_full = W diag(sigma^2) W^T, f = a + W (sigma^2 b).  Spin visibles: J = J_full off the
    diagonal, h = f.  Binary visibles: the pairwise binary model has J_b = J_full off the diagonal and
    h_b = f + diag(J_full)/2 (v_i^2 = v_i); it is converted exactly to spins s = 2v - 1
    (``boltzmann_lab.data.conventions``), so the returned network describes s = 2v - 1.  The "patterns" are
    xi^mu = sqrt(n) sigma_mu W[:, mu] (halved for binary visibles) so that J = (1/n) sum xi xi^T
    off the diagonal; they are real-valued in general (``rule = "rbm"``).
    """
    from boltzmann_lab.data.conventions import pairwise_binary_to_spin

    if getattr(rbm.hidden, "name", None) != "gaussian":
        raise ValueError(f"rbm_to_hopfield needs Gaussian hidden units, got {rbm.hidden.name}")
    if rbm.visible.name not in ("spin", "binary"):
        raise ValueError(f"rbm_to_hopfield needs spin or binary visible units, got "
                         f"{rbm.visible.name}")
    W = np.asarray(rbm.W, np.float64)
    n, k = W.shape
    var = rbm.hidden.sigma_array(k) ** 2
    Jfull = (W * var) @ W.T
    f = np.asarray(rbm.a, np.float64) + W @ (var * np.asarray(rbm.b, np.float64))
    J = Jfull.copy()
    np.fill_diagonal(J, 0.0)
    patterns = (np.sqrt(n) * W * np.sqrt(var)).T
    if rbm.visible.name == "binary":
        f, J, _ = pairwise_binary_to_spin(f + 0.5 * np.diag(Jfull), J)
        patterns = 0.5 * patterns
    J = 0.5 * (J + J.T)
    return HopfieldModel(patterns, J, f, rule="rbm")


def compare_samplers(model: HopfieldModel, chains=32, sweeps=2000, burn_in=200, seed=0):
    """Sample the Hopfield distribution (T = 1) two ways and compare with the exact answer.

    * ``hopfield``: single-spin heat-bath dynamics, asynchronous random-order sweeps (one sweep =
      n single-unit updates);
    * ``rbm``: block Gibbs v -> h -> v of :func:`hopfield_to_rbm` (one step = one update of every
      visible and hidden unit).

    Both run ``chains`` independent chains from uniformly random states for ``burn_in`` + ``sweeps``
    steps.  Observables: energy E(s) and m_mu(s)^2 for every pattern (symmetric under s -> -s, so
    they are not trapped by the s -> -s barrier).  Returns a dict:
    ``exact`` {name: value} (enumeration, n <= ``MAX_UNITS``) and, per sampler, {name: (mean, se, tau)} where
    tau is the integrated autocorrelation time in steps of that sampler and
    se = sqrt(var * tau / (chains * sweeps)).
    """
    from boltzmann_lab.kernels.rng import seed_states as _lanes

    rng = np.random.default_rng(seed)
    n = model.n

    def observables(S):
        m2 = model.overlaps(S) ** 2
        return np.column_stack([model.energy(S), m2])

    names = ["energy"] + [f"m{mu}^2" for mu in range(model.n_patterns)]
    rbm = hopfield_to_rbm(model)
    out = {}
    S0 = 2.0 * rng.integers(0, 2, size=(chains, n)) - 1.0
    for which in ("hopfield", "rbm"):
        S = S0.copy()
        lanes = _lanes(chains, rng)
        trace = np.empty((sweeps, chains, len(names)))
        for t in range(burn_in + sweeps):
            if which == "hopfield":
                run_dynamics(model.J, model.h, S, "async", 1.0, 1, stop=False, rng_states=lanes)
            else:
                S = np.asarray(rbm.gibbs(S, 1, lanes), dtype=np.float64)
            if t >= burn_in:
                trace[t - burn_in] = observables(S)
        res = {}
        for k, name in enumerate(names):
            series = trace[:, :, k].T                   # (chains, sweeps)
            tau = integrated_autocorr_time(series)
            var = series.var()
            res[name] = (float(series.mean()), float(np.sqrt(var * tau / series.size)), tau)
        out[which] = res
    if n <= MAX_UNITS:
        # <E> and <m_mu^2> from the exact second moments (s_i^2 = 1 fills the diagonal)
        h, J0, c = model.as_pairwise()
        st = enumerate_stats(h, J0, "spin")
        xi = model.patterns
        exact = {"energy": float(-0.5 * np.sum(J0 * st.second) - h @ st.mean + c)}
        for mu in range(model.n_patterns):
            exact[f"m{mu}^2"] = float(xi[mu] @ st.second @ xi[mu] / n ** 2)
        out["exact"] = exact
    return out
