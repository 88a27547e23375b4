"""Deep Boltzmann machine (binary units, 2 or 3 hidden layers) and its learner (kind ``dbm``).

Energy, with layers x_0 = v (visible), x_1, ..., x_L (hidden), all in {0, 1}::

    E(x) = - sum_l b_l . x_l - sum_{l<L} x_l . W_l . x_{l+1},     W_l of shape (n_l, n_{l+1}).

A DBM is bipartite between its *even* layers (v, h2) and its *odd* layers (h1, h3): it is exactly an
RBM whose "visible" part is the even layers and whose "hidden" part is the odd layers, with a block
weight matrix (:meth:`DBM.as_rbm`).  Hence

* ``log Z`` is that RBM's log Z — exact by enumerating the smaller side when it has at most
  ``max_units`` units, else AIS (Salakhutdinov & Murray's estimator, :mod:`boltzmann_lab.sampling.ais`: the odd
  layers are summed out analytically and the even layers annealed, as Salakhutdinov & Hinton 2009);
* block Gibbs sampling alternates even and odd layers;
* the exact unnormalised log p*(v) sums out the odd layers and enumerates the even hidden layer
  h2 (when it has at most ``max_units`` units).

Variational lower bound (mean-field q(h) = prod_l prod_j Bernoulli(mu_lj))::

    log p(v) >= B(v) = -E_q[E(v, h)] + H(q) - log Z
             = b_0.v + sum_{l>=1} b_l.mu_l + v.W_0.mu_1 + sum_{l>=1} mu_l.W_l.mu_{l+1}
               - sum_{l>=1} sum_j [mu_lj log mu_lj + (1-mu_lj) log(1-mu_lj)] - log Z,

with mu from ``mean_field_iterations`` fixed-point sweeps mu_l = sigmoid(b_l + mu_{l-1} W_{l-1} +
mu_{l+1} W_l^T) (layers in order, initialised by a bottom-up pass with doubled input for the
layers that also receive top-down input).  ``evaluate`` reports it as ``ll`` with ``ll_method``
"bound" (the bound uses the exact or AIS log Z; ``log_z_method`` says which — with the forward AIS
estimate, itself a stochastic lower bound on log Z, the result is an estimate of the bound rather
than a certified bound).

Training (Salakhutdinov & Hinton 2009, simplified as stated): greedy layerwise pretraining of plain
binary RBMs (PCD-1, ``pretrain_epochs`` each; RBM l+1 is trained on the mean activations of layer l
under RBM l); the DBM takes the RBM weights W_l and biases, with the bias of a middle layer set to
the mean of the two RBMs' biases for it (no weight doubling/halving).  Then joint training: the
positive phase is the mean-field posterior of each minibatch row, the negative phase is ``chains``
persistent block-Gibbs chains (one even/odd sweep per update).  Gradient (ascended by
:mod:`boltzmann_lab.learning.optim`, L1/L2 on weights):

    dW_l = <mu_l mu_{l+1}^T>_data - <x_l x_{l+1}^T>_chains,     db_l = <mu_l>_data - <x_l>_chains.
"""

from __future__ import annotations

import math

import numpy as np

from boltzmann_lab.kernels.rng import seed_states
from boltzmann_lab.learning.minibatches import Minibatches
from boltzmann_lab.learning.optim import l1_l2_penalty_grad, make_optimizer
from boltzmann_lab.models.rbm import RBM, lanes, layer_states, logsumexp
from boltzmann_lab.learning.trainer import Learner
from boltzmann_lab.models.units import Binary

EXACT_UNITS = 20
_B = Binary()


def _sigmoid(x):
    return 0.5 * (1.0 + np.tanh(0.5 * x))


