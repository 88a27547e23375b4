"""Training an RBM by (persistent) contrastive divergence: the learner for kind ``rbm``.

Gradient of the mean log-likelihood (ascended by :mod:`boltzmann_lab.learning.optim`; identical for every unit type
because the coupling uses the raw unit values, see :mod:`boltzmann_lab.models.units`)::

    dW = <v E[h|v]>_data - <v E[h|v]>_model - l2 W - l1 sign(W)
    da = <v>_data - <v>_model,          db = <E[h|v]>_data - <E[h|v]>_model

Centring (``centering``, Melchior, Fischer & Wiskott, JMLR 17 (2016) 1-39; the config default):
the same model written with offsets, E = -(v - mu).W.(h - lam) - (v - mu).a_c - (h - lam).b_c,
is ascended in the centred parameters (W, a_c, b_c) — a better-conditioned ascent of the same
likelihood.  mu = mean of the training data (fixed), lam = running mean of E[h|v] over the
minibatches (sliding factor ``CENTERING_SLIDE``, started at its value on the data).  In the
stored parameters (a = a_c - W lam, b = b_c - W^T mu) an optimizer step (dW_c, da_c, db_c) of the
centred gradient dW_c = dW - mu db^T - da lam^T (da, db as above) is
dW = dW_c, da = da_c - dW_c lam, db = db_c - dW_c^T mu; moving an offset changes the centred
parameters only, not the model.  For plain gradient steps this is d = P P^T g with P the
Jacobian of the reparametrisation, an ascent direction (g.d = |P^T g|^2 >= 0).

The model averages come from negative particles ``v`` (samples) and ``E[h|v]`` (conditional means):

* ``cd``  (CD-k): k block-Gibbs sweeps starting from the minibatch (one particle per data row).
* ``pcd`` (PCD-k, Tieleman 2008): ``chains`` persistent fantasy particles advanced k sweeps per
  update.  As in scikit-learn's BernoulliRBM, the hidden sample that starts a sweep was drawn at
  the end of the previous update (before that update's parameter change), which saves one matrix
  product per step.
* ``pt`` (parallel tempering): ``temperatures`` replicas of the ``chains`` particles at inverse
  temperatures beta_r = 1 - r/(R-1) (beta = 1 ... 0, all fixed and documented; the energy's linear
  and coupling terms are scaled by beta, Gaussian self-energies are not), k sweeps each, then
  Metropolis swaps of neighbouring replicas (even pairs, then odd pairs) with acceptance
  min(1, exp((beta_r - beta_s)(E_r - E_s))).  Only the beta = 1 replica enters the gradient and the
  displayed fantasy particles.

Rate scaling (``rate_scaling = "fan_in"``, the config default): the optimizer's base rate is
``learning_rate * min(1, (FAN_IN_REF / n_visible) ** FAN_IN_POWER)``.  Adam moves every weight
by about the rate per step whatever the size of its gradient, so a hidden unit's input (a sum
over n_visible weights) moves up to n_visible times as far.  The power is measured, not derived:
benchmarks/bench_quality.py's best rates for 16 hidden units fell from 0.02 at 64 visible units
to 0.002-0.015 at 256 (geometric mean 0.005) and 0.0003 at 1600 (the review's set, where 0.0008
was 4 nats and 0.0001 33 nats worse); 1.25 is the least-squares power through those.  The scaled
rate is what ``step()`` reports as ``learning_rate``; ``set_hyper("learning_rate", x)`` scales
``x`` the same way.

Initialisation (Hinton, "A practical guide to training RBMs", 2010): W ~ N(0, 0.01^2) (small
weights), hidden bias 0, visible bias = logit of the data mean clipped to [1e-3, 1 - 1e-3] (binary; atanh for spins,
mean / sigma^2 for Gaussian units).  Persistent chains start at randomly chosen training rows.
Minibatches: ``steps_per_epoch = ceil(M / batch_size)``; the data are reshuffled each epoch with
a permutation drawn from ``(seed, epoch)``.

Metrics — ``step()``: ``recon_error`` (mean squared error of the mean-field reconstruction
E[v | h = E[h|v]] of the first <= 10 rows of the minibatch, with the parameters before the update), ``learning_rate``.  ``evaluate()``: ``train_ll``/``val_ll``
exact (enumeration) when the smaller discrete layer is small enough for a live run (one evaluation
within ``cost.LIVE_EVAL_SECONDS`` by the cost model: 2^20 states beside 64 units is, beside 784 it
is not), otherwise ``train_pll``/``val_pll``
(pseudo-log-likelihood; exact for <= 100 visibles, else one random unit per row times n), and
``free_energy_gap`` = mean F(val) - mean F(train subset of the same size) (overfitting shows as a
growing gap).  All on at most 1000 rows.
"""

