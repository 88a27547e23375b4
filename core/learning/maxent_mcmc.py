"""Persistent MCMC for MaxEnt learning that mixes, and says when it does not.

:class:`TemperedChains` — ``chains`` persistent chains at β = 1 (the fantasy particles whose
averages enter the gradient) plus, when tempering is on, R − 1 replica sets at inverse temperatures
β_r = 1 − r/(R−1) · (1 − β_min), r = 0 … R−1 (β_min = :data:`BETA_MIN`; β multiplies the whole
energy, V included).  Each step every replica set runs ``sweeps`` sweeps at its β
(:class:`boltzmann_lab.models.pairwise.PairwiseSampler`), then neighbouring replicas of the same
chain index are swapped (even pairs, then odd pairs) with the Metropolis probability
min(1, exp((β_r − β_s)(E_r − E_s))), E the energy at β = 1.  Every move satisfies detailed balance
for the product of the tempered distributions, so the β = 1 chains sample the model exactly while
the hot replicas carry them across barriers (two ordered modes of bimodal data, which single-spin
Gibbs chains never cross).  Swap proposals use their own RNG stream, seeded from ``(seed, step)``.

``tempering``: ``off`` (plain chains), ``on`` (from the start), ``auto`` (plain chains until the
split-R̂ of the β = 1 chains' energy or magnetisation (:mod:`boltzmann_lab.stats.mixing`, a window
of :data:`WINDOW` steps) reaches :data:`~boltzmann_lab.stats.mixing.RHAT_OK`, then tempering is
switched on for good; the replicas start as copies of the β = 1 chains).

:class:`ChainNoise` — the Monte Carlo noise of the learner's moving-average model moments: the
same moving average is kept per chain, on the end-of-step states of at most :data:`NOISE_CHAINS`
chains, and δ_model(O) = std over those chains of their averages / sqrt(chains).  Chains are
independent, so this is the standard error of the average over all chains, autocorrelation
included; it ignores the averaging over the sweeps inside a step (conservative for sweeps > 1).
"""

from __future__ import annotations

import math

import numpy as np

from boltzmann_lab.sampling.tempering import swap_neighbours
from boltzmann_lab.stats.mixing import RHAT_OK, ChainMonitor, worst_rhat

#: lowest inverse temperature of the tempering ladder
BETA_MIN = 0.0
#: steps of per-chain energy / magnetisation kept for the mixing diagnostic
WINDOW = 100
#: chains whose moving averages estimate the model-moment noise
NOISE_CHAINS = 64
TEMPERING = ("auto", "on", "off")


def _energy(x, h, J, V):
    e = -(x @ h) - 0.5 * np.einsum("mi,mi->m", x @ J, x)
    if V is not None:
        e += V[(x > 0).sum(axis=1)]
    return e


