"""Maximum-entropy pairwise models with user-chosen constraints, learned by Boltzmann learning.

Section 15 of Mehta et al. (2019): choose observables O whose data averages the model must
reproduce; the maximum-entropy distribution with those constraints is

    p(x) = exp(-E(x)) / Z,   E(x) = -sum_i h_i x_i - sum_{i<j} J_ij x_i x_j + V[K(x)],

(``binary`` x in {0,1} or ``spin`` x in {-1,+1}), a :class:`boltzmann_lab.models.pairwise.PairwiseModel`.  The
Lagrange multipliers belong to the chosen constraints (any combination):

* ``means``      <x_i>               -> fields h_i;
* ``pairs``      <x_i x_j>           -> couplings J_ij for the pairs in a mask: all pairs, lattice
                                         nearest neighbours of the data's ``image_shape`` (periodic
                                         or not), or a user mask (.npy boolean (n, n));
* ``population`` P(K), K = number of "on" units (x_i = 1 or s_i = +1)  -> potential V[K]
                 (the "K-pairwise" model of neural populations).

The multipliers of moments that are *not* constrained are exactly zero (h = 0 without ``means``,
J_ij = 0 outside the mask) and stay so: their gradients are masked and the parameters multiplied by
the mask after each update.

Learning ascends the mean log-likelihood ell = <-E>_data - log Z, whose gradient is

    d ell / d h_i  = <x_i>_data - <x_i>_model,
    d ell / d J_ij = <x_i x_j>_data - <x_i x_j>_model,
    d ell / d V[k] = P_model(k) - P_data(k)          (V enters the energy with a + sign).

The model term comes from an interchangeable estimator (:mod:`boltzmann_lab.learning.maxent_estimators`):
``exact`` (enumeration of all 2^n states, n <= 24), ``mcmc`` (persistent fantasy particles) or
``pseudolikelihood`` (then the step ascends Besag's pseudo-log-likelihood instead).  Constraints,
moments and their sampling noise live in :mod:`boltzmann_lab.learning.constraints`.

Penalties (only on the couplings J; fields h and the population potential V are never penalised):
``l2``: -(l2/2) sum_{i<j} J_ij^2, added to the gradient; ``l1``: -l1 sum_{i<j} |J_ij|, applied as a
proximal soft-threshold after the gradient step (``sgd``: J <- soft_threshold(J, lr * l1), the exact
proximal step), or orthant-wise for ``momentum``/``adam`` (the minimum-norm subgradient, and a
coupling that would cross zero stops at exactly zero).  Both give exact zeros for large l1.

Monitoring (see :meth:`MaxEntLearner.step`; for ``mcmc`` also the mixing diagnostic, the error
over the combined data and model-estimate noise and the step-size control of
:mod:`boltzmann_lab.learning.maxent_mcmc`): ``max_moment_error`` = max |Δ<O>| over the constrained
observables; ``normalized_error`` = max |Δ<O>| / δ_O, δ_O = sqrt(var_data(O) / M) the sampling noise
of the data average (ACE's criterion; exact and pseudolikelihood converge by ``strict_tolerance``; var is floored at 1/M so that
observables never or always seen in the data keep a finite noise); ``corr_pearson``/``corr_slope``
of model vs data connected correlations over the constrained pairs.  With penalties the optimum no
longer matches moments, so convergence uses ``normalized_residual``: the gradient of the penalised
objective (the minimum-norm subgradient for l1) divided by δ_O.

Public names: :class:`MaxEntLearner`, :func:`make_learner`.
"""

from __future__ import annotations

import math

import numpy as np

from boltzmann_lab.data.conventions import check_convention
from boltzmann_lab.exact.enumeration import MAX_UNITS
from boltzmann_lab.learning.constraints import (Constraints, Moments, connected, data_moments,
                                                observables, sampling_noise)
from boltzmann_lab.learning.maxent_estimators import (ESTIMATORS, ExactEstimator, MCMCEstimator,
                                                      PseudoLikelihoodEstimator, finite)
