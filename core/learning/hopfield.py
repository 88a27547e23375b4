"""The ``hopfield`` learner: store the patterns of the data with a rule, then recall a noisy cue
sweep by sweep (one step = ``sweeps`` sweeps of the recall dynamics), or unit by unit
(``units_per_step``: a pace a lecture audience can follow)."""

from __future__ import annotations

import numpy as np

from boltzmann_lab.kernels import hopfield as _k
from boltzmann_lab.kernels.rng import seed_states
from boltzmann_lab.learning import cost as _cost
from boltzmann_lab.learning.trainer import Learner
from boltzmann_lab.exact.enumeration import MAX_UNITS
from boltzmann_lab.models.hopfield import HopfieldModel, UPDATES, run_dynamics, store, to_spins


class HopfieldLearner(Learner):
    """Live recall for the GUI/CLI (kind ``hopfield``).

    "Training" is storing the patterns (done once, at construction).  Each :meth:`step` runs
    ``sweeps`` recall sweeps (``update``, ``temperature``) on one state, started from a noisy cue:
    stored pattern ``cue`` with exactly round(cue_noise * n) units flipped.  All randomness (cue
    flips, update orders, heat-bath draws) comes from one xorshift lane seeded by ``seed``, saved
    by :meth:`state_dict`.

    With ``units_per_step`` = k > 0 and asynchronous updates a step updates the next k units of
    the current sweep's random order instead (the last step of a sweep may update fewer), so a
    sweep of n units takes ceil(n / k) steps and the GUI shows recall unit by unit; the dynamics
    are those of whole sweeps, cut into pieces.  Synchronous updates ignore it.

    Metrics per step: ``energy`` E(s); ``overlap`` m_cue(s); ``max_overlap_other``
    max_{mu != cue} |m_mu(s)| (0 with one pattern); ``flips`` fraction of units changed in the
    step.  :meth:`evaluate`: ``stable_patterns`` (fraction of stored patterns that are T = 0 fixed
    points), and ``train_ll`` (exact, n <= ``MAX_UNITS``) or ``train_pll`` (pseudo-log-likelihood) of the
    stored patterns at T = 1 (both over the first ``eval_patterns`` = 1000 patterns).
    Views: ``state`` (n,), ``overlaps`` (P,), ``data`` (first stored patterns), ``couplings`` (J,
    one read-only copy refreshed by :meth:`params_changed`).  :meth:`converged` (T = 0 only):
    a sweep changed nothing (fixed point) or synchronous recall entered a 2-cycle.
    """

    kind = "hopfield"
    convention = "spin"
    steps_per_epoch = 1.0

    def __init__(self, model: HopfieldModel, image_shape=None, update="async", temperature=0.0,
                 cue=0, cue_noise=0.1, sweeps=1, seed=0, units_per_step=0):
        self.model = model
        self.image_shape = None if image_shape is None else tuple(image_shape)
        self.params = {"J": model.J, "h": model.h}
        self.rng = seed_states(1, seed)
        self.update = "async"
        self.temperature = 0.0
        self.sweeps_per_step = 1
        self.set_hyper("update", update)
        self.set_hyper("temperature", temperature)
        self.set_hyper("sweeps", sweeps)
        self.units_per_step = 0
        self.set_hyper("units_per_step", units_per_step)
        self.cue_index = 0
        self._couplings_view = None
        self.recue(cue, cue_noise)

    # --- recall ------------------------------------------------------------------------------
    def recue(self, cue=None, cue_noise=None):
        """Restart recall from stored pattern ``cue`` (default: the current one) with a fresh
        noisy copy (``cue_noise`` default: the current setting), drawn from the learner's lane."""
        if cue is not None:
            cue = int(cue)
            if not 0 <= cue < self.model.n_patterns:
                raise ValueError(f"cue must be a stored pattern index "
                                 f"0..{self.model.n_patterns - 1}, got {cue}")
            self.cue_index = cue
        if cue_noise is not None:
            cue_noise = float(cue_noise)
            if not 0.0 <= cue_noise <= 1.0:
                raise ValueError(f"cue_noise must be in [0, 1], got {cue_noise}")
            self.cue_noise = cue_noise
        s = self.model.patterns[self.cue_index].copy()
        _k.flip_random(s, int(round(self.cue_noise * self.model.n)), self.rng, 0)
        self._set_state(s)

    def _set_state(self, s):
        self.state = np.ascontiguousarray(s, dtype=np.float64).copy()
        self.prev = np.zeros_like(self.state)       # s(t-1) unknown: no 2-cycle yet
        self.status = _k.STATUS_RUNNING
        self.total_sweeps = 0
        self.last_flips = -1
        self._order = np.zeros(self.model.n, dtype=np.int64)
        self._pos = self.model.n           # no sweep in progress: the next step draws an order
        self._sweep_flips = 0

    def apply_edit(self, indices, values):
        """Set units ``indices`` to ``values`` (drawing on the state; values > 0 -> +1, else -1,
        so binary 0/1 and spin values both work).  Recall continues from the edited state."""
        idx = np.asarray(indices, dtype=np.int64).ravel()
        if idx.size and (idx.min() < 0 or idx.max() >= self.model.n):
            raise IndexError(f"unit index out of range 0..{self.model.n - 1}")
        vals = np.asarray(values, dtype=np.float64)
        vals = np.where(np.broadcast_to(vals.ravel() if vals.ndim else vals, idx.shape) > 0,
                        1.0, -1.0)
        state = self.state.copy()
        state[idx] = vals
        self._set_state(state)

    def step(self):
        if self.units_per_step > 0 and self.update == "async":
            return self._step_units()
        S = self.state.reshape(1, -1)
        P = self.prev.reshape(1, -1)
        r = run_dynamics(self.model.J, self.model.h, S, self.update, self.temperature,
                         self.sweeps_per_step, rng_states=self.rng, prev=P)
        self.status = int(r["status"][0])
        self.last_flips = int(r["last_flips"][0])
        self.total_sweeps += int(r["sweeps"][0])
        m = self.model.overlaps(self.state)
        others = np.delete(np.abs(m), self.cue_index)
        return {"energy": float(self.model.energy(self.state)),
                "overlap": float(m[self.cue_index]),
                "max_overlap_other": float(others.max()) if others.size else 0.0,
                "flips": float(r["flips"][0]) / self.model.n}

    def _step_units(self):
        """The next ``units_per_step`` units of the current asynchronous sweep."""
        n = self.model.n
        if self._pos >= n:
            _k.shuffle_order(self._order, self.rng, 0)
            self._pos = 0
            self._sweep_flips = 0
        count = min(self.units_per_step, n - self._pos)
        flips = _k.async_units(self.model.J, self.model.h, self.state, self.temperature,
                               self._order, self._pos, count, self.rng, 0)
        self._pos += count
        self._sweep_flips += flips
        if self._pos >= n:                  # a sweep is complete
            self.total_sweeps += 1
            self.last_flips = self._sweep_flips
            if self.temperature <= 0 and self._sweep_flips == 0:
                self.status = _k.STATUS_FIXED_POINT
        return self._metrics(flips)

    def _metrics(self, flips):
        m = self.model.overlaps(self.state)
        others = np.delete(np.abs(m), self.cue_index)
        return {"energy": float(self.model.energy(self.state)),
                "overlap": float(m[self.cue_index]),
                "max_overlap_other": float(others.max()) if others.size else 0.0,
                "flips": float(flips) / self.model.n}

    def converged(self):
        if self.temperature > 0:
            return None
        m = float(self.model.overlaps(self.state)[self.cue_index])
        if self.status == _k.STATUS_FIXED_POINT:
            return (f"recall reached a fixed point (no unit changed in a sweep) after "
                    f"{self.total_sweeps} sweeps; overlap with pattern {self.cue_index} = {m:.3f}")
        if self.status == _k.STATUS_TWO_CYCLE:
            return (f"synchronous recall entered a 2-cycle after {self.total_sweeps} sweeps; "
                    f"overlap with pattern {self.cue_index} = {m:.3f}")
        return None

    #: evaluate() looks at the first this many stored patterns (each costs O(n^2))
    eval_patterns = 1000

    def evaluation_cost(self):
        """One :meth:`evaluate` in steps by the a-priori cost model (:mod:`boltzmann_lab.learning.
        cost`): the exact log Z enumerates 2^n states (n <= ``MAX_UNITS``), and each of up to
        ``eval_patterns`` patterns costs O(n^2); a recall step is ``sweeps_per_step`` sweeps
        (or ``units_per_step`` units) of one network."""
        n, P = self.model.n, min(len(self.model.patterns), self.eval_patterns)
        t = _cost.seconds(muladds=3 * P * n * n, elements=P * n)
        if n <= MAX_UNITS:
            t += _cost.enumeration_seconds(n, n, "pairwise")
        units = (self.units_per_step if self.units_per_step > 0 and self.update == "async"
                 else self.sweeps_per_step * n)
        step = _cost.step_seconds(muladds=units * n + n * P, samples=units)
        return _cost.ratio(t, step)

    def evaluate(self):
        M = self.model
        xi = M.patterns[:self.eval_patterns]
        out = {"stable_patterns": float(M.fixed_points(xi).mean())}
        if M.n <= MAX_UNITS:
            out["train_ll"] = float(M.log_prob(xi).mean())
        else:
            out["train_pll"] = M.pll(xi)
        return out

    def views(self, n_show=16):
        if self._couplings_view is None:
            # J only changes through params_changed(); one read-only copy serves every snapshot
            self._couplings_view = self.model.J.copy()
            self._couplings_view.flags.writeable = False
        return {"state": self.state.copy(),
                "overlaps": self.model.overlaps(self.state),
                "data": self.model.patterns[:n_show].copy(),
                "couplings": self._couplings_view}

    def params_changed(self):
        self._couplings_view = None

    # --- hyperparameters ---------------------------------------------------------------------
    def set_hyper(self, name, value):
        """``temperature`` (>= 0), ``update`` (async/sync), ``sweeps`` (per step),
        ``units_per_step`` (>= 0, 0: whole sweeps), ``cue_noise``
        (in [0, 1]) and ``cue`` (both restart recall now from a fresh noisy cue), ``rule``
        (re-store the patterns with another rule; the state is kept)."""
        if name == "temperature":
            value = float(value)
            if not value >= 0:
                raise ValueError(f"temperature must be >= 0, got {value}")
            self.temperature = value
            self.status = _k.STATUS_RUNNING
        elif name == "update":
            if value not in UPDATES:
                raise ValueError(f"update must be one of {', '.join(UPDATES)}, got {value!r}")
            self.update = value
            self.prev = np.zeros_like(getattr(self, "state", np.zeros(self.model.n)))
            self.status = _k.STATUS_RUNNING
        elif name == "sweeps":
            if int(value) < 1:
                raise ValueError(f"sweeps must be >= 1, got {value}")
            self.sweeps_per_step = int(value)
        elif name == "units_per_step":
            if int(value) < 0:
                raise ValueError(f"units_per_step must be >= 0, got {value}")
            self.units_per_step = int(value)
        elif name == "cue_noise":
            self.recue(None, value)
        elif name == "cue":
            self.recue(int(value))
        elif name == "rule":
            self.model.J[...] = store(self.model.patterns, value)
            self.model.rule = value
            self.status = _k.STATUS_RUNNING
            self.params_changed()
        else:
            raise KeyError(f"hopfield has no adjustable parameter {name!r}; choose temperature, "
                           f"update, sweeps, units_per_step, cue_noise, cue or rule")

    # --- sessions ----------------------------------------------------------------------------
    def state_dict(self):
        return {"param/J": self.model.J.copy(), "param/h": self.model.h.copy(),
                "hopfield/patterns": self.model.patterns.copy(),
                "hopfield/rule": self.model.rule,
                "hopfield/state": self.state.copy(), "hopfield/prev": self.prev.copy(),
                "hopfield/rng": self.rng.copy(), "hopfield/status": self.status,
                "hopfield/total_sweeps": self.total_sweeps, "hopfield/last_flips": self.last_flips,
                "hopfield/cue": self.cue_index, "hopfield/cue_noise": self.cue_noise,
                "hopfield/temperature": self.temperature, "hopfield/update": self.update,
                "hopfield/sweeps": self.sweeps_per_step,
                "hopfield/units_per_step": self.units_per_step,
                "hopfield/order": self._order.copy(), "hopfield/pos": self._pos,
                "hopfield/sweep_flips": self._sweep_flips}

    def load_state_dict(self, state):
        if state["hopfield/state"].shape != (self.model.n,):
            raise ValueError(f"saved Hopfield state has {state['hopfield/state'].shape} units, "
                             f"this network has {self.model.n}")
        self.model.J[...] = state["param/J"]
        self.model.h[...] = state["param/h"]
        self.model.patterns = np.array(state["hopfield/patterns"], dtype=np.float64)
        self.model.rule = str(state["hopfield/rule"])
        self.state = np.array(state["hopfield/state"], dtype=np.float64)
        self.prev = np.array(state["hopfield/prev"], dtype=np.float64)
        self.rng[...] = state["hopfield/rng"]
        self.status = int(state["hopfield/status"])
        self.total_sweeps = int(state["hopfield/total_sweeps"])
        self.last_flips = int(state["hopfield/last_flips"])
        self.cue_index = int(state["hopfield/cue"])
        self.cue_noise = float(state["hopfield/cue_noise"])
        self.temperature = float(state["hopfield/temperature"])
        self.update = str(state["hopfield/update"])
        self.sweeps_per_step = int(state["hopfield/sweeps"])
        if "hopfield/order" in state:           # sessions saved before units_per_step lack it
            self.units_per_step = int(state["hopfield/units_per_step"])
            self._order = np.array(state["hopfield/order"], dtype=np.int64)
            self._pos = int(state["hopfield/pos"])
            self._sweep_flips = int(state["hopfield/sweep_flips"])
        self.params_changed()


