"""Boltzmann learning of Potts MaxEnt models (kind ``potts``): the categorical sibling of
:mod:`boltzmann_lab.learning.maxent`, with the same estimator names, metrics and convergence rules.

Learning ascends the weighted mean log-likelihood ℓ = ⟨−E⟩_data − log Z minus the penalties,

    ∂ℓ/∂h_i(a) = f_i(a) − p_i(a),      ∂ℓ/∂J_ij(a, b) = f_ij(a, b) − p_ij(a, b)   (i < j),

f the (weighted, pseudocounted) data frequencies and p the model's
(:mod:`boltzmann_lab.learning.potts_constraints`).  Estimators of the model term:

* ``exact``  — enumeration of all q^n states (q^n ≤ 2^24);
* ``mcmc``   — persistent heat-bath chains (``chains`` chains, ``sweeps`` sweeps per step, never
  re-initialised): Boltzmann-machine DCA (bmDCA);
* ``pseudolikelihood`` — plmDCA: the step maximises the pseudo-likelihood instead
  (:mod:`boltzmann_lab.learning.potts_pl`), ``pl_symmetry = "symmetric"`` by ``pl_iterations``
  L-BFGS iterations per step, or ``"asymmetric"`` one site per step, symmetrised as sites finish.

Penalties: ``l2`` −(l2/2) Σ_{i<j} ‖J_ij‖²_F and ``l2_fields`` −(l2_fields/2) Σ h², added to the
gradient; group ``l1`` −l1 Σ_{i<j} ‖J_ij‖_F, a proximal block soft-threshold after each step with
``sgd`` (J_ij ← J_ij max(0, 1 − lr l1 / ‖J_ij‖)) and, for ``momentum``/``adam``, the minimum-norm
subgradient with a block that would pass through zero stopped at exactly zero.  Group L1 needs
the exact or mcmc estimator (L-BFGS needs a smooth objective).

Metrics as for the binary MaxEnt: ``max_moment_error``, ``normalized_error`` (÷ δ_O =
sqrt(f(1−f)/M_eff), var floored at 1/M_eff), ``normalized_residual`` (penalised gradient ÷ δ_O),
``corr_pearson``/``corr_slope`` of model vs data connected two-site frequencies, ``train_ll``/
``val_ll`` where the q^n states can be enumerated within a live run's cap (q^n ≤ 2^24 and
~4 s by :mod:`boltzmann_lab.learning.cost`) else ``train_pll``/``val_pll``; plus
``contact_precision`` and ``coupling_error`` (gauge-invariant,
:func:`boltzmann_lab.models.dca.coupling_error`) when the data come with true contacts / couplings.
"""

from __future__ import annotations

import math

import numpy as np

from boltzmann_lab.exact import potts as _exact
from boltzmann_lab.learning import potts_constraints as _pc
from boltzmann_lab.learning import potts_pl as _pl
from boltzmann_lab.learning.optim import SGD, make_optimizer
from boltzmann_lab.learning.potts_constraints import (ExactEstimator, Frequencies, MCMCEstimator,
                                                      PottsConstraints, data_frequencies)
from boltzmann_lab.learning.trainer import Learner
from boltzmann_lab.models import dca

MCMC_EMA_WEIGHT = 0.05
#: connected frequencies shown in the model-vs-data scatter (a fixed random subset)
MAX_SHOWN = 4000