from __future__ import annotations

import math

import numpy as np

from boltzmann_lab.kernels.rng import seed_states
from boltzmann_lab.learning import cost as _cost
from boltzmann_lab.learning.minibatches import Minibatches
from boltzmann_lab.learning.optim import SGD, l1_l2_penalty_grad, make_optimizer
from boltzmann_lab.sampling.tempering import swap_neighbours
from boltzmann_lab.models.rbm import RBM, stochastic_pll  # noqa: F401  (stochastic_pll re-exported)

#: visible layer size up to which ``rate_scaling = "fan_in"`` leaves the rate unchanged (the
#: 8 x 8 digits, where the default rate was chosen), and the power of the fall beyond it
FAN_IN_REF = 64
FAN_IN_POWER = 1.25


def rate_scale(rate_scaling: str, n_visible: int) -> float:
    """Factor applied to the configured learning rate (module docstring, "Rate scaling")."""
    if rate_scaling == "none":
        return 1.0
    if rate_scaling == "fan_in":
        return min(1.0, (FAN_IN_REF / max(int(n_visible), 1)) ** FAN_IN_POWER)
    raise ValueError(f"unknown rate_scaling {rate_scaling!r}; choose fan_in or none")
from boltzmann_lab.learning.trainer import Learner

EVAL_ROWS = 1000
RECON_ROWS = 10
#: centring: the hidden offset follows the minibatch mean of E[h|v] with this sliding factor
CENTERING_SLIDE = 0.05


def centered_gradient(grads, mu, lam):
    """The gradient with respect to the centred parameters (module docstring), in place:
    dW_c = dW - mu db^T - da lam^T (da, db unchanged).  Returns ``grads``."""
    gW = grads["W"]
    gW -= np.outer(mu, grads["b"]).astype(gW.dtype, copy=False)
    gW -= np.outer(grads["a"], lam).astype(gW.dtype, copy=False)
    return grads


def uncentered_step(deltas, mu, lam):
    """A step (dW_c, da_c, db_c) of the centred parameters as a step of the stored ones:
    dW = dW_c, da = da_c - dW_c lam, db = db_c - dW_c^T mu (``deltas["W"]`` is reused)."""
    dW = deltas["W"]
    return {"W": dW, "a": deltas["a"] - dW @ lam, "b": deltas["b"] - dW.T @ mu}


def visible_units_for(dataset, requested):
    """Unit type of the visible layer: ``auto`` follows the data convention."""
    if requested == "auto":
        return {"binary": "binary", "spin": "spin", "real": "gaussian"}[dataset.convention]
    return requested


def data_for_units(x, convention, units_name):
    """Convert data to the visible units' convention (binary <-> spin), or explain the mismatch."""
    from boltzmann_lab.data.conventions import convert_data
    x = np.asarray(x, np.float64)
    target = {"binary": "binary", "spin": "spin", "gaussian": "real"}[units_name]
    if target == convention or target == "real":
        return x
    if convention == "real":
        raise ValueError(f"{units_name} visible units need binary or spin data, but the data are "
                         f"real-valued; set [data] binarize or use visible_units = 'gaussian'")
    return np.asarray(convert_data(x, convention, target), np.float64)


def initial_visible_bias(units, x, clip=1e-3):
    """Hinton's visible-bias initialisation for the unit type (module docstring)."""
    m = np.asarray(x, np.float64).mean(axis=0)
    if units.name == "binary":
        m = np.clip(m, clip, 1 - clip)
        return np.log(m / (1 - m))
    if units.name == "spin":
        return np.arctanh(np.clip(m, -1 + 2 * clip, 1 - 2 * clip))
    return m / units.sigma_array(len(m)) ** 2


