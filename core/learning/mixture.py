"""The ``mixture`` learner: EM on a mixture model, one iteration per step, with the lower bound
and the Fig. 59 slices made visible (Mehta et al. 2019, sec. 14).

Learner metrics (per step t, nats per sample): ``train_ll`` = ℓ(θᵗ); ``bound`` = −F_q(θᵗ⁺¹) with q
the E-step posterior at θᵗ (+ log p(θᵗ⁺¹)/M for MAP); ``kl_gap`` = KL(q ‖ p(z|x, θᵗ⁺¹)) =
J(θᵗ⁺¹) − bound ≥ 0; ``objective`` = J(θᵗ) (= ``train_ll`` without a prior); ``estep_gap`` =
J(θᵗ) − (−F_q(θᵗ)) (zero up to round-off: the bound touches at θᵗ); ``ll_gain`` = J(θᵗ⁺¹) − J(θᵗ).
So ``objective`` ≤ ``bound`` ≤ ``objective`` of the next step.  ``evaluate()`` adds ``val_ll`` at the
current parameters θᵗ⁺¹.  Converged when ``ll_gain`` < ``tolerance``.

Views (see ``MixtureLearner.views``): the slices of :func:`boltzmann_lab.learning.em_slices.em_slice`,
``means``, ``weights``, ``biases`` (binomial), ``fantasy`` (exact samples of the current mixture,
seeded by (seed, iteration)), ``data``.

The families, their parameter domains, MAP priors and initialisation are described in
:mod:`boltzmann_lab.models.mixture` and :mod:`boltzmann_lab.learning.mixture_em`.
"""

from __future__ import annotations

import math

import numpy as np

from boltzmann_lab.config import ConfigError
from boltzmann_lab.learning import em as _em
from boltzmann_lab.learning.em_slices import em_slice
from boltzmann_lab.learning.mixture_em import (MixtureEM, _compress, _placeholder, initial_model,
                                               run_em)
from boltzmann_lab.learning.trainer import Learner
from boltzmann_lab.models.mixture import FAMILIES
from boltzmann_lab.stats.numerics import logsumexp