class PottsLearner(Learner):
    """Potts MaxEnt learner (full batch: one step = one update).

    Parameters
    ----------
    train, val : (M, n), (M_val, n) integer states 0..q−1.
    q : number of states.
    constraints : :class:`~boltzmann_lab.learning.potts_constraints.PottsConstraints`.
    estimator : ``exact`` | ``mcmc`` | ``pseudolikelihood``.
    weights, val_weights : per-sequence weights (None: 1); the likelihoods are weighted means.
    pseudocount : λ of the data frequencies.
    init : ``zero`` | ``independent`` (h_i(a) = log f_i(a), floored at 1e-3/q) | ``pseudolikelihood``.
    optimizer, learning_rate, momentum, schedule, decay : :mod:`boltzmann_lab.learning.optim`.
    l1, l2, l2_fields : penalties (module docstring).
    chains, sweeps : MCMC settings.  tolerance, strict_tolerance : as for the binary MaxEnt.
    pl_symmetry, pl_iterations : pseudo-likelihood mode and L-BFGS iterations per step.
    seed : chains and display chains.  alphabet : state symbols (saved with the model).
    contacts : optional true contact mask (n, n); J_true : optional true couplings.
    """

    kind = "potts"
    convention = "categorical"
    steps_per_epoch = 1.0

    def __init__(self, train, val, q, constraints: PottsConstraints, estimator="exact",
                 weights=None, val_weights=None, pseudocount=0.0, init="independent",
                 optimizer="adam", learning_rate=0.05, momentum=0.9, schedule="constant",
                 decay=0.0, l1=0.0, l2=0.0, l2_fields=0.0, chains=1000, sweeps=1, tolerance=1.0,
                 strict_tolerance=0.05, pl_symmetry="symmetric", pl_iterations=10, seed=0,
                 alphabet=None, contacts=None, J_true=None):
        from boltzmann_lab.models.potts import check_states
        q = int(q)
        train = np.asarray(train)
        if train.ndim != 2 or len(train) == 0:
            raise ValueError("potts needs a non-empty (M, n) training array")
        n = train.shape[1]
        self.train = check_states(train, n, q, "training data")
        self.val = (check_states(val, n, q, "validation data") if val is not None and len(val)
                    else np.zeros((0, n), np.int64))
        self.w = None if weights is None else np.asarray(weights, dtype=np.float64)
        self.w_val = None if val_weights is None or not len(self.val) else \
            np.asarray(val_weights, dtype=np.float64)
        if constraints.n != n:
            raise ValueError(f"constraints are for {constraints.n} sites, the data has {n}")
        if estimator not in ("exact", "mcmc", "pseudolikelihood"):
            raise ValueError(f"unknown estimator {estimator!r}; choose exact, mcmc or "
                             f"pseudolikelihood")
        if pl_symmetry not in ("symmetric", "asymmetric"):
            raise ValueError(f"unknown pl_symmetry {pl_symmetry!r}")
        if estimator == "pseudolikelihood" and l1:
            raise ValueError("group L1 (l1 > 0) needs estimator 'exact' or 'mcmc': the "
                             "pseudo-likelihood is maximised by L-BFGS, which needs a smooth "
                             "objective; use l2 with pseudolikelihood")
        self.n, self.q, self.C = n, q, constraints
        self.M = len(self.train)
        self.M_eff = float(self.M if self.w is None else self.w.sum())
        self.alphabet = alphabet
        self.gap = alphabet.index("-") if isinstance(alphabet, str) and "-" in alphabet else None
        self.contacts = None if contacts is None else np.asarray(contacts, bool)
        self.J_true = J_true
        self.estimator_name = estimator
        self.pl_symmetry, self.pl_iterations = pl_symmetry, max(1, int(pl_iterations))
        self.l1, self.l2, self.l2_fields = float(l1), float(l2), float(l2_fields)
        self.tolerance, self.strict_tolerance = float(tolerance), float(strict_tolerance)
        self.seed = int(seed)
        self.monitor = "val_ll" if _pc.exact_ll_live(n, q) else "val_pll"
        self.n_steps = 0

        self.data = data_frequencies(self.train, q, self.w, pseudocount)
        self.obs_data = constraints.observables(self.data)
        self.noise = constraints.noise(self.data, self.M_eff)
        self.corr_data = constraints.connected(self.data)
        k = self.corr_data.size
        self._shown = (np.arange(k) if k <= MAX_SHOWN else
                       np.sort(np.random.default_rng([self.seed, 3]).choice(k, MAX_SHOWN, False)))

        self.optimizer = make_optimizer(optimizer, learning_rate, momentum, schedule, decay)
        if estimator == "exact":
            self.estimator = ExactEstimator(n, q)
        elif estimator == "mcmc":
            self.estimator = MCMCEstimator(n, q, chains, sweeps, [self.seed, 1], self.train)
        else:
            self.estimator = None
        self.params = {"h": np.zeros((n, q)), "J": np.zeros((n, n, q, q))}
        self._initialise(init)
        self.model_freq: Frequencies | None = None
        self._ema_steps = 0
        self._residual = math.inf
        self._normalized_error = math.inf
        self._pl_stalled = False
        self._sites: list = []          # asymmetric PL: per-site solutions so far
        self._display = None
        self._scores_at = (-1, None)

    # --- parameters ------------------------------------------------------------------------
    def _initialise(self, init):
        p = self.params
        if init == "zero":
            return
        if init == "independent":
            if self.C.sites:
                p["h"][...] = np.log(np.maximum(self.data.p1, 1e-3 / self.q))
                p["h"] -= p["h"].mean(axis=1, keepdims=True)
        elif init == "pseudolikelihood":
            h, J = _pl.fit_symmetric(self.train, self.q, self.w, self.l2_fields, self.l2,
                                     self.C.pairs, max_iter=200)
            p["h"][...] = h if self.C.sites else 0.0
            p["J"][...] = J * self.C.pair_float
        else:
            raise ValueError(f"unknown init {init!r}; choose zero, independent or "
                             f"pseudolikelihood")

    @property
    def model(self):
        """The current :class:`boltzmann_lab.models.potts.PottsModel` (copies)."""
        from boltzmann_lab.models.potts import PottsModel
        return PottsModel(self.params["h"].copy(), self.params["J"].copy(), self.alphabet)

    # --- one update ------------------------------------------------------------------------
    def step(self) -> dict[str, float]:
        """One update; cheap metrics at the parameters before it (module docstring)."""
        if self.estimator is None:
            return self._asym_step() if self.pl_symmetry == "asymmetric" else self._pl_step()
        h, J = self.params["h"], self.params["J"]
        F = self.estimator.frequencies(h, J)
        grads = self.C.unpack(self.obs_data - self.C.observables(F), self.q)
        self._update_monitor(F)
        metrics = self._moment_metrics()
        resid = self._penalised_residual(grads)
        if self.l1 or self.l2 or self.l2_fields:
            metrics["normalized_residual"] = (self._mcmc_residual()
                                              if self.estimator_name == "mcmc" else resid)
        self._residual = resid
        metrics["learning_rate"] = self.optimizer.lr
        if not (self.estimator_name != "mcmc" and resid < self.strict_tolerance):
            self._update(grads)
        self.n_steps += 1
        return metrics

    def _block_norms(self, A):
        return np.sqrt((A * A).sum(axis=(2, 3)))

    def _penalised_residual(self, grads) -> float:
        """max |gradient of the penalised objective| / δ_O (min-norm subgradient for group L1)."""
        C, p = self.C, self.params
        parts = [(grads["h"] - self.l2_fields * p["h"]).ravel()] if C.sites else []
        W = p["J"][C.iu, C.ju]
        g = grads["J"][C.iu, C.ju] - self.l2 * W
        if self.l1:
            wn = np.sqrt((W * W).sum(axis=(1, 2)))[:, None, None]
            gn = np.sqrt((g * g).sum(axis=(1, 2)))[:, None, None]
            g = np.where(wn > 0, g - self.l1 * W / np.where(wn > 0, wn, 1.0),
                         g * np.maximum(0.0, 1.0 - self.l1 / np.where(gn > 0, gn, np.inf)))
        parts.append(g.ravel())
        r = np.abs(np.concatenate(parts)) / self.noise
        return float(r.max()) if r.size else 0.0

    def _update(self, grads):
        p = self.params
        g = {"h": grads["h"] - self.l2_fields * p["h"], "J": grads["J"] - self.l2 * p["J"]}
        sgd = isinstance(self.optimizer, SGD)
        J_old = p["J"].copy() if self.l1 else None
        if self.l1 and not sgd:
            wn = self._block_norms(p["J"])[:, :, None, None]
            gn = self._block_norms(g["J"])[:, :, None, None]
            g["J"] = np.where(wn > 0, g["J"] - self.l1 * p["J"] / np.where(wn > 0, wn, 1.0),
                              g["J"] * np.maximum(0.0, 1.0 - self.l1 /
                                                  np.where(gn > 0, gn, np.inf)))
        lr = self.optimizer.lr
        self.optimizer.step(p, g)
        if self.l1:
            if sgd:
                nrm = self._block_norms(p["J"])
                fac = np.maximum(0.0, 1.0 - lr * self.l1 / np.where(nrm > 0, nrm, np.inf))
                p["J"] *= fac[:, :, None, None]
            else:
                crossed = (J_old * p["J"]).sum(axis=(2, 3)) < 0     # the block passed zero
                p["J"][crossed] = 0.0
                for state in (getattr(self.optimizer, "m", {}),
                              getattr(self.optimizer, "velocity", {})):
                    if "J" in state:
                        state["J"][crossed] = 0.0
        p["J"] *= self.C.pair_float           # NaN * 0 stays NaN: divergence is not hidden
        if not self.C.sites:
            p["h"] *= 0.0

    # --- pseudo-likelihood steps -----------------------------------------------------------
    def _pl_pack(self):
        parts = [self.params["h"].ravel()] if self.C.sites else []
        parts.append(self.params["J"][self.C.iu, self.C.ju].ravel())
        return np.concatenate(parts)

    def _pl_unpack(self, theta):
        n, q, C = self.n, self.q, self.C
        nh = n * q if C.sites else 0
        if C.sites:
            self.params["h"][...] = theta[:nh].reshape(n, q)
        blocks = theta[nh:].reshape(-1, q, q)
        self.params["J"][C.iu, C.ju] = blocks
        self.params["J"][C.ju, C.iu] = blocks.transpose(0, 2, 1)

    def _pl_objective(self, theta):
        """(f, grad f) of the penalised negative PLL in the packed parameters."""
        C, q = self.C, self.q
        nh = self.n * q if C.sites else 0
        self._pl_unpack(theta)
        pll, g = _pl.pseudo_log_likelihood(self.train, self.params["h"], self.params["J"],
                                           self.w, grad=True)
        wh, wJ = theta[:nh], theta[nh:]
        f = -pll + 0.5 * self.l2_fields * float(wh @ wh) + 0.5 * self.l2 * float(wJ @ wJ)
        grad = np.empty_like(theta)
        grad[:nh] = -g["h"].ravel() + self.l2_fields * wh
        grad[nh:] = -g["J"][C.iu, C.ju].ravel() + self.l2 * wJ
        self._pl_last = (theta.copy(), pll, grad)
        return f, grad

    def _pl_step(self):
        theta0 = self._pl_pack()
        metrics = {}
        if self.n_steps and (self._residual < self.strict_tolerance or self._pl_stalled):
            self.n_steps += 1
            return {"train_pll": self._pl_last[1], "normalized_residual": self._residual}
        gtol = self.strict_tolerance * float(self.noise.min()) if self.noise.size else 1e-8
        theta = _pl.lbfgs(self._pl_objective, theta0, gtol=gtol, max_iter=self.pl_iterations)
        if not np.array_equal(self._pl_last[0], theta):
            self._pl_objective(theta)
        self._pl_unpack(theta)
        self._pl_stalled = bool(np.array_equal(theta, theta0)) and self.n_steps > 0
        _, pll, grad = self._pl_last
        r = np.abs(grad) / self.noise
        self._residual = float(r.max()) if r.size else 0.0
        metrics["train_pll"] = pll
        metrics["normalized_residual"] = self._residual
        self.n_steps += 1
        return metrics

    def _asym_step(self):
        k = len(self._sites)
        if k < self.n:
            partners = np.nonzero(self.C.pairs[k])[0]
            fit = _pl.SiteFit(np.ascontiguousarray(self.train, np.int8),
                              np.ones(self.M) if self.w is None else self.w, self.q, k,
                              self.l2_fields, self.l2, partners, fit_fields=self.C.sites)
            self._sites.append(fit.solve())
            self._asym_params()
        self.n_steps += 1
        out = {"sites_fitted": float(len(self._sites))}
        if len(self._sites) == self.n:
            out["train_pll"] = _pl.pseudo_log_likelihood(self.train, self.params["h"],
                                                         self.params["J"], self.w)
        return out

    def _asym_params(self):
        zero = (np.zeros(self.q), np.zeros((self.n, self.q, self.q)))
        sols = self._sites + [zero] * (self.n - len(self._sites))
        h, J = _pl.symmetrise([s[0] for s in sols], [s[1] for s in sols])
        self.params["h"][...] = h if self.C.sites else 0.0
        self.params["J"][...] = J * self.C.pair_float

    # --- monitoring ------------------------------------------------------------------------
    def _update_monitor(self, F: Frequencies):
        if self.estimator_name != "mcmc" or self.model_freq is None:
            self.model_freq = F
            self._ema_steps = 1
            return
        self._ema_steps += 1
        w = max(MCMC_EMA_WEIGHT, 1.0 / self._ema_steps)
        old = self.model_freq
        self.model_freq = Frequencies((1 - w) * old.p1 + w * F.p1, (1 - w) * old.p2 + w * F.p2)

    def _moment_metrics(self) -> dict[str, float]:
        F = self.model_freq
        if F is None:
            return {}
        out = {}
        delta = np.abs(self.obs_data - self.C.observables(F))
        if delta.size:
            out["max_moment_error"] = float(delta.max())
            out["normalized_error"] = self._normalized_error = float((delta / self.noise).max())
        cm, cd = self.C.connected(F), self.corr_data
        if cd.size >= 2 and np.all(np.isfinite(cm)):
            sd, sm = cd.std(), cm.std()
            if sd > 0 and sm > 0:
                out["corr_pearson"] = float(np.corrcoef(cd, cm)[0, 1])
                out["corr_slope"] = float(np.cov(cd, cm, bias=True)[0, 1] / sd ** 2)
        elif cd.size and not np.all(np.isfinite(cm)):
            out["corr_pearson"] = float("nan")
        return out

    def _mcmc_residual(self):
        delta = self.obs_data - self.C.observables(self.model_freq)
        return self._penalised_residual(self.C.unpack(delta, self.q))

    def converged(self) -> str | None:
        if self.estimator is None and self.pl_symmetry == "asymmetric":
            if len(self._sites) == self.n and self.n_steps:
                return (f"converged: asymmetric pseudo-likelihood fit of all {self.n} sites "
                        f"done (plmDCA), couplings symmetrised")
            return None
        r = self._residual
        if self.estimator is None and self._pl_stalled:
            return (f"converged: L-BFGS can no longer raise the pseudo-likelihood (gradient / "
                    f"sampling noise = {r:.4g})")
        if not math.isfinite(r) or self.n_steps == 0:
            return None
        if self.estimator_name == "mcmc":
            if self._ema_steps * MCMC_EMA_WEIGHT < 1.0:
                return None
            err = self._mcmc_residual() if (self.l1 or self.l2 or self.l2_fields) else \
                self._normalized_error
            if err < self.tolerance:
                return (f"converged: normalised moment error {err:.3g} < {self.tolerance:g}, "
                        f"estimated from MCMC model frequencies averaged over recent steps "
                        f"(their own sampling noise is not included)")
            return None
        if r < self.strict_tolerance:
            what = "pseudo-likelihood" if self.estimator is None else "log-likelihood"
            return (f"converged: {what} gradient / sampling noise = {r:.4g} < "
                    f"{self.strict_tolerance:g}")
        return None

    def evaluation_cost(self) -> float:
        """One :meth:`evaluate` in steps (:func:`~boltzmann_lab.learning.potts_constraints.
        evaluation_cost`)."""
        return _pc.evaluation_cost(self)

    def evaluate(self) -> dict[str, float]:
        """Exact ``train_ll``/``val_ll`` (weighted means) when the q^n states can be enumerated
        within a live run's cap (``potts_constraints.exact_ll_live``), else ``train_pll``/
        ``val_pll``; exact moment metrics for pseudolikelihood when enumerable;
        ``contact_precision`` / ``coupling_error`` when the truth is known."""
        h, J = self.params["h"], self.params["J"]
        if not (np.isfinite(h).all() and np.isfinite(J).all()):
            return {"train_ll": float("nan")}
        out = {}
        if _pc.exact_ll_live(self.n, self.q):
            lz = _exact.log_z(h, J)
            out["train_ll"] = _exact.log_likelihood(self.train, h, J, self.w, lz)
            if len(self.val):
                out["val_ll"] = _exact.log_likelihood(self.val, h, J, self.w_val, lz)
        else:
            out["train_pll"] = _pl.pseudo_log_likelihood(self.train, h, J, self.w)
            if len(self.val):
                out["val_pll"] = _pl.pseudo_log_likelihood(self.val, h, J, self.w_val)
        if self.estimator is None and _exact.feasible(self.n, self.q):
            self.model_freq = ExactEstimator(self.n, self.q).frequencies(h, J)
            out.update(self._moment_metrics())
        if self.contacts is not None and self.contacts.any():
            out["contact_precision"] = dca.contact_precision(self.scores(), self.contacts)
        if self.J_true is not None and np.any(self.J_true[self.C.pairs]):
            out["coupling_error"] = dca.coupling_error(J, self.J_true, self.C.pairs)
        return out

    def scores(self) -> np.ndarray:
        """APC-corrected Frobenius contact scores of the current couplings (cached per step)."""
        if self._scores_at[0] != self.n_steps:
            self._scores_at = (self.n_steps, dca.coupling_scores(self.params["J"],
                                                                 ignore_state=self.gap))
        return self._scores_at[1]

    def views(self, n_show: int = 16) -> dict[str, np.ndarray]:
        """``corr_data``/``corr_model`` (a fixed subset of the connected two-site frequencies
        c_ij(a, b), for the model-vs-data scatter: the one-site frequencies are ~30 times larger
        and would squash them, so they are left out), ``contact_scores`` (n, n),
        ``contacts_true`` (when known), ``potts_data``/``potts_fantasy`` (k, n) states and
        ``alphabet`` (q symbols).  All copies."""
        k = max(int(n_show), 24)
        out = {"corr_data": self.corr_data[self._shown].copy(),
               "contact_scores": self.scores().copy(),
               "potts_data": self.train[:k].copy(),
               "alphabet": np.array(list(self.alphabet) if self.alphabet is not None
                                    else [str(a) for a in range(self.q)])}
        F = self.model_freq
        if F is not None:
            out["corr_model"] = self.C.connected(F)[self._shown]
        if self.contacts is not None:
            out["contacts_true"] = self.contacts.copy()
        fantasy = self._fantasy(k)
        if fantasy is not None:
            out["potts_fantasy"] = fantasy
        return out

    def _fantasy(self, k):
        if isinstance(self.estimator, MCMCEstimator):
            return self.estimator.sampler.states[:k]
        h, J = self.params["h"], self.params["J"]
        if not (np.isfinite(h).all() and np.isfinite(J).all()):
            return None
        if self._display is None:
            self._make_display(k)
        self._display.run(h, J, sweeps=1, check=False)
        return self._display.states[:k]

    def _make_display(self, chains):
        from boltzmann_lab.models.potts import PottsSampler
        rng = np.random.default_rng([self.seed, 2])
        self._display = PottsSampler(self.n, self.q, chains, int(rng.integers(2 ** 63)))
        self._display.set_states(self.train[rng.integers(0, self.M, size=chains)])

    # --- control ---------------------------------------------------------------------------
    def set_hyper(self, name, value) -> None:
        """Adjustable while running: ``learning_rate``, ``l1``, ``l2``, ``l2_fields``,
        ``sweeps`` (mcmc), ``tolerance``, ``strict_tolerance``."""
        if name == "learning_rate":
            self.optimizer.lr0 = float(value)
        elif name in ("l1", "l2", "l2_fields"):
            if float(value) < 0:
                raise ValueError(f"{name} must be >= 0")
            if name == "l1" and value and self.estimator is None:
                raise ValueError("group L1 needs estimator 'exact' or 'mcmc'")
            setattr(self, name, float(value))
            self._pl_stalled = False
            self._residual = math.inf
        elif name == "sweeps":
            if not isinstance(self.estimator, MCMCEstimator):
                raise KeyError("sweeps applies to the mcmc estimator only")
            self.estimator.sweeps = max(1, int(value))
        elif name in ("tolerance", "strict_tolerance"):
            setattr(self, name, float(value))
        else:
            raise KeyError(f"potts has no adjustable parameter {name!r}; adjustable: "
                           f"learning_rate, l1, l2, l2_fields, sweeps, tolerance, "
                           f"strict_tolerance")

    def params_changed(self) -> None:
        self.model_freq = None
        self._ema_steps = 0
        self._residual = math.inf
        self._normalized_error = math.inf
        self._pl_stalled = False
        self._scores_at = (-1, None)

    def state_dict(self):
        d = super().state_dict()
        d.update({f"optim/{k}": v for k, v in self.optimizer.state_dict().items()})
        d["optim/lr0"] = self.optimizer.lr0
        d["learner/n_steps"] = self.n_steps
        d["learner/l1"], d["learner/l2"], d["learner/l2_fields"] = self.l1, self.l2, self.l2_fields
        d["learner/ema_steps"] = self._ema_steps
        d["learner/residual"] = self._residual
        d["learner/normalized_error"] = self._normalized_error
        d["learner/pl_stalled"] = int(self._pl_stalled)
        if self.model_freq is not None:
            d["moments/p1"], d["moments/p2"] = self.model_freq.p1.copy(), self.model_freq.p2.copy()
        if self._sites:
            d["pl/h_sites"] = np.array([s[0] for s in self._sites])
            d["pl/J_cols"] = np.array([s[1] for s in self._sites])
        if self.estimator is not None:
            d.update({k: np.array(v, copy=True) if isinstance(v, np.ndarray) else v
                      for k, v in self.estimator.state_dict().items()})
        if self._display is not None:
            d.update({f"display/{k}": v for k, v in self._display.state_dict().items()})
        return d

    def load_state_dict(self, state):
        super().load_state_dict(state)
        self.optimizer.load_state_dict({k[len("optim/"):]: v for k, v in state.items()
                                        if k.startswith("optim/") and k != "optim/lr0"})
        self.optimizer.lr0 = float(state.get("optim/lr0", self.optimizer.lr0))
        self.n_steps = int(state["learner/n_steps"])
        self.l1, self.l2 = float(state["learner/l1"]), float(state["learner/l2"])
        self.l2_fields = float(state["learner/l2_fields"])
        self._ema_steps = int(state["learner/ema_steps"])
        self._residual = float(state["learner/residual"])
        self._normalized_error = float(state["learner/normalized_error"])
        self._pl_stalled = bool(int(state.get("learner/pl_stalled", 0)))
        self.model_freq = (Frequencies(np.array(state["moments/p1"]), np.array(state["moments/p2"]))
                           if "moments/p1" in state else None)
        self._sites = ([(np.array(a), np.array(b)) for a, b in
                        zip(state["pl/h_sites"], state["pl/J_cols"])] if "pl/h_sites" in state
                       else [])
        if self.estimator is not None:
            self.estimator.load_state_dict(state)
        disp = {k[len("display/"):]: v for k, v in state.items() if k.startswith("display/")}
        if disp:
            if self._display is None or self._display.chains != int(disp["chains"]):
                self._make_display(int(disp["chains"]))
            self._display.load_state_dict(disp)