class TemperedChains:
    """β = 1 chains plus optional tempered replicas (module docstring)."""

    def __init__(self, n, convention, chains, sweeps, method, rng, init_data, tempering="auto",
                 temperatures=8):
        from boltzmann_lab.models.pairwise import PairwiseSampler
        if tempering not in TEMPERING:
            raise ValueError(f"tempering must be one of {', '.join(TEMPERING)}, got {tempering!r}")
        self.n, self.convention, self.sweeps = n, convention, int(sweeps)
        self.chains, self.method, self.mode = int(chains), method, tempering
        self.R = max(2, int(temperatures))
        self.seed = int(rng.integers(2 ** 63))
        self._make = lambda s: PairwiseSampler(n, self.chains, convention, seed=s, method=method)
        self.sampler = self._make(int(rng.integers(2 ** 63)))
        rows = rng.integers(0, len(init_data), size=self.chains)
        self.sampler.set_states(np.ascontiguousarray(init_data[rows], dtype=np.float64))
        self.replicas: list = []
        self.betas = np.ones(1)
        self.monitor = ChainMonitor(self.chains, window=WINDOW)
        self.swap_accept = self.swap_tries = 0.0
        self.steps = 0
        self.switched_at = None
        if tempering == "on":
            self._start_tempering()

    @property
    def tempering(self) -> bool:
        return bool(self.replicas)

    def _start_tempering(self):
        ss = np.random.SeedSequence([self.seed, 7])
        x = self.sampler.states
        self.replicas = []
        for child in ss.spawn(self.R - 1):
            s = self._make(int(child.generate_state(1, np.uint64)[0]))
            s.set_states(x)
            self.replicas.append(s)
        self.betas = 1.0 - np.arange(self.R) / (self.R - 1) * (1.0 - BETA_MIN)
        self.switched_at = self.steps
        self.monitor.reset()

    def moments(self, h, J, V):
        """Advance every replica; return (mean, second, p_k) of the β = 1 chains over this
        step's sweeps, and their states after the swaps (chains, n)."""
        mean, second, p_k = self.sampler.moments(h, J, V, sweeps=self.sweeps)
        if self.replicas:
            for s, beta in zip(self.replicas, self.betas[1:]):
                s.run(h, J, V, sweeps=self.sweeps, beta=float(beta))
            self._swap(h, J, V)
        self.steps += 1
        x = self.sampler.states
        self.monitor.record(_energy(x, h, J, V) / self.n, x.mean(axis=1))
        if self.mode == "auto" and not self.replicas and self.monitor.ready and \
                self.steps % 10 == 0 and worst_rhat(self.monitor.diagnostics()) >= RHAT_OK:
            self._start_tempering()
        return (np.asarray(mean), np.asarray(second), np.asarray(p_k)), x

    def _swap(self, h, J, V):
        samplers = [self.sampler] + self.replicas
        xs = np.stack([smp.states for smp in samplers])
        es = np.stack([_energy(x, h, J, V) for x in xs])
        u = np.random.default_rng([self.seed, 8, self.steps]).random((self.R, self.chains))
        tries, accepted = np.zeros(self.R - 1), np.zeros(self.R - 1)
        slot = swap_neighbours(self.betas, es, u, tries, accepted)
        self.swap_tries += float(tries.sum())
        self.swap_accept += float(accepted.sum())
        xs = xs[slot, np.arange(self.chains)[None, :]]
        for smp, x in zip(samplers, xs):
            smp.set_states(np.ascontiguousarray(x))

    def metrics(self) -> dict[str, float]:
        """``rhat_energy``, ``rhat_m``, ``tau_m`` (once the window is half full), ``replicas``
        (1 without tempering) and ``swap_rate`` (with tempering)."""
        out = dict(self.monitor.diagnostics()) if self.steps % 10 == 0 else {}
        out["replicas"] = float(len(self.replicas) + 1)
        if self.replicas:
            out["swap_rate"] = float(self.swap_accept / max(self.swap_tries, 1.0))
        return out

    def state_dict(self):
        d = {f"sampler/{k}": v for k, v in self.sampler.state_dict().items()}
        d["tempered/steps"] = self.steps
        d["tempered/replicas"] = len(self.replicas)
        d["tempered/swaps"] = np.array([self.swap_accept, self.swap_tries])
        for r, s in enumerate(self.replicas):
            d.update({f"replica{r}/{k}": v for k, v in s.state_dict().items()})
        d.update(self.monitor.state_dict("tempered/monitor/"))
        return d

    def load_state_dict(self, state):
        self.sampler.load_state_dict({k[len("sampler/"):]: v for k, v in state.items()
                                      if k.startswith("sampler/")})
        if "tempered/steps" not in state:
            return
        if int(state["tempered/replicas"]) and not self.replicas:
            self._start_tempering()
        elif not int(state["tempered/replicas"]):
            self.replicas, self.betas = [], np.ones(1)
        for r, s in enumerate(self.replicas):
            s.load_state_dict({k[len(f"replica{r}/"):]: v for k, v in state.items()
                               if k.startswith(f"replica{r}/")})
        self.steps = int(state["tempered/steps"])
        self.swap_accept, self.swap_tries = (float(v) for v in state["tempered/swaps"])
        self.monitor.load_state_dict(state, "tempered/monitor/")