# ----------------------------------------------------------------------------------- learner
class MixtureLearner(Learner):
    """EM for a mixture, one iteration per :meth:`step` (``steps_per_epoch`` = 1).

    Parameters: ``train``/``val`` (M, n) data in ``convention``; ``family`` (binomial, bernoulli,
    gaussian); ``components`` K; ``covariance``/``covariance_floor`` (gaussian); ``init``,
    ``init_params``, ``fit_weights``, ``prior`` ([a, b] Beta prior, MAP), ``restarts``,
    ``tolerance`` (per-sample nats), ``seed`` (initialisation only: EM itself is deterministic),
    ``max_iter`` (length of each restart's run).  Metrics and views: module docstring."""

    kind = "mixture"
    steps_per_epoch = 1.0

    def __init__(self, train, val=None, *, family, components, convention="binary",
                 image_shape=None, covariance="full", covariance_floor=1e-6, init="kmeans++",
                 init_params=None, fit_weights=True, prior=None, restarts=1, tolerance=1e-8,
                 seed=0, max_iter=1000):
        train = np.ascontiguousarray(train, dtype=float)
        if train.ndim != 2 or len(train) == 0:
            raise ValueError("the mixture learner needs a non-empty (M, n) training array")
        if family not in FAMILIES:
            raise ConfigError(f"[model] family = {family!r}: choose one of {FAMILIES}")
        if prior is not None:
            if family == "gaussian":
                raise ConfigError("[model] prior (a Beta prior on head probabilities) applies to "
                                  "the binomial and bernoulli families only")
            if len(prior) != 2 or min(prior) < 1:
                raise ConfigError("[model] prior must be [a, b] with a, b ≥ 1 (Beta(a, b); the "
                                  "MAP estimate is then the posterior mode inside [0, 1])")
        K = int(components)
        self.family, self.convention = family, convention
        self.image_shape = None if image_shape is None else tuple(image_shape)
        self.train = train
        self.val = None if val is None or len(val) == 0 else np.asarray(val, dtype=float)
        self.tolerance = float(tolerance)
        n = train.shape[1]
        floor = float(covariance_floor)
        if family == "gaussian" and floor <= 0:
            floor = 1e-12 * max(float(np.mean(np.var(train, axis=0))), 1e-300)
        probe = _placeholder(family, K, n, convention, covariance,
                             None if family != "gaussian" else
                             (np.repeat(np.eye(n)[None], K, 0) if covariance == "full"
                              else np.ones((K, n))))
        f_full = probe.features(train)
        self._f, self._counts = _compress(f_full, family)
        self._fval = None if self.val is None else probe.features(self.val)
        self._n_terms = (1 if family == "binomial" else n) + K

        # restarts: run each to the end, keep the best, replay it live from its start
        if init == "given":
            restarts = 1
        starts, finals = [], []
        for r in range(int(restarts)):
            rng = np.random.default_rng([int(seed), r])
            em0 = initial_model(family, self._f, self._counts, K, convention, covariance, floor,
                                init, init_params, fit_weights, prior, rng, n)
            starts.append(em0)
            if restarts > 1:
                finals.append(run_em(em0, self._f, self._counts, max_iter, self.tolerance)[1])
        self.restart_results = finals                 # final objective of each restart
        self.restart = int(np.nanargmax(finals)) if finals else 0
        self.em = starts[self.restart]
        self.model = self.em.model
        self._bind_params()
        self._L = None              # log joint at the current parameters (cache)
        self._prev = None           # (MixtureEM at θᵗ, log_q) of the last iteration, for views
        self._preview = None
        self._gain = None
        self._direction = None      # last non-negligible step direction (unit vector)
        self._path = []             # first two free parameters of θ⁰, θ¹, … (2-D view)
        self.iterations = 0
        self._view_seed = int(seed)   # display samples: seeded by (seed, iteration), no state
        if family == "gaussian":
            self._rmin = 0.05 * math.sqrt(max(float(np.mean(np.var(train, axis=0))), 1e-300))
        else:
            self._rmin = 0.05

    def _bind_params(self):
        m = self.model
        self.params = {"weights": m.weights, "means": m.means}
        if m.covs is not None:
            self.params["covs"] = m.covs

    def _commit(self, new: MixtureEM) -> MixtureEM:
        """Copy the M-step result into the live arrays (the trainer and the GUI hold them)."""
        m = self.model
        m.weights[...] = new.model.weights
        m.means[...] = new.model.means
        if m.covs is not None:
            m.covs[...] = new.model.covs
        return self.em

    # --- Learner interface ----------------------------------------------------------------
    def step(self):
        prev = MixtureEM(self.model.copy(), self.em.fit_weights, self.em.prior, self.em.floor)
        _, info, log_q, L1 = _em.em_step(self.em, self._f, self._counts, self._L,
                                         commit=self._commit)
        self._L = L1
        if not self._path:
            self._path.append(prev.free_vector()[:2].copy())
        self._path.append(self.em.free_vector()[:2].copy())
        del self._path[:-1000]
        self._prev = (prev, log_q)
        self._preview = None
        self._gain = info.objective_new - info.objective_old
        self.iterations += 1
        return {"train_ll": info.ll_old, "bound": info.bound_new, "kl_gap": info.kl_gap,
                "objective": info.objective_old, "estep_gap": info.objective_old - info.bound_old,
                "ll_gain": self._gain}

    def evaluate(self):
        if self._fval is None:
            return {}
        return {"val_ll": float(logsumexp(self.model.log_joint_features(self._fval),
                                              axis=1).mean())}

    def converged(self):
        if self._gain is not None and self._gain < self.tolerance:
            return (f"converged: the objective rose by {self._gain:.3g} nats/sample "
                    f"(< tolerance {self.tolerance:g})")
        return None

    def params_changed(self):
        self._path = []             # a roll-back or load starts a new path
        self._L = None
        self._prev = None
        self._preview = None
        self._gain = None

    def set_hyper(self, name, value):
        if name == "tolerance":
            self.tolerance = float(value)
            return
        raise KeyError(f"mixture has no adjustable parameter {name!r} (only 'tolerance')")

    def state_dict(self):
        out = {f"param/{k}": v.copy() for k, v in self.params.items()}
        out["em/iterations"] = self.iterations
        out["em/gain"] = np.nan if self._gain is None else self._gain
        if self._direction is not None:
            out["em/direction"] = self._direction.copy()
        if self._path:
            out["em/path"] = np.array(self._path)
        if self._prev is not None:
            pm = self._prev[0].model
            out["em/prev_weights"] = pm.weights.copy()
            out["em/prev_means"] = pm.means.copy()
            if pm.covs is not None:
                out["em/prev_covs"] = pm.covs.copy()
        return out

    def load_state_dict(self, state):
        for k in self.params:
            self.params[k][...] = state[f"param/{k}"]
        self.params_changed()
        self.iterations = int(state.get("em/iterations", 0))
        g = float(state.get("em/gain", np.nan))
        self._gain = None if math.isnan(g) else g
        self._path = [p.copy() for p in np.asarray(state.get("em/path", np.zeros((0, 2))))]
        self._direction = (None if "em/direction" not in state
                           else np.array(state["em/direction"], dtype=float))
        if "em/prev_weights" in state:
            pm = self.model.copy()
            pm.weights[...] = state["em/prev_weights"]
            pm.means[...] = state["em/prev_means"]
            if pm.covs is not None:
                pm.covs[...] = state["em/prev_covs"]
            prev = MixtureEM(pm, self.em.fit_weights, self.em.prior, self.em.floor)
            log_q, _ = _em.e_step(prev.log_joint(self._f))
            self._prev = (prev, log_q)

    # --- views ----------------------------------------------------------------------------
    def _iteration(self):
        """(em at θᵗ, log_q, em at θᵗ⁺¹) of the last step, or a preview of the next one."""
        if self._prev is not None:
            return self._prev[0], self._prev[1], self.em
        if self._preview is None:
            log_q, _ = _em.e_step(self.em.log_joint(self._f))
            self._preview = (self.em, log_q, self.em.m_step(self._f, log_q, self._counts))
        return self._preview

    def em_slice(self):
        """The curves of Fig. 59 for the last iteration (:func:`~boltzmann_lab.learning.em_slices.em_slice`)."""
        em0, log_q, em1 = self._iteration()
        m = self.model
        per = len(self._f) * m.K * (1 if self.family == "binomial" else
                                    m.n if self.family == "bernoulli" else
                                    m.n * m.n if m.covariance == "full" else m.n)
        path = self._path if self._prev is not None else None
        out, self._direction = em_slice(em0, log_q, em1, self._f, self._counts, rmin=self._rmin,
                                        direction=self._direction, path=path, work_per_point=per)
        return out

    def views(self, n_show=16):
        m = self.model
        out = self.em_slice()
        out["means"] = m.means.copy()
        out["weights"] = m.weights.copy()
        if self.family == "binomial":
            out["biases"] = m.biases
        elif self.family == "bernoulli" or self.image_shape is not None:
            # fantasy particles of a mixture are exact samples from it (the component means are
            # shown beside them); seeded by (seed, iteration) so views never touch training RNG
            out["fantasy"] = m.sample(n_show, np.random.default_rng(
                [self._view_seed, 9, self.iterations]))
            out["data"] = self.train[:n_show].copy()
        if m.covs is not None:
            out["covs"] = m.covs.copy()
        return out