class DBM:
    """A binary DBM (model protocol kind ``dbm``): ``weights`` [W_0, ..., W_{L-1}], ``biases``
    [b_0 (visible), ..., b_L]."""

    kind = "dbm"
    convention = "binary"

    def __init__(self, weights, biases):
        self.W = [np.array(w, dtype=np.float64) for w in weights]
        self.b = [np.array(b, dtype=np.float64) for b in biases]
        if len(self.W) not in (2, 3):
            raise ValueError(f"a DBM here has 2 or 3 hidden layers, got {len(self.W)}")
        if len(self.b) != len(self.W) + 1:
            raise ValueError("a DBM needs one bias vector per layer (visible included)")
        for l, w in enumerate(self.W):
            if w.shape != (len(self.b[l]), len(self.b[l + 1])):
                raise ValueError(f"W{l} has shape {w.shape}, expected "
                                 f"({len(self.b[l])}, {len(self.b[l + 1])})")

    @classmethod
    def random(cls, sizes, scale=0.01, seed=0):
        """sizes = [n_visible, n_1, ..., n_L]; W ~ N(0, scale^2), zero biases."""
        rng = np.random.default_rng(seed)
        return cls([scale * rng.standard_normal((sizes[l], sizes[l + 1]))
                    for l in range(len(sizes) - 1)], [np.zeros(n) for n in sizes])

    @property
    def sizes(self):
        return [len(b) for b in self.b]

    @property
    def n_visible(self):
        return len(self.b[0])

    def __repr__(self):
        return f"DBM({' x '.join(map(str, self.sizes))})"

    # --- the bipartite (even | odd) RBM ----------------------------------------------------
    def _even_odd(self):
        L = len(self.b)
        return [l for l in range(L) if l % 2 == 0], [l for l in range(L) if l % 2 == 1]

    def as_rbm(self):
        """The exactly equivalent RBM: visible = concat(even layers), hidden = concat(odd)."""
        even, odd = self._even_odd()
        off_e = np.cumsum([0] + [self.sizes[l] for l in even])
        off_o = np.cumsum([0] + [self.sizes[l] for l in odd])
        Wb = np.zeros((off_e[-1], off_o[-1]))
        for l, w in enumerate(self.W):                 # w couples layer l and l+1
            if l % 2 == 0:                             # even l below odd l+1
                i, j = even.index(l), odd.index(l + 1)
                Wb[off_e[i]:off_e[i + 1], off_o[j]:off_o[j + 1]] = w
            else:                                      # odd l below even l+1
                i, j = even.index(l + 1), odd.index(l)
                Wb[off_e[i]:off_e[i + 1], off_o[j]:off_o[j + 1]] = w.T
        return RBM(Wb, np.concatenate([self.b[l] for l in even]),
                   np.concatenate([self.b[l] for l in odd]))

    # --- partition function and likelihoods -----------------------------------------------
    def exact_feasible(self, max_units=EXACT_UNITS):
        even, odd = self._even_odd()
        return min(sum(self.sizes[l] for l in even), sum(self.sizes[l] for l in odd)) <= max_units

    def log_partition(self, max_units=24, ais_betas=10000, ais_runs=100, seed=0, data=None):
        """(log Z, method): exact when a side of the bipartition has <= ``max_units`` units,
        else forward AIS on the equivalent RBM (base: data base rates on v, zero elsewhere)."""
        rbm = self.as_rbm()
        if rbm.exact_layer(max_units) is not None:
            return rbm.log_partition(max_units), "exact"
        from boltzmann_lab.sampling.ais import ais, base_rate_bias
        base = np.zeros(rbm.n_visible)
        if data is not None:
            base[:self.n_visible] = base_rate_bias(RBM(np.zeros((self.n_visible, 1))), data)
        res = ais(rbm, n_betas=ais_betas, n_runs=ais_runs, seed=seed, base_bias=base,
                  reverse=False)
        return res.log_z, "ais"

    def unnormalized_log_prob(self, v, max_units=EXACT_UNITS):
        """log p*(v) = log sum_h exp(-E(v, h)) exactly: odd layers summed out analytically, the
        even hidden layer h2 (if any) enumerated (at most ``max_units`` units)."""
        v = np.asarray(v, np.float64)
        W, b = self.W, self.b
        n2 = self.sizes[2]
        if n2 > max_units:
            raise ValueError(f"exact log p*(v) enumerates h2, which has {n2} > {max_units} "
                             "units")
        base = v @ b[0]
        in1 = v @ W[0] + b[1]                       # (M, n1)
        out = np.full(len(v), -np.inf)
        step = 1 << min(n2, 12)
        for start in range(0, 1 << n2, step):
            h2 = layer_states((0.0, 1.0), n2, start, min(1 << n2, start + step))  # (K, n2)
            t = h2 @ b[2]                                                    # (K,)
            if len(W) == 3:
                t = t + np.logaddexp(0.0, h2 @ W[2] + b[3]).sum(1)
            a1 = in1[:, None, :] + (h2 @ W[1].T)[None, :, :]                 # (M, K, n1)
            val = np.logaddexp(0.0, a1).sum(2) + t[None, :]
            out = np.logaddexp(out, logsumexp(val, axis=1))
        return base + out

    def log_prob(self, v, log_z=None):
        if log_z is None:
            log_z = self.log_partition()[0]
        return self.unnormalized_log_prob(v) - log_z

    # --- mean field and the bound ---------------------------------------------------------
    def mean_field(self, v, iterations=10):
        """Mean-field posterior means [mu_1, ..., mu_L] of q(h | v) (module docstring)."""
        v = np.asarray(v, np.float64)
        W, b = self.W, self.b
        L = len(W)
        mu = [v]
        for l in range(1, L + 1):                      # bottom-up init, doubled below the top
            factor = 2.0 if l < L else 1.0
            mu.append(_sigmoid(b[l] + factor * (mu[l - 1] @ W[l - 1])))
        for _ in range(int(iterations)):
            for l in range(1, L + 1):
                x = b[l] + mu[l - 1] @ W[l - 1]
                if l < L:
                    x = x + mu[l + 1] @ W[l].T
                mu[l] = _sigmoid(x)
        return mu[1:]

    def bound_terms(self, v, iterations=10):
        """Per row: -E_q[E(v,h)] + H(q) (the bound without -log Z), and the means."""
        v = np.asarray(v, np.float64)
        mu = [v] + self.mean_field(v, iterations)
        val = v @ self.b[0]
        for l in range(1, len(mu)):
            m = np.clip(mu[l], 1e-12, 1 - 1e-12)
            val = val + mu[l] @ self.b[l] + np.einsum("mi,ij,mj->m", mu[l - 1], self.W[l - 1],
                                                       mu[l])
            val = val - np.sum(m * np.log(m) + (1 - m) * np.log1p(-m), axis=1)
        return val, mu[1:]

    def bound(self, v, log_z=None, iterations=10):
        """Mean variational lower bound on log p(v) (nats per sample)."""
        if log_z is None:
            log_z = self.log_partition()[0]
        return float(np.mean(self.bound_terms(v, iterations)[0]) - log_z)

    # --- sampling -------------------------------------------------------------------------
    def gibbs_states(self, states, sweeps, rng):
        """Block Gibbs on a list of layer states (rows = chains): odd layers given even, then
        even given odd.  ``rng`` seed / Generator / lane array (one per chain)."""
        x = [np.array(s, np.float64) for s in states]
        st = lanes(rng, len(x[0]))
        L = len(x) - 1
        for _ in range(int(sweeps)):
            for parity in (1, 0):
                for l in range(parity, L + 1, 2):
                    phi = self.b[l] + (x[l - 1] @ self.W[l - 1] if l > 0 else 0.0)
                    if l < L:
                        phi = phi + x[l + 1] @ self.W[l].T
                    _, x[l] = _B.sample(np.ascontiguousarray(phi), st)
        return x

    def sample(self, n_samples, seed=0, sweeps=1000):
        """Visible fantasy particles from random starts after ``sweeps`` block-Gibbs sweeps."""
        rng = np.random.default_rng(seed)
        x = [rng.integers(0, 2, (n_samples, n)).astype(np.float64) for n in self.sizes]
        return self.gibbs_states(x, sweeps, lanes(rng, n_samples))[0]

    def reconstruct(self, v, iterations=10):
        """E[v | h_1 = mu_1] with mu the mean-field posterior of v."""
        mu1 = self.mean_field(v, iterations)[0]
        return _sigmoid(self.b[0] + mu1 @ self.W[0].T)

    # --- model protocol -------------------------------------------------------------------
    def evaluate(self, x, seed=0, iterations=10, ais_betas=10000, ais_runs=100):
        """``ll`` = mean variational lower bound (``ll_method`` "bound"), ``log_z`` and
        ``log_z_method``; ``ll_exact`` when h2 and a bipartition side are small enough;
        ``recon_error``."""
        x = np.asarray(x, np.float64)
        _B.check(x, "data")
        lz, how = self.log_partition(ais_betas=ais_betas, ais_runs=ais_runs, seed=seed, data=x)
        out = {"ll": self.bound(x, lz, iterations), "ll_method": "bound", "log_z": lz,
               "log_z_method": how}
        if how == "exact" and self.sizes[2] <= EXACT_UNITS:
            out["ll_exact"] = float(np.mean(self.unnormalized_log_prob(x)) - lz)
        out["recon_error"] = float(np.mean((x - self.reconstruct(x, iterations)) ** 2))
        return out

    def to_arrays(self):
        arrays = {f"W{l}": w for l, w in enumerate(self.W)}
        arrays.update({f"b{l}": b for l, b in enumerate(self.b)})
        return {"layers": len(self.b)}, arrays

    @classmethod
    def from_arrays(cls, meta, arrays):
        n = int(meta.get("layers", 0)) or sum(1 for k in arrays if k.startswith("b"))
        try:
            return cls([arrays[f"W{l}"] for l in range(n - 1)], [arrays[f"b{l}"] for l in range(n)])
        except KeyError as exc:
            raise ValueError(f"DBM model file lacks the array {exc.args[0]!r}") from None


