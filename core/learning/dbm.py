"""Learning a deep Boltzmann machine (kind ``dbm``): optional pretraining, then joint training.

Start: with ``pretrain_epochs`` = 0 (the config default) small random weights N(0, 0.01^2), zero
hidden biases and the visible bias at the logit of the data means; with ``pretrain_epochs`` > 0
greedy layerwise pretraining (Salakhutdinov & Hinton 2009, simplified as stated) of plain
binary RBMs (PCD-1, ``pretrain_epochs`` each; RBM l+1 is trained on the mean activations of layer l
under RBM l); the DBM takes the RBM weights W_l and biases, with the bias of a middle layer set to
the mean of the two RBMs' biases for it (no weight doubling/halving).  Then joint training: the
positive phase is the mean-field posterior mu of each minibatch row, the negative phase is
``chains`` persistent block-Gibbs chains (one even/odd sweep per update).  Gradient (ascended by
:mod:`boltzmann_lab.learning.optim`, L1/L2 on weights):

    dW_l = <mu_l mu_{l+1}^T>_data - <x_l x_{l+1}^T>_chains,     db_l = <mu_l>_data - <x_l>_chains.

Negative phase (``method``):

* ``pcd``: the chains at the model (beta = 1).
* ``pt`` (parallel tempering, the config default): ``temperatures`` replicas of every chain at
  inverse temperatures beta_r = 1 - r/(R-1) (1 ... 0; beta scales the whole energy, so beta = 0
  is uniform), one tempered sweep each, then Metropolis swaps of neighbouring replicas (even
  pairs, then odd pairs) with acceptance min(1, exp((beta_r - beta_s)(E_r - E_s))).  Only the
  beta = 1 replicas enter the gradient and the displayed fantasy particles; ``evaluate`` reports
  the mean ``swap_rate``.  Why: on data with well separated modes (two ordered phases) plain
  persistent chains never cross between the modes, the chains' mode balance is frozen while the
  biases that set the model's balance keep moving, and the likelihood swings with it.

Centring (``centering``, Montavon & Mueller, "Deep Boltzmann machines and the centering trick",
2012; Melchior, Fischer & Wiskott, JMLR 17 (2016)): the same model written with offsets o_l,
E = -sum_l (x_l - o_l).b_c,l - sum_l (x_l - o_l).W_l.(x_{l+1} - o_{l+1}), is ascended in the
centred parameters.  o_0 = data mean (fixed), o_l (l >= 1) = running mean of mu_l over the
minibatches (sliding factor ``CENTERING_SLIDE``, started at its value on the first 1000 rows).
The centred gradient is dW_c,l = dW_l - o_l db_{l+1}^T - db_l o_{l+1}^T (db unchanged); an
optimizer step (dW_c, db_c) of it moves the stored parameters by dW_l = dW_c,l,
db_l = db_c,l - dW_c,{l-1}^T o_{l-1} - dW_c,l o_{l+1}; moving an offset changes the centred
parameters only, not the model.  For plain gradient steps this is d = P P^T g (P the Jacobian of
the reparametrisation), an ascent direction.  Measured (benchmarks/bench_quality.py): tempering
alone and centring alone do not make the two-mode fit stable (centred plain PCD diverges there);
both together, without pretraining, do on both DBM rows.
"""

from __future__ import annotations

import math

import numpy as np

from boltzmann_lab.kernels.rng import seed_states
from boltzmann_lab.learning.minibatches import Minibatches
from boltzmann_lab.learning.optim import l1_l2_penalty_grad, make_optimizer
from boltzmann_lab.learning import cost as _cost
from boltzmann_lab.learning.trainer import Learner
from boltzmann_lab.models.dbm import DBM, _B
from boltzmann_lab.sampling.tempering import swap_neighbours
from boltzmann_lab.stats.numerics import sigmoid

#: sliding factor of the hidden offsets (centring), as the RBM learner's
CENTERING_SLIDE = 0.05