class ChainNoise:
    """Standard error of the moving-average model moments from per-chain moving averages
    (module docstring).  ``observe(x)`` takes the (chains, n) states of one step."""

    def __init__(self, constraints, n_chains, weight, convention):
        self.C, self.n_chains, self.w = constraints, int(n_chains), float(weight)
        G = min(self.n_chains, NOISE_CHAINS)
        self.index = np.unique(np.linspace(0, self.n_chains - 1, G).round().astype(np.int64))
        self.on = 1.0 if convention == "spin" else 0.5
        self.reset()

    def reset(self):
        self.ema = None
        self.steps = 0

    def _obs(self, x):
        C = self.C
        parts = []
        if C.means:
            parts.append(x)
        parts.append(x[:, C.iu] * x[:, C.ju])
        if C.population:
            K = (x > 0).sum(axis=1)
            parts.append(np.eye(C.n + 1)[K])
        return np.concatenate(parts, axis=1)

    def observe(self, x):
        o = self._obs(np.asarray(x, np.float64)[self.index])
        self.steps += 1
        w = max(self.w, 1.0 / self.steps)
        self.ema = o if self.ema is None else (1 - w) * self.ema + w * o

    def state_dict(self, prefix="noise/"):
        return {f"{prefix}steps": self.steps, f"{prefix}w": self.w,
                f"{prefix}ema": (np.zeros((len(self.index), self._n_obs())) if self.ema is None
                                 else self.ema.copy())}

    def _n_obs(self):
        C = self.C
        return (C.n if C.means else 0) + len(C.iu) + (C.n + 1 if C.population else 0)

    def load_state_dict(self, state, prefix="noise/"):
        self.steps, self.w = int(state[f"{prefix}steps"]), float(state[f"{prefix}w"])
        self.ema = np.array(state[f"{prefix}ema"], np.float64) if self.steps else None

    def se(self) -> np.ndarray | None:
        """δ_model per observable (None before two steps or with fewer than 2 chains)."""
        if self.ema is None or self.steps < 2 or len(self.index) < 2:
            return None
        return self.ema.std(axis=0, ddof=1) / math.sqrt(self.n_chains)


#: steps per window of the step-size control (:class:`MCMCMonitor`)
BACKOFF_WINDOW = 100
#: the learning rate is never cut below the configured one times this
BACKOFF_FLOOR = 1.0 / 16
#: steps of the verification at frozen parameters that confirms convergence
VERIFY_STEPS = 50