# ----------------------------------------------------------------------------------- learner
def _guarded_steps(learner, steps):
    """Run ``steps`` pretraining steps with the trainer's divergence rule (a parameter NaN,
    infinite or beyond ``learner.param_limit`` in magnitude): on divergence the last good
    parameters are put back and this layer's pretraining ends there, so the DBM never starts from
    (and a roll-back never returns to) diverged weights."""
    good = {k: v.copy() for k, v in learner.params.items()}
    for _ in range(steps):
        learner.step()
        sane = all(np.isfinite(v).all() and float(np.abs(v).max(initial=0.0)) <= learner.param_limit
                   for v in learner.params.values())
        if not sane:
            for k, v in good.items():
                learner.params[k][...] = v
            learner.params_changed()
            return False
        for k, v in learner.params.items():
            good[k][...] = v
    return True


def pretrain(data, hidden, epochs, seed=0, learning_rate=0.01, batch_size=100, chains=100):
    """Greedy layerwise RBM pretraining (module docstring); returns a :class:`DBM`."""
    from boltzmann_lab.learning.rbm import RBMLearner
    sizes = [data.shape[1]] + list(hidden)
    W, b_up, b_down = [], [], []
    x = np.asarray(data, np.float64)
    for l in range(len(hidden)):
        lr = RBMLearner(x, n_hidden=hidden[l], method="pcd", k=1, chains=chains,
                        batch_size=batch_size, learning_rate=learning_rate, optimizer="adam",
                        seed=seed + 17 * l, precision="float64", strict=False)
        _guarded_steps(lr, int(math.ceil(epochs * lr.steps_per_epoch)))
        m = lr.model
        W.append(m.W.astype(np.float64).copy())
        b_down.append(m.a.astype(np.float64).copy())
        b_up.append(m.b.astype(np.float64).copy())
        x = m.hidden.mean(x @ m.W + m.b)              # mean activations feed the next RBM
    biases = [b_down[0]]
    for l in range(1, len(sizes)):
        if l < len(sizes) - 1:
            biases.append(0.5 * (b_up[l - 1] + b_down[l]))
        else:
            biases.append(b_up[l - 1])
    return DBM(W, biases)