class RBMLearner(Learner):
    """Learner for kind ``rbm`` (see the module docstring).  ``strict=False`` accepts values
    between the unit states (probabilities as data, e.g. for DBM pretraining)."""

    kind = "rbm"

    def __init__(self, train, val=None, n_hidden=20, visible="binary", hidden="binary",
                 sigma=1.0, method="pcd", k=1, chains=100, temperatures=10, batch_size=100,
                 learning_rate=0.05, optimizer="adam", momentum=0.9, schedule="constant",
                 decay=0.0, l1=0.0, l2=0.0, seed=0, precision="float32", image_shape=None,
                 strict=True, centering=False, rate_scaling="none"):
        if method not in ("cd", "pcd", "pt"):
            raise ValueError(f"unknown RBM training method {method!r}; choose cd, pcd or pt")
        self.dtype = np.dtype(precision)
        train = np.asarray(train, np.float64)
        if train.ndim != 2 or len(train) == 0:
            raise ValueError("RBM training needs a non-empty (M, n) data array")
        val = np.zeros((0, train.shape[1])) if val is None else np.asarray(val, np.float64)
        rng = np.random.default_rng(seed)
        nv = train.shape[1]
        self.model = RBM(0.01 * rng.standard_normal((nv, int(n_hidden))), visible=visible,
                         hidden=hidden, sigma_v=sigma, sigma_h=sigma, dtype=self.dtype)
        if strict:
            self.model.visible.check(train, "training data")
        elif not np.all(np.isfinite(train)):
            raise ValueError("training data contain NaN or infinite values")
        self.model.a[:] = initial_visible_bias(self.model.visible, train)
        self.params = {"W": self.model.W, "a": self.model.a, "b": self.model.b}
        self.convention = self.model.convention
        self.image_shape = image_shape
        self.train64, self.val64 = train, val
        self.train = np.ascontiguousarray(train, self.dtype)
        self.method, self.k = method, int(k)
        self.batch_size = min(int(batch_size), len(train))
        self.steps_per_epoch = math.ceil(len(train) / self.batch_size)
        self.l1, self.l2 = float(l1), float(l2)
        self.seed = int(seed)
        self.rate_scale = rate_scale(rate_scaling, nv)
        self.opt = make_optimizer(optimizer, learning_rate * self.rate_scale, momentum,
                                  schedule, decay)
        self.step_count = 0
        self.batches = Minibatches(len(train), self.batch_size, self.seed)
        # RNG lanes: one per minibatch row (positive phase / CD), per chain (negative phase)
        self.batch_lanes = seed_states(self.batch_size, rng)
        n_chains = int(chains) if method != "cd" else 0
        self.R = int(temperatures) if method == "pt" else 1
        self.betas = (1.0 - np.arange(self.R) / (self.R - 1)) if self.R > 1 else np.ones(1)
        self.chain_lanes = seed_states(max(n_chains * self.R, 1), rng)
        if n_chains:
            idx = rng.integers(0, len(train), size=n_chains * self.R)
            self.v_chain = self.train[idx].copy()
            beta_col = np.repeat(self.betas, n_chains)[:, None]
            _, self.h_chain = self.model.hidden.sample(
                (beta_col * self.model.hidden_field(self.v_chain)).astype(self.dtype),
                self.chain_lanes)
        else:
            self.v_chain = np.zeros((0, nv), self.dtype)
            self.h_chain = np.zeros((0, int(n_hidden)), self.dtype)
        self.n_chains = n_chains
        # centring offsets (module docstring): mu = data mean (fixed), lam = running mean of
        # E[h|v] over the minibatches, started at its value on the data
        self.centering = bool(centering)
        self.mu = np.asarray(train.mean(0), self.dtype)
        self.lam = np.asarray(self.model.hidden.mean(
            self.model.hidden_field(self.train[:EVAL_ROWS])).mean(0), self.dtype)
        self.fast = (self.model.visible.name == "binary" and self.model.hidden.name == "binary"
                     and self.dtype == np.float32 and method in ("cd", "pcd"))
        if self.fast:
            self._fast_buffers()
        self.swap_accept = np.zeros(max(self.R - 1, 1))
        self.swap_tries = np.zeros(max(self.R - 1, 1))
        # evaluation subsets (fixed) and display chain (own RNG, never touches training)
        self.eval_train = train[:EVAL_ROWS] if len(train) <= EVAL_ROWS else \
            train[np.sort(rng.choice(len(train), EVAL_ROWS, replace=False))]
        self.eval_val = val[:EVAL_ROWS]
        self.display_lanes = seed_states(16, rng)
        self.display_chain = self.train[rng.integers(0, len(train), 16)].copy()
        # early stopping (monitor = "auto") watches what evaluate() reports
        if not self.exact_feasible() and self.model.visible.discrete:
            self.monitor = "val_pll"

    # --- minibatches ----------------------------------------------------------------------
    def _batch_indices(self):
        return self.batches.next()

    def _next_batch(self):
        return self.train[self.batches.next()]

    # --- one update -----------------------------------------------------------------------
    def _negative_phase(self, h_start):
        """k sweeps from hidden states ``h_start`` at beta = 1; returns (v, E[h|v], h sample)."""
        m = self.model
        st = self.chain_lanes[:len(h_start)] if self.method != "cd" else self.batch_lanes[:len(h_start)]
        h = h_start
        for _ in range(self.k):
            _, v = m.visible.sample(m.visible_field(h), st)
            ph, h = m.hidden.sample(m.hidden_field(v), st)
        return v, ph, h

    def _pt_phase(self):
        """k tempered sweeps of all replicas, then neighbour swaps; returns the beta = 1 replica."""
        m, C, R = self.model, self.n_chains, self.R
        beta_col = np.repeat(self.betas, C)[:, None].astype(self.dtype)
        st = self.chain_lanes
        h = self.h_chain
        for _ in range(self.k):
            phi_v = beta_col * (h @ m.W.T + m.a)
            _, v = m.visible.sample(phi_v.astype(self.dtype), st)
            phi_h = beta_col * m.hidden_field(v)
            _, h = m.hidden.sample(phi_h.astype(self.dtype), st)
        # linear + coupling energy of each replica (the tempered part)
        v64, h64 = v.astype(np.float64), h.astype(np.float64)
        W = m.W.astype(np.float64)
        e = -(v64 @ m.a.astype(np.float64) + h64 @ m.b.astype(np.float64)
              + np.einsum("ij,ij->i", v64 @ W, h64)).reshape(R, C)
        v, h = v.reshape(R, C, -1), h.reshape(R, C, -1)
        u = np.random.default_rng([self.seed, 2, self.step_count]).random((R, C))
        slot = swap_neighbours(self.betas, e, u, self.swap_tries, self.swap_accept)
        cols = np.arange(C)[None, :]
        v, h = v[slot, cols], h[slot, cols]
        self.v_chain = v.reshape(R * C, -1)
        self.h_chain = h.reshape(R * C, -1)
        v1 = self.v_chain[:C]
        ph1 = m.hidden.mean(m.hidden_field(v1))
        return v1, ph1

    def _fast_buffers(self):
        """Preallocated float32 buffers of the binary fast path (see :meth:`_step_fast`)."""
        nv, nh = self.model.W.shape
        Bm = self.batch_size
        C = self.n_chains if self.method == "pcd" else Bm
        self._L = np.empty((Bm + C, nv), np.float32)      # [v_data; v_negative]
        self._R = np.empty((Bm + C, nh), np.float32)      # [E[h|v_data]/B; -E[h|v_neg]/C]
        self._pre_h = np.empty((max(Bm, C), nh), np.float32)
        # [chain hidden states; E[h|v] of the first minibatch rows], multiplied by W^T together
        # so that the reconstruction error costs no extra pass over W
        self._Hx = np.empty((C + RECON_ROWS, nh), np.float32)
        self._pre_v = np.empty((C + RECON_ROWS, nv), np.float32)
        self._gW = np.empty((nv, nh), np.float32)
        if self.method == "pcd":
            self._Hx[:C] = self.h_chain
            self.h_chain = self._Hx[:C]                   # the persistent states live there

    def _step_fast(self):
        """PCD-k / CD-k for binary x binary float32: BLAS products into preallocated buffers,
        fused sigmoid + Bernoulli kernels, and the weight gradient as ONE product
        [v; v_neg]^T [E[h|v]/B; -E[h|v_neg]/C].  Returns (grads, recon_error)."""
        from boltzmann_lab.kernels.rbm import fast_sigmoid_bernoulli as fsb
        m = self.model
        W, a, b = m.W, m.a, m.b
        idx = self._batch_indices()
        B = len(idx)
        cd = self.method == "cd"
        C = B if cd else self.n_chains
        nrec = min(B, RECON_ROWS)
        one = np.float32(1.0)
        L, R = self._L[:B + C], self._R[:B + C]
        np.take(self.train, idx, axis=0, out=L[:B])
        pre_h, Hx = self._pre_h, self._Hx
        H = Hx[:C]
        np.matmul(L[:B], W, out=pre_h[:B])
        lanes_neg = self.batch_lanes[:B] if cd else self.chain_lanes
        fsb(pre_h[:B], b, self.batch_lanes[:B], R[:B], np.float32(1.0 / B), H, cd)
        np.multiply(R[:nrec], np.float32(B), out=Hx[C:C + nrec])
        Vn = L[B:]
        recon = 0.0
        for sweep in range(self.k):
            rows = C + nrec if sweep == 0 else C
            pre_v = self._pre_v[:rows]
            np.matmul(Hx[:rows], W.T, out=pre_v)
            fsb(pre_v[:C], a, lanes_neg, pre_v[:C], one, Vn, True)
            if sweep == 0:
                rec = pre_v[C:]
                fsb(rec, a, lanes_neg, rec, one, rec, False)
                recon = float(np.mean((L[:nrec] - rec) ** 2))
            np.matmul(Vn, W, out=pre_h[:C])
            last = sweep == self.k - 1
            fsb(pre_h[:C], b, lanes_neg, R[B:] if last else pre_h[:C],
                np.float32(-1.0 / C if last else 1.0), H, True)
        gW = np.matmul(L.T, R, out=self._gW)
        grads = {"W": gW, "a": L[:B].mean(0) - Vn.mean(0), "b": R.sum(0)}
        if not cd:
            self.v_chain[...] = Vn
        if self.centering:
            self._h_data_mean = R[:B].sum(0)
        return grads, recon

    def step(self):
        m = self.model
        if self.fast:
            grads, recon = self._step_fast()
            lr = self._update(grads)
            return {"recon_error": recon, "learning_rate": float(lr)}
        v = self._next_batch()
        B = len(v)
        st = self.batch_lanes[:B]
        ph, hs = m.hidden.sample(m.hidden_field(v), st)
        if self.method == "cd":
            vn, phn, _ = self._negative_phase(hs)
        elif self.method == "pcd":
            vn, phn, self.h_chain = self._negative_phase(self.h_chain)
            self.v_chain = vn
        else:
            vn, phn = self._pt_phase()
        C = len(vn)
        gW = v.T @ ph
        gW *= 1.0 / B
        gW -= (vn.T @ phn) * (1.0 / C)
        grads = {"W": gW,
                 "a": v.mean(0) - vn.mean(0),
                 "b": ph.mean(0) - phn.mean(0)}
        r = min(B, RECON_ROWS)
        rec = m.visible.mean(ph[:r] @ m.W.T + m.a)        # before the update, as the fast path
        self._h_data_mean = ph.mean(0)
        lr = self._update(grads)
        return {"recon_error": float(np.mean((v[:r] - rec) ** 2)), "learning_rate": float(lr)}

    def _update(self, grads):
        W = self.model.W
        if self.centering:
            mu, lam = self.mu, self.lam
            centered_gradient(grads, mu, lam)
        if self.l1 or self.l2:
            grads["W"] += l1_l2_penalty_grad(W, self.l1, self.l2)
        lr = self.opt.lr
        if self.centering:
            deltas = uncentered_step(self._deltas(grads, lr), mu, lam)
            for k, d in deltas.items():
                self.params[k] += d.astype(self.params[k].dtype, copy=False)
            hm = getattr(self, "_h_data_mean", None)
            if hm is not None:
                self.lam += self.lam.dtype.type(CENTERING_SLIDE) * (
                    np.asarray(hm, self.lam.dtype) - self.lam)
        elif type(self.opt) is SGD:
            # same update as SGD.step, in place (no temporary of the size of W)
            for k, g in grads.items():
                g *= g.dtype.type(lr)
                self.params[k] += g
            self.opt.t += 1
        else:
            self.opt.step(self.params, grads)
        self.step_count += 1
        return lr

    def _deltas(self, grads, lr):
        """The optimizer's step for each gradient, without applying it."""
        if type(self.opt) is SGD:
            for g in grads.values():
                g *= g.dtype.type(lr)
            self.opt.t += 1
            return grads
        buf = getattr(self, "_delta_buf", None)
        if buf is None:
            buf = self._delta_buf = {k: np.zeros_like(g) for k, g in grads.items()}
        for v in buf.values():
            v[...] = 0
        self.opt.step(buf, grads)
        return buf

    # --- evaluation -----------------------------------------------------------------------
    def exact_feasible(self):
        """Exact ``train_ll``/``val_ll`` in :meth:`evaluate`: a layer can be enumerated within a
        live run's cap (``cost.LIVE_EVAL_SECONDS`` by the cost model; ``boltzmann-lab evaluate``
        goes up to the enumeration limit)."""
        return self.model.exact_layer(_cost.LIVE_EVAL_SECONDS) is not None

    def _step_seconds(self):
        nv, nh = self.model.W.shape
        B = self.batch_size
        C = B if self.method == "cd" else self.n_chains * self.R
        return _cost.step_seconds(muladds=nv * nh * (2 * B + (2 * self.k + 1) * C),
                                  samples=B * nh + self.k * C * (nv + nh),
                                  calls=0 if self.fast else 40)

    def _eval_seconds(self):
        m = self.model
        nv, nh = m.W.shape
        n_val = len(self.eval_val)
        rows = len(self.train64) + len(self.val64)
        t = _cost.seconds(muladds=2 * n_val * nv * nh, elements=2 * n_val * nh)  # free-energy gap
        layer = m.exact_layer(_cost.LIVE_EVAL_SECONDS)
        if layer in ("visible", "hidden"):
            k, w = (nv, nh) if layer == "visible" else (nh, nv)
            t += _cost.enumeration_seconds(k, w)
            t += _cost.seconds(muladds=rows * nv * nh, elements=rows * nh)
        elif layer == "gaussian":
            t += _cost.seconds(muladds=(nv + nh) ** 3 + rows * nv * nh, elements=rows * nh)
        elif m.visible.discrete:
            rows = len(self.eval_train) + n_val
            per_row = nv if nv <= 100 else 1               # exact PLL flips every visible unit
            t += _cost.seconds(muladds=rows * nv * nh, elements=3 * rows * per_row * nh,
                               calls=4 * per_row)
        return t

    def evaluation_cost(self):
        """One :meth:`evaluate` in training steps, by the cost model (:mod:`~boltzmann_lab.
        learning.cost`): an exact log Z enumerates 2^k states of the smaller layer (k = 20
        beside 64 units: thousands of steps)."""
        return _cost.ratio(self._eval_seconds(), self._step_seconds())

    def _pll(self, x, tag):
        m = self.model
        if m.n_visible <= 100:
            return m.pll(x)
        # one random unit per row, times n (unbiased for the full sum); fixed seed per eval
        rng = np.random.default_rng([self.seed, 3, self.step_count, tag])
        return stochastic_pll(m, x, rng)

    def evaluate(self):
        m = self.model
        out = {}
        if self.exact_feasible():
            lz = m.log_partition()
            out["train_ll"] = float(-m.free_energy(self.train64).mean() - lz)
            if len(self.val64):
                out["val_ll"] = float(-m.free_energy(self.val64).mean() - lz)
            out["log_z"] = lz
        elif m.visible.discrete:
            out["train_pll"] = self._pll(self.eval_train, 0)
            if len(self.eval_val):
                out["val_pll"] = self._pll(self.eval_val, 1)
        if len(self.eval_val):
            n = len(self.eval_val)
            out["free_energy_gap"] = float(m.free_energy(self.eval_val).mean()
                                           - m.free_energy(self.eval_train[:n]).mean())
        if self.method == "pt":
            out["swap_rate"] = float(self.swap_accept.sum() / max(self.swap_tries.sum(), 1))
        return out

    def views(self, n_show=16):
        m = self.model
        data = self.train64[:n_show]
        if self.n_chains:
            fantasy = self.v_chain[:min(n_show, self.n_chains)]
        else:
            # CD has no persistent particles: advance a small display chain (own RNG lanes)
            self.display_chain = m.gibbs(self.display_chain, 1, self.display_lanes)
            fantasy = self.display_chain[:n_show]
        fantasy = np.array(fantasy, np.float64)
        return {"data": data.copy(), "reconstruction": m.reconstruct(data),
                "fantasy": fantasy, "filters": np.array(m.W, np.float64),
                "state": fantasy[0].copy()}

    def set_hyper(self, name, value):
        if name == "learning_rate":
            self.opt.lr0 = float(value) * self.rate_scale
        elif name == "l1":
            self.l1 = float(value)
        elif name == "l2":
            self.l2 = float(value)
        elif name == "k":
            self.k = max(1, int(value))
        else:
            raise KeyError(f"rbm has no adjustable parameter {name!r}; "
                           "use learning_rate, l1, l2 or k")

    # --- sessions -------------------------------------------------------------------------
    def state_dict(self):
        d = {f"param/{k}": v.copy() for k, v in self.params.items()}
        d.update({f"opt/{k}": (v.copy() if isinstance(v, np.ndarray) else v)
                  for k, v in self.opt.state_dict().items()})
        d.update({"rbm/v_chain": self.v_chain.copy(), "rbm/h_chain": self.h_chain.copy(),
                  "rbm/batch_lanes": self.batch_lanes.copy(),
                  "rbm/chain_lanes": self.chain_lanes.copy(),
                  "rbm/display_lanes": self.display_lanes.copy(),
                  "rbm/display_chain": self.display_chain.copy(),
                  "rbm/swap_accept": self.swap_accept.copy(),
                  "rbm/swap_tries": self.swap_tries.copy(),
                  "rbm/step": self.step_count, "rbm/epoch": self.batches.epoch,
                  "rbm/pos": self.batches.pos,
                  "rbm/k": self.k, "rbm/l1": self.l1, "rbm/l2": self.l2,
                  "rbm/lr0": self.opt.lr0, "rbm/lam": self.lam.copy()})
        return d

    def load_state_dict(self, state):
        for k in self.params:
            self.params[k][...] = state[f"param/{k}"]
        self.opt.load_state_dict({k[4:]: v for k, v in state.items() if k.startswith("opt/")})
        self.v_chain[...] = state["rbm/v_chain"]
        self.h_chain[...] = state["rbm/h_chain"]          # may be a view into a fast-path buffer
        for name in ("batch_lanes", "chain_lanes", "display_lanes"):
            getattr(self, name)[...] = state[f"rbm/{name}"]
        self.display_chain = np.array(state["rbm/display_chain"], self.dtype)
        self.swap_accept[...] = state["rbm/swap_accept"]
        self.swap_tries[...] = state["rbm/swap_tries"]
        self.step_count = int(state["rbm/step"])
        self.batches.restore(state["rbm/epoch"], state["rbm/pos"])
        self.k = int(state["rbm/k"])
        self.l1, self.l2 = float(state["rbm/l1"]), float(state["rbm/l2"])
        self.opt.lr0 = float(state["rbm/lr0"])
        if "rbm/lam" in state:
            self.lam[...] = state["rbm/lam"]

    # --- persistent chains (boltzmann_lab.learning.observers) ---------------------------------
    def n_persistent_chains(self):
        """Number of persistent (beta = 1) chains; 0 for CD."""
        return self.n_chains

    def fantasy_particles(self):
        """All beta = 1 persistent chains (chains, n_visible) float64, or None for CD."""
        return np.array(self.v_chain[:self.n_chains], np.float64) if self.n_chains else None

    def chain_observables(self, index):
        """(F(v)/n_visible, mean visible value) of the persistent chains ``index``."""
        if not self.n_chains:
            return None
        v = self.v_chain[index]
        return (self.model.free_energy(v) / self.model.n_visible,
                np.asarray(v, np.float64).mean(axis=1))


def make_learner(cfg, dataset):
    """The ``rbm`` learner from a resolved config and a :class:`boltzmann_lab.data.dataset.Dataset`."""
    if dataset is None:
        raise ValueError("an RBM needs training data ([data] path or generator)")
    mcfg, t = cfg["model"], cfg["training"]
    visible = visible_units_for(dataset, mcfg["visible_units"])
    train = data_for_units(dataset.train, dataset.convention, visible)
    val = data_for_units(dataset.val, dataset.convention, visible) if len(dataset.val) else None
    return RBMLearner(train, val, n_hidden=mcfg["hidden"], visible=visible,
                      hidden=mcfg["hidden_units"], sigma=mcfg["sigma"], method=t["method"],
                      k=t["k"], chains=t["chains"], temperatures=t["temperatures"],
                      batch_size=t["batch_size"], learning_rate=t["learning_rate"],
                      optimizer=t["optimizer"], momentum=t["momentum"], schedule=t["schedule"],
                      decay=t["decay"], l1=t["l1"], l2=t["l2"], seed=t["seed"],
                      precision=t.get("precision", "float32"), image_shape=dataset.image_shape,
                      centering=t.get("centering", False),
                      rate_scaling=t.get("rate_scaling", "none"))