def _guarded_steps(learner, steps):
    """Run ``steps`` pretraining steps with the trainer's divergence rule (a parameter NaN,
    infinite or beyond ``learner.param_limit`` in magnitude): on divergence the last good
    parameters are put back and this layer's pretraining ends there, so the DBM never starts from
    (and a roll-back never returns to) diverged weights.  Returns whether all steps were kept."""
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
    ``train_ll``/``val_ll`` (the best estimate: exact when log Z and h2 can be enumerated, else
    the bound), ``train_bound``/``val_bound`` (mean-field variational lower bounds with the exact
    or AIS log Z), ``log_z``."""

    kind = "dbm"
    convention = "binary"

    def __init__(self, train, val=None, hidden=(20, 20), pretrain_epochs=5.0, chains=100,
                 mean_field_iterations=10, batch_size=100, learning_rate=0.01,
                 optimizer="adam", momentum=0.9, schedule="constant", decay=0.0, l1=0.0,
                 l2=0.0, seed=0, image_shape=None, ais_betas=1000, ais_runs=50, method="pcd",
                 temperatures=10, centering=False):
        if method not in ("pcd", "pt"):
            raise ValueError(f"unknown DBM training method {method!r}; choose pcd or pt")
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
        self.method, self.n_chains = method, C
        self.R = int(temperatures) if method == "pt" else 1
        self.betas = (1.0 - np.arange(self.R) / (self.R - 1)) if self.R > 1 else np.ones(1)
        self.beta_col = np.repeat(self.betas, C)[:, None] if self.R > 1 else None
        RC = self.R * C
        self.chains = [train[rng.integers(0, len(train), RC)].copy()] + \
            [rng.integers(0, 2, (RC, n)).astype(np.float64) for n in sizes[1:]]
        self.chain_lanes = seed_states(RC, rng)
        self.swap_accept = np.zeros(max(self.R - 1, 1))
        self.swap_tries = np.zeros(max(self.R - 1, 1))
        self.swap_round = 0
        self.eval_train = train[:1000]
        self.eval_val = self.val[:1000]
        # centring offsets: data mean (visible, fixed), running mean of the mean-field
        # posterior on the minibatches (hidden, started at its value on the data)
        self.centering = bool(centering)
        self.offsets = [train.mean(0)] + [u.mean(0) for u in
                                          self.model.mean_field(train[:1000], self.iterations)]

    def _next_batch(self):
        return self.train[self.batches.next()]

    def step(self):
        m = self.model
        v = self._next_batch()
        B = len(v)
        mu = [v] + m.mean_field(v, self.iterations)
        x = self._negative_phase()
        C = self.n_chains
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
        rec = sigmoid(m.b[0] + mu[1][:r] @ m.W[0].T)
        if self.centering:
            self._centred_step(grads, [u.mean(0) for u in mu[1:]])
        else:
            self.opt.step(self.params, grads)
        self.step_count += 1
        return {"recon_error": float(np.mean((v[:r] - rec) ** 2)), "learning_rate": float(lr)}

    def _centred_step(self, grads, hidden_means):
        """One optimizer step in the centred parameters (module docstring), applied to the
        stored ones; then the hidden offsets slide towards this minibatch's posterior means."""
        o, L = self.offsets, len(self.model.W)
        for l in range(L):                  # dWc_l = dW_l - o_l db_{l+1}^T - db_l o_{l+1}^T
            grads[f"W{l}"] = grads[f"W{l}"] - np.outer(o[l], grads[f"b{l + 1}"]) \
                - np.outer(grads[f"b{l}"], o[l + 1])
        d = {k: np.zeros_like(v) for k, v in self.params.items()}
        self.opt.step(d, grads)
        for l in range(L + 1):              # b_l = bc_l - W_{l-1}^T o_{l-1} - W_l o_{l+1}
            db = d[f"b{l}"]
            if l > 0:
                db = db - d[f"W{l - 1}"].T @ o[l - 1]
            if l < L:
                db = db - d[f"W{l}"] @ o[l + 1]
            self.params[f"b{l}"] += db
        for l in range(L):
            self.params[f"W{l}"] += d[f"W{l}"]
        for l, hm in enumerate(hidden_means, start=1):
            o[l] += CENTERING_SLIDE * (hm - o[l])

    def _negative_phase(self):
        """Advance the chains (one tempered sweep and the swaps under ``pt``); returns the
        beta = 1 replicas, one array per layer."""
        self.chains = self.model.gibbs_states(self.chains, 1, self.chain_lanes, self.beta_col)
        if self.R > 1:
            self._swap()
        return [c[:self.n_chains] for c in self.chains]

    def _swap(self):
        """One round of neighbour swaps (:func:`boltzmann_lab.sampling.tempering.swap_neighbours`:
        even pairs, then odd pairs, acceptance min(1, exp((beta_r - beta_s)(E_r - E_s)))); the
        states move once, by a row permutation."""
        R, C = self.R, self.n_chains
        e = self.model.energy(self.chains).reshape(R, C)
        u = np.random.default_rng([self.seed, 2, self.swap_round]).random((R, C))
        self.swap_round += 1
        slot = swap_neighbours(self.betas, e, u, self.swap_tries, self.swap_accept)
        perm = (slot * C + np.arange(C)).ravel()
        self.chains = [x[perm] for x in self.chains]

    # --- evaluation cost (a priori, :mod:`boltzmann_lab.learning.cost`) ------------------------
    def _live(self):
        """(exact log Z, exact log p(v)) within a live run's cap (``cost.LIVE_EVAL_SECONDS``);
        the sizes never change, so it is computed once."""
        if getattr(self, "_live_cache", None) is None:
            rows = len(self.eval_train) + len(self.eval_val)
            self._live_cache = (self.model.exact_feasible(_cost.LIVE_EVAL_SECONDS),
                                self.model.exact_ll_feasible(_cost.LIVE_EVAL_SECONDS, rows))
        return self._live_cache

    def _step_seconds(self):
        sizes = self.model.sizes
        w = sum(a * b for a, b in zip(sizes, sizes[1:]))
        B, C, it = self.batch_size, len(self.chains[0]), self.iterations   # all replicas
        return _cost.step_seconds(muladds=2 * it * B * w + 3 * C * w + (B + C) * w,
                                  elements=it * B * sum(sizes[1:]), samples=C * sum(sizes),
                                  calls=10 * it * len(sizes) + 40)

    def _eval_seconds(self):
        m, sizes = self.model, self.model.sizes
        w = sum(a * b for a, b in zip(sizes, sizes[1:]))
        rows = len(self.eval_train) + len(self.eval_val)
        exact_z, exact_ll = self._live()
        t = _cost.seconds(muladds=2 * self.iterations * rows * w,         # the bounds
                          elements=(self.iterations + 2) * rows * sum(sizes[1:]),
                          calls=10 * self.iterations * len(sizes))
        even, odd = sum(sizes[0::2]), sum(sizes[1::2])
        if exact_z:
            k = min(even, odd)
            t += _cost.enumeration_seconds(k, even + odd - k)
        else:                                               # forward AIS on the equivalent RBM
            R, K = self.ais_runs, self.ais_betas
            t += _cost.seconds(muladds=2 * K * R * even * odd, samples=K * R * (even + odd),
                               elements=K * R * odd, calls=15 * K)
        if exact_ll:
            t += _cost.enumeration_seconds(sizes[2], rows * sizes[1] + sum(sizes[3:]))
        return t

    def evaluation_cost(self):
        """One :meth:`evaluate` in training steps by the cost model: exact log Z / exact log p(v)
        by enumeration when within the live cap, else AIS and the mean-field bounds."""
        return _cost.ratio(self._eval_seconds(), self._step_seconds())

    def evaluate(self):
        m = self.model
        exact_z, exact_ll = self._live()
        lz, how = m.log_partition_with_method("auto" if exact_z else "ais", self.ais_betas,
                                              self.ais_runs,
                                              seed=[self.seed, 4, self.step_count],
                                              data=self.train)
        out = {"log_z": lz, "train_bound": m.bound(self.eval_train, lz, self.iterations)}
        if self.R > 1:
            out["swap_rate"] = float(self.swap_accept.sum() / max(self.swap_tries.sum(), 1))
        if len(self.eval_val):
            out["val_bound"] = m.bound(self.eval_val, lz, self.iterations)
        # train_ll / val_ll: the best estimate — exact when affordable in a live run, else the
        # bound (``boltzmann-lab evaluate`` goes up to the enumeration limit)
        if how == "exact" and exact_ll:
            out["train_ll"] = float(np.mean(m.unnormalized_log_prob(self.eval_train)) - lz)
            if len(self.eval_val):
                out["val_ll"] = float(np.mean(m.unnormalized_log_prob(self.eval_val)) - lz)
        else:
            out["train_ll"] = out["train_bound"]
            if len(self.eval_val):
                out["val_ll"] = out["val_bound"]
        return out

    def views(self, n_show=16):
        m = self.model
        data = self.train[:n_show]
        fantasy = self.chains[0][:min(n_show, self.n_chains)].copy()
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
                  "dbm/l2": self.l2, "dbm/lr0": self.opt.lr0, "dbm/iterations": self.iterations,
                  "dbm/swap_accept": self.swap_accept.copy(),
                  "dbm/swap_tries": self.swap_tries.copy(), "dbm/swap_round": self.swap_round})
        d.update({f"dbm/offset{l}": o.copy() for l, o in enumerate(self.offsets)})
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
        if "dbm/swap_accept" in state:          # files written before tempering and centring
            self.swap_accept[...] = state["dbm/swap_accept"]
            self.swap_tries[...] = state["dbm/swap_tries"]
            self.swap_round = int(state["dbm/swap_round"])
            for l, o in enumerate(self.offsets):
                o[...] = state[f"dbm/offset{l}"]

    # --- persistent chains (boltzmann_lab.learning.observers) ---------------------------------
    def n_persistent_chains(self):
        return self.n_chains

    def fantasy_particles(self):
        """The visible layer of the persistent chains (chains, n_visible) float64."""
        return np.array(self.chains[0][:self.n_chains], np.float64)

    def chain_observables(self, index):
        """(E(x)/units of the joint chain state, mean visible value) of the chains ``index``,
        E = -sum_l (b_l.x_l + x_l W_l x_{l+1})."""
        m, x = self.model, [c[:self.n_chains][index] for c in self.chains]
        e = -sum(x[l] @ m.b[l] for l in range(len(m.b)))
        e = e - sum(np.einsum("ci,ci->c", x[l] @ m.W[l], x[l + 1]) for l in range(len(m.W)))
        return e / sum(c.shape[1] for c in x), x[0].mean(axis=1)


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
                      ais_runs=t.get("ais_runs", 50), method=t.get("method", "pt"),
                      temperatures=t.get("temperatures", 10),
                      centering=t.get("centering", True))