class DBMLearner(Learner):
    """Learner for kind ``dbm``: pretraining in the constructor, then joint PCD (module
    docstring).  Metrics: ``step`` -> ``recon_error``, ``learning_rate``; ``evaluate`` ->
    ``train_ll``/``val_ll`` (variational lower bounds with exact or AIS log Z), ``log_z``,
    ``train_ll_exact`` (tiny models)."""

    kind = "dbm"
    convention = "binary"

    def __init__(self, train, val=None, hidden=(20, 20), pretrain_epochs=5.0, chains=100,
                 mean_field_iterations=10, batch_size=100, learning_rate=0.01,
                 optimizer="adam", momentum=0.9, schedule="constant", decay=0.0, l1=0.0,
                 l2=0.0, seed=0, image_shape=None, ais_betas=1000, ais_runs=50):
        train = np.asarray(train, np.float64)
        _B.check(train, "training data")
        if len(hidden) not in (2, 3):
            raise ValueError(f"[model] hidden must list 2 or 3 layer sizes, got {list(hidden)}")
        self.train = train
        self.val = np.zeros((0, train.shape[1])) if val is None else np.asarray(val, np.float64)
        self.image_shape = image_shape
        self.seed = int(seed)
        rng = np.random.default_rng(seed)
        sizes = [train.shape[1]] + [int(h) for h in hidden]
        if pretrain_epochs > 0:
            self.model = pretrain(train, sizes[1:], pretrain_epochs, seed=seed,
                                  learning_rate=learning_rate, batch_size=batch_size)
        else:
            self.model = DBM.random(sizes, seed=seed)
            m = np.clip(train.mean(0), 1e-3, 1 - 1e-3)
            self.model.b[0][:] = np.log(m / (1 - m))
        self.params = {}
        for l, w in enumerate(self.model.W):
            self.params[f"W{l}"] = w
        for l, b in enumerate(self.model.b):
            self.params[f"b{l}"] = b
        self.batch_size = min(int(batch_size), len(train))
        self.steps_per_epoch = math.ceil(len(train) / self.batch_size)
        self.iterations = int(mean_field_iterations)
        self.l1, self.l2 = float(l1), float(l2)
        self.ais_betas, self.ais_runs = int(ais_betas), int(ais_runs)
        self.opt = make_optimizer(optimizer, learning_rate, momentum, schedule, decay)
        self.step_count = 0
        self.batches = Minibatches(len(train), self.batch_size, self.seed)
        C = int(chains)
        self.chains = [train[rng.integers(0, len(train), C)].copy()] + \
            [rng.integers(0, 2, (C, n)).astype(np.float64) for n in sizes[1:]]
        self.chain_lanes = seed_states(C, rng)
        self.eval_train = train[:1000]
        self.eval_val = self.val[:1000]

    def _next_batch(self):
        return self.train[self.batches.next()]

    def step(self):
        m = self.model
        v = self._next_batch()
        B = len(v)
        mu = [v] + m.mean_field(v, self.iterations)
        self.chains = m.gibbs_states(self.chains, 1, self.chain_lanes)
        x = self.chains
        C = len(x[0])
        grads = {}
        for l in range(len(m.W)):
            g = mu[l].T @ mu[l + 1] / B - x[l].T @ x[l + 1] / C
            if self.l1 or self.l2:
                g += l1_l2_penalty_grad(m.W[l], self.l1, self.l2)
            grads[f"W{l}"] = g
        for l in range(len(m.b)):
            grads[f"b{l}"] = mu[l].mean(0) - x[l].mean(0)
        lr = self.opt.lr
        r = min(B, 10)
        rec = _sigmoid(m.b[0] + mu[1][:r] @ m.W[0].T)
        self.opt.step(self.params, grads)
        self.step_count += 1
        return {"recon_error": float(np.mean((v[:r] - rec) ** 2)), "learning_rate": float(lr)}

    def evaluate(self):
        m = self.model
        lz, how = m.log_partition(ais_betas=self.ais_betas, ais_runs=self.ais_runs,
                                  seed=[self.seed, 4, self.step_count], data=self.train)
        out = {"log_z": lz, "train_ll": m.bound(self.eval_train, lz, self.iterations)}
        if len(self.eval_val):
            out["val_ll"] = m.bound(self.eval_val, lz, self.iterations)
        if how == "exact" and m.sizes[2] <= EXACT_UNITS:
            out["train_ll_exact"] = float(np.mean(m.unnormalized_log_prob(self.eval_train)) - lz)
        return out

    def views(self, n_show=16):
        m = self.model
        data = self.train[:n_show]
        fantasy = self.chains[0][:n_show].copy()
        return {"data": data.copy(), "reconstruction": m.reconstruct(data, self.iterations),
                "fantasy": fantasy, "filters": m.W[0].copy(), "state": fantasy[0].copy()}

    def set_hyper(self, name, value):
        if name == "learning_rate":
            self.opt.lr0 = float(value)
        elif name in ("l1", "l2"):
            setattr(self, name, float(value))
        elif name == "mean_field_iterations":
            self.iterations = max(1, int(value))
        else:
            raise KeyError(f"dbm has no adjustable parameter {name!r}; use learning_rate, l1, "
                           "l2 or mean_field_iterations")

    def state_dict(self):
        d = {f"param/{k}": v.copy() for k, v in self.params.items()}
        d.update({f"opt/{k}": (v.copy() if isinstance(v, np.ndarray) else v)
                  for k, v in self.opt.state_dict().items()})
        d.update({f"dbm/chain{l}": c.copy() for l, c in enumerate(self.chains)})
        d.update({"dbm/chain_lanes": self.chain_lanes.copy(), "dbm/step": self.step_count,
                  "dbm/epoch": self.batches.epoch, "dbm/pos": self.batches.pos, "dbm/l1": self.l1,
                  "dbm/l2": self.l2, "dbm/lr0": self.opt.lr0, "dbm/iterations": self.iterations})
        return d

    def load_state_dict(self, state):
        for k in self.params:
            self.params[k][...] = state[f"param/{k}"]
        self.opt.load_state_dict({k[4:]: v for k, v in state.items() if k.startswith("opt/")})
        self.chains = [np.array(state[f"dbm/chain{l}"], np.float64)
                       for l in range(len(self.chains))]
        self.chain_lanes[...] = state["dbm/chain_lanes"]
        self.step_count = int(state["dbm/step"])
        self.batches.restore(state["dbm/epoch"], state["dbm/pos"])
        self.l1, self.l2 = float(state["dbm/l1"]), float(state["dbm/l2"])
        self.opt.lr0 = float(state["dbm/lr0"])
        self.iterations = int(state["dbm/iterations"])