def make_learner(cfg, dataset) -> PottsLearner:
    """The ``potts`` learner for a resolved config and a categorical
    :class:`boltzmann_lab.data.dataset.Dataset`."""
    if dataset is None:
        raise ValueError("potts needs data: set [data] path or generator")
    if dataset.convention != "categorical":
        raise ValueError(f"kind = 'potts' models categorical data, this data set is "
                         f"{dataset.convention!r}: set [data] convention = 'categorical'")
    m, t, d = cfg["model"], cfg["training"], cfg["data"]
    C = PottsConstraints.from_config(m, dataset.n)
    meta = dataset.meta or {}
    contacts = meta.get("contacts")
    if contacts is not None:
        from boltzmann_lab.models.dca import contact_matrix
        contacts = contact_matrix(contacts, dataset.n)
    return PottsLearner(
        dataset.train, dataset.val, dataset.states, C, estimator=t["estimator"],
        weights=dataset.weights, val_weights=dataset.val_weights,
        pseudocount=d.get("pseudocount", 0.0), init=t["init"], optimizer=t["optimizer"],
        learning_rate=t["learning_rate"], momentum=t["momentum"], schedule=t["schedule"],
        decay=t["decay"], l1=t["l1"], l2=t["l2"], l2_fields=t["l2_fields"], chains=t["chains"],
        sweeps=t["sweeps"], tolerance=t["tolerance"], strict_tolerance=t["strict_tolerance"],
        pl_symmetry=t["pl_symmetry"], pl_iterations=t["pl_iterations"], seed=t["seed"],
        alphabet=dataset.alphabet, contacts=contacts, J_true=meta.get("J_true"))