from boltzmann_lab.learning.maxent_mcmc import MCMCMonitor
from boltzmann_lab.learning import maxent_estimators as _est
from boltzmann_lab.learning.maxent_views import MaxEntViews
from boltzmann_lab.learning.meanfield import naive_mean_field
from boltzmann_lab.learning.optim import SGD, make_optimizer, soft_threshold
from boltzmann_lab.learning.pseudolikelihood import fit_pseudolikelihood
from boltzmann_lab.learning.trainer import Learner
from boltzmann_lab.models import pseudolikelihood as _pl

#: smoothing of the MCMC model moments used for monitoring (exponential moving average weight)
MCMC_EMA_WEIGHT = 0.05


class MaxEntLearner(MaxEntViews, Learner):
    """Boltzmann learning of a pairwise MaxEnt model (full batch: one step = one update).

    Parameters
    ----------
    train, val : (M, n) and (M_val, n) samples in ``convention`` (``binary`` or ``spin``).
    constraints : :class:`Constraints`.
    estimator : ``exact`` | ``mcmc`` | ``pseudolikelihood`` (model term of the gradient).
    init : ``zero`` | ``mean_field`` (naive MF, J = -C^{-1} restricted to the mask, fields from the
        MF self-consistency) | ``pseudolikelihood`` (the L-BFGS maximiser of the PLL, with ``l2``).
    optimizer, learning_rate, momentum, schedule, decay : see :mod:`boltzmann_lab.learning.optim`.
    l1, l2 : penalty strengths on the couplings (module docstring).
    chains, sweeps, sampler : MCMC settings (``sampler`` = gibbs | metropolis).
    tempering, temperatures : MCMC parallel tempering (``auto`` | ``on`` | ``off``) and its
        number of replicas (:mod:`boltzmann_lab.learning.maxent_mcmc`).
    tolerance : MCMC converges when the error (or penalised residual) over the combined data and
        model-estimate noise < tolerance and the chains mix (:class:`MCMCMonitor`).
    strict_tolerance : the deterministic estimators (exact, pseudolikelihood) converge when the
        normalised gradient of their objective (penalised) < strict_tolerance: they can reach the
        optimum, and stopping within a small fraction of the sampling noise keeps the optimisation
        error negligible next to the statistical error.
    seed : seeds the MCMC chains and the display chains.
    """

    kind = "maxent"
    steps_per_epoch = 1.0
    ema_weight = MCMC_EMA_WEIGHT

    def __init__(self, train, val, convention, constraints: Constraints, estimator="exact",
                 init="zero", optimizer="adam", learning_rate=0.05, momentum=0.9,
                 schedule="constant", decay=0.0, l1=0.0, l2=0.0, chains=1000, sweeps=1,
                 sampler="gibbs", tolerance=1.0, strict_tolerance=0.05, seed=0,
                 image_shape=None, tempering="auto", temperatures=8):
        check_convention(convention, ("binary", "spin"))
        from boltzmann_lab.models.pairwise import check_data
        train = np.ascontiguousarray(train, dtype=np.float64)
        if train.ndim != 2 or len(train) == 0:
            raise ValueError("maxent needs a non-empty (M, n) training array")
        n = train.shape[1]
        self.train = check_data(train, n, convention)
        self.val = (check_data(val, n, convention) if val is not None and len(val)
                    else np.zeros((0, n)))
        if constraints.n != n:
            raise ValueError(f"constraints are for {constraints.n} units, the data has {n}")
        if estimator not in ESTIMATORS:
            raise ValueError(f"unknown estimator {estimator!r}; choose exact, mcmc or "
                             f"pseudolikelihood")
        self.convention = convention
        self.image_shape = tuple(image_shape) if image_shape is not None else None
        # early stopping watches the exact likelihood when it is tractable, else the pseudo-LL
        self.monitor = "val_ll" if _est.exact_ll_live(n) else "val_pll"
        self.C = constraints
        self.n = n
        self.M = len(self.train)
        self.l1, self.l2 = float(l1), float(l2)
        self.tolerance, self.strict_tolerance = float(tolerance), float(strict_tolerance)
        self.seed = int(seed)
        self.n_steps = 0

        self.data = data_moments(self.train, convention)
        self.obs_data = observables(self.data, self.C)
        self.noise = sampling_noise(self.data, self.C, convention, self.M)
        self.corr_data = connected(self.data, self.C)

        self.optimizer = make_optimizer(optimizer, learning_rate, momentum, schedule, decay)
        if estimator == "exact":
            self.estimator = ExactEstimator(n, convention)
        elif estimator == "mcmc":
            self.estimator = MCMCEstimator(n, convention, chains, sweeps, sampler,
                                           np.random.default_rng([self.seed, 1]), self.train,
                                           tempering, temperatures)
        else:
            self.estimator = PseudoLikelihoodEstimator(self.train, convention, self.C)

        self.params = {"h": np.zeros(n), "J": np.zeros((n, n))}
        if self.C.population:
            self.params["V"] = np.zeros(n + 1)
        self._initialise(init)
        self.mcmc = MCMCMonitor(self, self.ema_weight) if estimator == "mcmc" else None
        self.model_moments: Moments | None = None   # latest estimate (EMA for mcmc)
        self._ema_steps = 0
        self._residual = math.inf
        self._display = None

    # --- parameters ------------------------------------------------------------------------
    def _initialise(self, init):
        h, J = self.params["h"], self.params["J"]
        if init == "zero":
            return
        if init == "mean_field":
            h0, J0 = naive_mean_field(self.train, self.convention, self.C.pairs, self.C.means)
        elif init == "pseudolikelihood":
            h0, J0, V0 = fit_pseudolikelihood(self.train, self.convention, self.C.pairs,
                                                  fields=self.C.means,
                                                  population=self.C.population, l2=self.l2)
            if V0 is not None:
                self.params["V"][...] = V0
        else:
            raise ValueError(f"unknown init {init!r}; choose zero, mean_field or pseudolikelihood")
        h[...] = h0 if self.C.means else 0.0
        J[...] = J0 * self.C.pair_float

    def _hV(self):
        p = self.params
        return p["h"], p["J"], p.get("V")

    @property
    def model(self):
        """The current model, a :class:`boltzmann_lab.models.pairwise.PairwiseModel` (copies of the parameters)."""
        from boltzmann_lab.models.pairwise import PairwiseModel
        h, J, V = self._hV()
        return PairwiseModel(h.copy(), J.copy(), self.convention,
                             V=None if V is None else V.copy())

    # --- one update ------------------------------------------------------------------------
    def step(self) -> dict[str, float]:
        """One full-batch update (skipped once an exact or pseudolikelihood fit has converged).
        Returns cheap metrics at the parameters before the update:

        ``max_moment_error``, ``normalized_error``, ``normalized_residual`` (only with penalties),
        ``corr_pearson``, ``corr_slope`` (exact and mcmc; for mcmc the model moments are an
        exponential moving average over recent steps, weight 0.05); for ``pseudolikelihood``:
        ``train_pll`` and ``normalized_residual`` (its penalised PLL gradient over δ_O);
        ``learning_rate`` always.
        """
        h, J, V = self._hV()
        C = self.C
        est = self.estimator.estimate(h, J, V)
        metrics: dict[str, float] = dict(est.metrics)
        if est.moments is not None:
            if self.mcmc is not None:
                self.mcmc.observe(est)
            grads = self._unpack_delta(self.obs_data - observables(est.moments, C))
            self._update_monitor(est.moments)
            metrics.update(self._moment_metrics())
            if self.mcmc is not None:
                metrics.update(self.mcmc.metrics())
        else:
            grads = est.grads
        resid = self._penalised_residual(grads)
        if self.l1 or self.l2 or est.moments is None:
            # a stochastic estimate is reported from the averaged moments, like normalized_error
            metrics["normalized_residual"] = (resid if self.estimator.deterministic
                                              else self._mcmc_residual())
        self._residual = resid
        metrics["learning_rate"] = self.optimizer.lr
        # A deterministic estimator at its optimum stops moving: converged() then describes the
        # parameters that are kept (an Adam step would move every parameter by ~lr).
        if not (self.estimator.deterministic and resid < self.strict_tolerance) and \
                not (self.mcmc is not None and self.mcmc.frozen):
            self._update(grads)
        self.n_steps += 1
        return metrics

    def _unpack_delta(self, delta):
        """Gradient dict from the vector Δ = <O>_data - <O>_model."""
        C, n = self.C, self.n
        g = {"h": np.zeros(n), "J": np.zeros((n, n))}
        k = 0
        if C.means:
            g["h"] = delta[:n].copy()
            k = n
        d = delta[k:k + C.n_pairs]
        g["J"][C.iu, C.ju] = d
        g["J"][C.ju, C.iu] = d
        k += C.n_pairs
        if C.population:
            g["V"] = -delta[k:]
        return g

    def _penalised_residual(self, grads, noise=None) -> float:
        """max |gradient of the penalised objective| / δ_O (min-norm subgradient for l1); another
        ``noise`` vector may replace δ_O."""
        C = self.C
        parts = []
        if C.means:
            parts.append(grads["h"])
        gJ = grads["J"][C.iu, C.ju]
        w = self.params["J"][C.iu, C.ju]
        gJ = gJ - self.l2 * w
        if self.l1:
            gJ = np.where(w != 0, gJ - self.l1 * np.sign(w),
                          np.sign(gJ) * np.maximum(np.abs(gJ) - self.l1, 0.0))
        parts.append(gJ)
        if C.population:
            parts.append(grads["V"])
        r = np.abs(np.concatenate(parts)) / (self.noise if noise is None else noise)
        return float(r.max()) if r.size else 0.0

    def _update(self, grads):
        p = self.params
        J_old = p["J"].copy() if self.l1 else None
        g = {"h": grads["h"], "J": grads["J"] - self.l2 * p["J"]}
        if "V" in p:
            g["V"] = grads["V"]
        lr = self.optimizer.lr
        sgd = isinstance(self.optimizer, SGD)
        if self.l1 and not sgd:
            w = p["J"]
            g["J"] = np.where(w != 0, g["J"] - self.l1 * np.sign(w),
                              np.sign(g["J"]) * np.maximum(np.abs(g["J"]) - self.l1, 0.0))
        self.optimizer.step(p, g)
        if self.l1:
            if sgd:
                p["J"][...] = soft_threshold(p["J"], lr * self.l1)
            else:
                # orthant-wise: a coupling stops at zero instead of crossing it, and its
                # momentum is dropped (else it keeps pushing across zero and never settles)
                crossed = J_old * p["J"] < 0
                p["J"][crossed] = 0.0
                for state in (getattr(self.optimizer, "m", {}),
                              getattr(self.optimizer, "velocity", {})):
                    if "J" in state:
                        state["J"][crossed] = 0.0
        # exact zeros for unconstrained moments (NaN * 0 stays NaN: divergence is not hidden)
        p["J"] *= self.C.pair_float
        if not self.C.means:
            p["h"] *= 0.0

    # --- monitoring ------------------------------------------------------------------------
    def _update_monitor(self, mom: Moments):
        if self.estimator.deterministic or self.model_moments is None:
            self.model_moments = mom
            self._ema_steps = 1
            return
        # running mean for the first 1/w steps, then an exponential moving average
        self._ema_steps += 1
        w = max(self.ema_weight, 1.0 / self._ema_steps)
        old = self.model_moments
        self.model_moments = Moments(*((1 - w) * a + w * b for a, b in
                                       ((old.mean, mom.mean), (old.second, mom.second),
                                        (old.p_k, mom.p_k))))

    def _moment_metrics(self) -> dict[str, float]:
        mom = self.model_moments
        if mom is None:
            return {}
        delta = self.obs_data - observables(mom, self.C)
        out = {}
        if delta.size:
            a = np.abs(delta)
            out["max_moment_error"] = float(a.max())
            out["normalized_error"] = float((a / self.noise).max())
            self._normalized_error = out["normalized_error"]
        cm = connected(mom, self.C)
        cd = self.corr_data
        if cd.size >= 2 and np.all(np.isfinite(cm)):
            sd, sm = cd.std(), cm.std()
            if sd > 0 and sm > 0:
                out["corr_pearson"] = float(np.corrcoef(cd, cm)[0, 1])
                out["corr_slope"] = float(np.cov(cd, cm, bias=True)[0, 1] / sd ** 2)
        elif cd.size and not np.all(np.isfinite(cm)):
            out["corr_pearson"] = float("nan")
        return out

    def converged(self) -> str | None:
        r = self._residual
        if not math.isfinite(r) or self.n_steps == 0:
            return None
        if self.mcmc is not None:
            return self.mcmc.converged()
        if r < self.strict_tolerance:
            return (f"converged: {self.estimator.objective} gradient / sampling noise = {r:.4g} < "
                    f"{self.strict_tolerance:g}")
        return None

    _normalized_error = math.inf

    def _mcmc_residual(self):
        delta = self.obs_data - observables(self.model_moments, self.C)
        return self._penalised_residual(self._unpack_delta(delta))

    def evaluation_cost(self) -> float:
        """One :meth:`evaluate` in steps (:func:`~boltzmann_lab.learning.maxent_estimators.
        evaluation_cost`)."""
        return _est.evaluation_cost(self)

    def evaluate(self) -> dict[str, float]:
        """Exact ``train_ll``/``val_ll`` (nats per sample) when n <= ``MAX_UNITS``, else
        ``train_pll``/``val_pll``; ``val_*`` only when there is validation data.  For the
        pseudolikelihood estimator with n <= ``MAX_UNITS`` also the exact moment metrics
        (``max_moment_error``, ...)."""
        h, J, V = self._hV()
        out = {}
        if not finite(h, J, V):
            return {"train_ll": float("nan")}
        if _est.exact_ll_live(self.n):
            from boltzmann_lab.exact.enumeration import log_likelihood, log_z
            lz = log_z(h, J, self.convention, V)
            out["train_ll"] = log_likelihood(self.train, h, J, self.convention, V, logz=lz)
            if len(self.val):
                out["val_ll"] = log_likelihood(self.val, h, J, self.convention, V, logz=lz)
        else:
            out["train_pll"] = _pl.pseudo_log_likelihood(self.train, h, J, self.convention, V)
            if len(self.val):
                out["val_pll"] = _pl.pseudo_log_likelihood(self.val, h, J, self.convention, V)
        if self.estimator.name == "pseudolikelihood" and self.n <= MAX_UNITS:
            self.model_moments = ExactEstimator(self.n, self.convention).moments(h, J, V)
            out.update(self._moment_metrics())
        return out

    # --- control ---------------------------------------------------------------------------
    def set_hyper(self, name, value) -> None:
        """Adjustable while running: ``learning_rate``, ``l1``, ``l2``, ``sweeps`` (mcmc),
        ``tolerance``, ``strict_tolerance``."""
        if name == "learning_rate":
            self.optimizer.lr0 = float(value)
        elif name in ("l1", "l2"):
            if float(value) < 0:
                raise ValueError(f"{name} must be >= 0")
            setattr(self, name, float(value))
        elif name == "sweeps":
            if not isinstance(self.estimator, MCMCEstimator):
                raise KeyError("sweeps applies to the mcmc estimator only")
            self.estimator.sweeps = max(1, int(value))
        elif name in ("tolerance", "strict_tolerance"):
            setattr(self, name, float(value))
        else:
            raise KeyError(f"maxent has no adjustable parameter {name!r}; adjustable: "
                           f"learning_rate, l1, l2, sweeps, tolerance, strict_tolerance")

    def params_changed(self) -> None:
        # parameters were rolled back: monitoring statistics describe other parameters now
        self.model_moments = None
        self._ema_steps = 0
        self._residual = math.inf
        self._normalized_error = math.inf
        if self.mcmc is not None:
            self.mcmc.reset()

    def state_dict(self):
        d = super().state_dict()
        d.update({f"optim/{k}": v for k, v in self.optimizer.state_dict().items()})
        d["optim/lr0"] = self.optimizer.lr0
        d["learner/n_steps"] = self.n_steps
        d["learner/l1"], d["learner/l2"] = self.l1, self.l2
        d["learner/ema_steps"] = self._ema_steps
        d["learner/residual"] = self._residual
        d["learner/normalized_error"] = self._normalized_error
        if self.model_moments is not None:
            m = self.model_moments
            d["moments/mean"], d["moments/second"], d["moments/p_k"] = (
                m.mean.copy(), m.second.copy(), m.p_k.copy())
        d.update({k: np.array(v, copy=True) if isinstance(v, np.ndarray) else v
                  for k, v in self.estimator.state_dict().items()})
        if self._display is not None:
            d.update({f"display/{k}": v for k, v in self._display.state_dict().items()})
        if self.mcmc is not None:
            d.update(self.mcmc.state_dict())
        return d

    def load_state_dict(self, state):
        super().load_state_dict(state)
        self.optimizer.load_state_dict({k[len("optim/"):]: v for k, v in state.items()
                                        if k.startswith("optim/") and k != "optim/lr0"})
        self.optimizer.lr0 = float(state.get("optim/lr0", self.optimizer.lr0))
        self.n_steps = int(state["learner/n_steps"])
        self.l1, self.l2 = float(state["learner/l1"]), float(state["learner/l2"])
        self._ema_steps = int(state["learner/ema_steps"])
        self._residual = float(state["learner/residual"])
        self._normalized_error = float(state["learner/normalized_error"])
        if "moments/mean" in state:
            self.model_moments = Moments(np.array(state["moments/mean"]),
                                         np.array(state["moments/second"]),
                                         np.array(state["moments/p_k"]))
        else:
            self.model_moments = None
        self.estimator.load_state_dict(state)
        if self.mcmc is not None:
            self.mcmc.load_state_dict(state)
        disp = {k[len("display/"):]: v for k, v in state.items() if k.startswith("display/")}
        if disp:
            if self._display is None or self._display.chains != int(disp["chains"]):
                self._make_display(int(disp["chains"]))
            self._display.load_state_dict(disp)