class MCMCMonitor:
    """What the MaxEnt learner adds for the ``mcmc`` estimator (one per learner):

    * ``error_per_noise`` = max_O |<O>_data − <O>_model| / sqrt(δ_data(O)² + δ_model(O)²), the
      moment error measured against the combined noise of the data average and of the
      model estimate (:class:`ChainNoise`); with penalties the same normalisation of the
      penalised gradient (``residual_per_noise``).  Plain chains must also mix (split-R̂ <
      RHAT_OK): chains stuck in their starting modes give a biased estimate that no noise
      estimate reveals.  With tempering on the chains are ergodic, and slow mixing shows up as
      a larger per-chain noise estimate instead.
    * Convergence is certified at *fixed* parameters: the moving average of the model moments
      spans ~20 steps, and a model with a large susceptibility (two ordered modes whose balance
      moves with exp(2 n h)) can oscillate so that the average matches the data while no single
      parameter set does.  When ``error_per_noise`` < ``tolerance`` with the chains mixing
      (split-R̂ < :data:`~boltzmann_lab.stats.mixing.RHAT_OK`, or tempering on), the parameters are frozen for
      :data:`VERIFY_STEPS` steps (``verifying`` = 1) and the moments are averaged afresh (plain
      mean, noise from the per-chain means); the run has converged if the criterion still holds,
      else the learning rate is halved and training resumes.
    * Step-size control: a stochastic gradient at a constant step makes the parameters jitter by
      ~ the step size (Adam's steps do not shrink with the gradient's noise), which can keep the
      error above the noise for ever.  Every :data:`BACKOFF_WINDOW` steps the median
      ``error_per_noise`` of the window is compared with the previous window's; when it fell by
      less than 10 % and is still above the tolerance, the learning rate is halved (never below
      :data:`BACKOFF_FLOOR` times the configured rate).  ``learning_rate`` shows it.
    """

    def __init__(self, learner, weight):
        est = learner.estimator
        self.L = learner
        self.weight = float(weight)
        self.noise = ChainNoise(learner.C, est.chains.chains, weight, learner.convention)
        self._lr_floor = learner.optimizer.lr0 * BACKOFF_FLOOR
        self._replicas = 1
        self.reset()

    @property
    def frozen(self) -> bool:
        """The parameters are held fixed (verification of convergence)."""
        return self.verify_left > 0

    def observe(self, est):
        """Before the learner averages this step's moments: forget the averages when tempering
        has just been switched on (the earlier chains sampled another, biased, dynamics)."""
        L, ch = self.L, self.L.estimator.chains
        replicas = len(ch.replicas) + 1
        if replicas != self._replicas:
            self._replicas = replicas
            self.reset()
            self._restart_average()
        if L.estimator.states is not None:
            self.noise.observe(L.estimator.states)
        r = [v for k, v in est.metrics.items() if k.startswith("rhat_")]
        if r:
            self.rhat = max(r)

    def reset(self):
        self.noise.reset()
        self.noise.w = self.weight
        self.L.ema_weight = self.weight
        self.err = math.inf
        self.rhat = math.nan
        self.verify_left = 0
        self.passed = None
        self._window, self._prev = [], None

    def _restart_average(self):
        # the next step's moments replace the average (w = 1/steps), the old ones stay on show
        self.L._ema_steps = 0
        self.noise.reset()

    def total_noise(self):
        se = self.noise.se()
        return self.L.noise if se is None else np.sqrt(self.L.noise ** 2 + se ** 2)

    def _warm(self) -> bool:
        L = self.L
        return L._ema_steps * self.weight >= 1.0

    def _mixing_ok(self) -> bool:
        ch = self.L.estimator.chains
        if len(ch.monitor.index) < 2:
            return True                       # one chain: no between-chain diagnostic
        # with tempering on (the remedy applied) the chains are ergodic though maybe slow, and
        # their slowness widens the per-chain estimate of the model noise instead
        return self.rhat < RHAT_OK or ch.tempering

    def metrics(self) -> dict[str, float]:
        from boltzmann_lab.learning.constraints import observables
        L = self.L
        if L.model_moments is None:
            return {}
        delta = L.obs_data - observables(L.model_moments, L.C)
        if not delta.size:
            return {}
        noise = self.total_noise()
        if L.l1 or L.l2:
            self.err = L._penalised_residual(L._unpack_delta(delta), noise)
            out = {"residual_per_noise": self.err}
        else:
            self.err = float((np.abs(delta) / noise).max())
            out = {"error_per_noise": self.err}
        if self.verify_left:
            self.verify_left -= 1
            if not self.verify_left:
                self._judge()
        elif self.passed is None:
            if self._warm() and self.err < L.tolerance and self._mixing_ok():
                self._start_verification()
            else:
                self._backoff()
        out["verifying"] = float(self.frozen)
        return out

    def _start_verification(self):
        self.verify_left = VERIFY_STEPS
        self.L.ema_weight = 0.0               # plain running mean over the frozen steps
        self.noise.w = 0.0
        self._restart_average()

    def _judge(self):
        L = self.L
        if self.err < L.tolerance and self._mixing_ok():
            self.passed = self.err
            return
        L.optimizer.lr0 = max(0.5 * L.optimizer.lr0, self._lr_floor)
        L.ema_weight = self.weight
        self.noise.w = self.weight
        self._restart_average()
        self._window, self._prev = [], None

    def _backoff(self):
        L = self.L
        if not self._warm() or not math.isfinite(self.err):
            return
        self._window.append(self.err)
        if len(self._window) < BACKOFF_WINDOW:
            return
        med = float(np.median(self._window))
        self._window = []
        if self._prev is not None and med > 0.9 * self._prev and med >= L.tolerance:
            L.optimizer.lr0 = max(0.5 * L.optimizer.lr0, self._lr_floor)
        self._prev = med

    def converged(self) -> str | None:
        if self.passed is None:
            return None
        L = self.L
        what = "penalised gradient" if (L.l1 or L.l2) else "moment error"
        ch = L.estimator.chains
        rh = f"; split-R̂ {self.rhat:.3g}" if self.rhat == self.rhat else ""
        if ch.tempering:
            rh += f", parallel tempering with {len(ch.replicas) + 1} replicas"
        return (f"converged: {what} / noise = {self.passed:.3g} < {L.tolerance:g} at fixed "
                f"parameters over {VERIFY_STEPS} steps (noise: the data's sampling noise and the "
                f"MCMC estimate's own, combined{rh})")

    def state_dict(self):
        return {"mcmcmon/err": self.err, "mcmcmon/rhat": self.rhat,
                "mcmcmon/window": np.array(self._window, np.float64),
                "mcmcmon/prev": np.nan if self._prev is None else self._prev,
                "mcmcmon/replicas": self._replicas, "mcmcmon/verify_left": self.verify_left,
                "mcmcmon/passed": np.nan if self.passed is None else self.passed,
                **self.noise.state_dict("mcmcmon/noise/")}

    def load_state_dict(self, state):
        if "mcmcmon/err" not in state:
            return
        self.err, self.rhat = float(state["mcmcmon/err"]), float(state["mcmcmon/rhat"])
        self._window = [float(v) for v in np.atleast_1d(state["mcmcmon/window"])]
        prev = float(state["mcmcmon/prev"])
        self._prev = None if math.isnan(prev) else prev
        self._replicas = int(state["mcmcmon/replicas"])
        self.verify_left = int(state["mcmcmon/verify_left"])
        passed = float(state["mcmcmon/passed"])
        self.passed = None if math.isnan(passed) else passed
        self.L.ema_weight = 0.0 if self.verify_left else self.weight
        self.noise.load_state_dict(state, "mcmcmon/noise/")
