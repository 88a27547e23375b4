"""The live 2D Ising simulation behind ``[model] kind = "ising"``: a Learner whose "training"
steps are lattice sweeps (nothing is learned), for the Ising-phases demo."""

from __future__ import annotations

import numpy as np

from boltzmann_lab.learning.trainer import Learner
from boltzmann_lab.models.ising import IsingModel, Lattice, exact_references


class IsingLearner(Learner):
    """Live simulation of the 2D Ising model for the "Ising phases" view (nothing is learned).

    ``step()`` runs ``sweeps`` sweeps of the current algorithm and returns the energy per spin,
    magnetisation and |magnetisation| of the state after the last sweep, plus the exact
    infinite-lattice values at the current (T, J, H) where known (``exact_energy`` for H = 0,
    ``exact_magnetization`` for H = 0 and J > 0).  Adjustable while running (``set_hyper``):
    ``temperature``, ``field``, ``coupling``, ``algorithm``, ``sweeps``.  ``apply_edit`` draws
    spins.  ``state_dict`` holds spins, RNG states and those settings, so a resumed run is
    bit-for-bit identical.
    """

    kind = "ising"
    convention = "spin"
    steps_per_epoch = 1

    def __init__(self, L, T, J=1.0, H=0.0, algorithm="metropolis", sweeps=1, seed=0,
                 start="random"):
        self.lattice = Lattice(L, T, J, H, seed=seed, start=start)
        self.lattice.check_algorithm(algorithm)
        self.algorithm = algorithm
        self.sweeps = int(sweeps)
        if self.sweeps < 1:
            raise ValueError("sweeps must be >= 1")
        self.image_shape = (self.lattice.L, self.lattice.L)
        self.params = {}

    @property
    def model(self):
        lat = self.lattice
        return IsingModel(lat.L, lat.T, lat.J, lat.H, lat.spins)

    def step(self):
        e, m = self.lattice.sweep(self.sweeps, self.algorithm)
        lat = self.lattice
        out = {"energy": float(e[-1]), "magnetization": float(m[-1]),
               "abs_magnetization": float(abs(m[-1]))}
        out.update(exact_references(lat.T, lat.J, lat.H))
        return out

    def views(self, n_show=16):
        return {"state": self.lattice.spins.astype(np.float32).reshape(-1)}

    def converged(self):
        return None

    def set_hyper(self, name, value):
        lat = self.lattice
        if name == "temperature":
            lat.set_params(T=float(value))
        elif name in ("field", "coupling"):
            old = (lat.J, lat.H)
            lat.set_params(**({"H": float(value)} if name == "field" else {"J": float(value)}))
            try:
                lat.check_algorithm(self.algorithm)
            except ValueError:
                lat.set_params(J=old[0], H=old[1])
                raise
        elif name == "algorithm":
            lat.check_algorithm(value)
            self.algorithm = value
        elif name == "sweeps":
            if int(value) < 1:
                raise ValueError("sweeps must be >= 1")
            self.sweeps = int(value)
        else:
            super().set_hyper(name, value)

    def apply_edit(self, indices, values):
        """Set spins at flat indices (row-major into L*L) to +1 where values > 0, else -1."""
        self.lattice.set_spins(indices, values)

    def state_dict(self):
        st = {f"ising/{k}": v for k, v in self.lattice.state_dict().items()}
        st["ising/algorithm"] = np.array(self.algorithm)
        st["ising/sweeps"] = np.array(self.sweeps)
        return st

    def load_state_dict(self, state):
        self.lattice.load_state_dict({k: state[f"ising/{k}"]
                                      for k in ("spins", "lanes", "wolff_state", "params")})
        self.algorithm = str(state["ising/algorithm"])
        self.sweeps = int(state["ising/sweeps"])


def make_learner(cfg, dataset=None):
    """Learner for ``[model] kind = "ising"``: keys L, temperature, coupling, field, algorithm,
    start from [model]; sweeps and seed from [training].  ``dataset`` is ignored (None)."""
    m, t = cfg["model"], cfg["training"]
    return IsingLearner(m["L"], m["temperature"], m["coupling"], m["field"],
                        algorithm=m["algorithm"], sweeps=t["sweeps"], seed=t["seed"],
                        start=m["start"])