def make_learner(cfg, dataset) -> MaxEntLearner:
    """The ``maxent`` learner for a resolved config and a :class:`boltzmann_lab.data.dataset.Dataset`."""
    if dataset is None:
        raise ValueError("maxent needs data: set [data] path or generator")
    if dataset.convention not in ("binary", "spin"):
        raise ValueError(f"maxent models binary or spin data, this data set is "
                         f"{dataset.convention!r}: set [data] binarize, or use kind = 'gaussian'")
    m, t = cfg["model"], cfg["training"]
    C = Constraints.from_config(m, dataset.n, dataset.image_shape)
    return MaxEntLearner(
        dataset.train, dataset.val, dataset.convention, C, estimator=t["estimator"],
        init=t["init"], optimizer=t["optimizer"], learning_rate=t["learning_rate"],
        momentum=t["momentum"], schedule=t["schedule"], decay=t["decay"], l1=t["l1"],
        l2=t["l2"], chains=t["chains"], sweeps=t["sweeps"], sampler=t["sampler"],
        tolerance=t["tolerance"], strict_tolerance=t.get("strict_tolerance", 0.05),
        seed=t["seed"], image_shape=dataset.image_shape, tempering=t.get("tempering", "auto"),
        temperatures=t.get("temperatures", 8))