def make_learner(cfg, dataset):
    """The ``dbm`` learner from a resolved config and a :class:`boltzmann_lab.data.dataset.Dataset`."""
    if dataset is None:
        raise ValueError("a DBM needs training data ([data] path or generator)")
    if dataset.convention not in ("binary", "spin"):
        raise ValueError("a DBM has binary units: set [data] binarize for real-valued data")
    from boltzmann_lab.learning.rbm import data_for_units
    train = data_for_units(dataset.train, dataset.convention, "binary")
    val = data_for_units(dataset.val, dataset.convention, "binary") if len(dataset.val) else None
    m, t = cfg["model"], cfg["training"]
    hidden = m["hidden"]
    if not (isinstance(hidden, list) and len(hidden) in (2, 3)
            and all(isinstance(h, int) and h >= 1 for h in hidden)):
        raise ValueError(f"[model] hidden must be a list of 2 or 3 positive integers, got {hidden!r}")
    return DBMLearner(train, val, hidden=hidden, pretrain_epochs=t["pretrain_epochs"],
                      chains=t["chains"], mean_field_iterations=t["mean_field_iterations"],
                      batch_size=t["batch_size"], learning_rate=t["learning_rate"],
                      optimizer=t["optimizer"], momentum=t["momentum"], schedule=t["schedule"],
                      decay=t["decay"], l1=t["l1"], l2=t["l2"], seed=t["seed"],
                      image_shape=dataset.image_shape, ais_betas=t.get("ais_betas", 1000),
                      ais_runs=t.get("ais_runs", 50))