def make_learner(cfg, dataset):
    """The ``hopfield`` learner: stores every sample of ``dataset`` (train and validation rows;
    binary data become spins by 2x - 1) with ``[model] rule`` and starts recall from pattern
    ``cue`` with ``cue_noise``; ``[training] sweeps`` per step (or ``units_per_step`` units of a
    sweep), ``seed`` for all randomness."""
    if dataset is None:
        raise ValueError("a Hopfield network needs a data set of patterns to store "
                         "([data] path or generator)")
    m, t = cfg["model"], cfg["training"]
    conv = dataset.convention if dataset.convention in ("binary", "spin") else None
    try:
        patterns = to_spins(dataset.all, conv)
    except ValueError as exc:
        raise ValueError(f"data set {dataset.name or ''}: {exc}") from None
    if patterns.shape[0] == 0:
        raise ValueError("the data set has no samples to store as patterns")
    model = HopfieldModel.from_patterns(patterns, m["rule"], "spin")
    if not 0 <= m["cue"] < model.n_patterns:
        raise ValueError(f"[model] cue = {m['cue']} is not a stored pattern; the data set has "
                         f"{model.n_patterns} patterns (0..{model.n_patterns - 1})")
    return HopfieldLearner(model, dataset.image_shape, m["update"], m["temperature"], m["cue"],
                           m["cue_noise"], t["sweeps"], t["seed"], t["units_per_step"])