# ------------------------------------------------------------------------------- from config
def choose_family(family, dataset) -> str:
    """``auto``: binomial for coin-toss data (``meta["kind"] == "coin_tosses"``), bernoulli for
    binary/spin data, gaussian for real data."""
    if family != "auto":
        return family
    meta = getattr(dataset, "meta", None) or {}
    if meta.get("kind") == "coin_tosses" or meta.get("generator") == "coin_tosses":
        return "binomial"
    return "gaussian" if dataset.convention == "real" else "bernoulli"


def make_learner(cfg, dataset) -> MixtureLearner:
    """The ``mixture`` learner for a resolved config and a :class:`~boltzmann_lab.data.dataset.Dataset`."""
    if dataset is None:
        raise ValueError("the mixture model needs data ([data] path or generator)")
    m, t = cfg["model"], cfg["training"]
    family = choose_family(m["family"], dataset)
    if family != "gaussian" and dataset.convention == "real":
        raise ConfigError(f"[model] family = {family!r} needs binary or spin data; the data are "
                          f"real-valued (set [data] binarize, or family = 'gaussian')")
    convention = dataset.convention
    if family == "gaussian" and convention != "real":
        convention = "real"              # 0/1 or ±1 values are fitted as real numbers
    if t.get("steps") is not None:
        max_iter = int(t["steps"])
    elif t.get("epochs") is not None:
        max_iter = max(1, math.ceil(t["epochs"]))
    else:
        max_iter = 1000
    return MixtureLearner(dataset.train, dataset.val, family=family, components=m["components"],
                          convention=convention, image_shape=dataset.image_shape,
                          covariance=m["covariance"], covariance_floor=m["covariance_floor"],
                          init=m["init"], init_params=m["init_params"],
                          fit_weights=m["fit_weights"], prior=m["prior"],
                          restarts=m["restarts"], tolerance=t["tolerance"], seed=t["seed"],
                          max_iter=max_iter)
