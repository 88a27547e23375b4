"""The model kinds, one record each: everything the rest of the program needs to know about a kind.

A :class:`ModelKind` names the kind's config keys (``[model]`` and ``[training]``), where its learner
and its model class live (``"module:attr"``, imported on demand so that importing the registry is
cheap), which arrays its model files must hold, and what data it accepts.  The config schema
(:mod:`boltzmann_lab.config`), the learner factory (:mod:`boltzmann_lab.build`), model files
(:mod:`boltzmann_lab.io.modelio`) and the data checks (:mod:`boltzmann_lab.data.prepare`) read these
records; adding a kind is adding one record (and its modules).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Callable

from boltzmann_lab.schema import NUM, Key, numbers

UNIT_TYPES = ("binary", "spin", "gaussian")


# Training keys shared by the kinds that use them (a kind that does not use a key must not accept
# it: a config key that does nothing is a bug).  Each kind's record may choose its own defaults.
def optimizer_keys(learning_rate=0.05, optimizer="adam", momentum=0.9, schedule="constant",
                   decay=0.0, rate_note="") -> dict:
    """Gradient-ascent settings (:mod:`boltzmann_lab.learning.optim`)."""
    return {
        "learning_rate": Key(learning_rate, NUM, low=0.0,
                             doc="base learning rate" + rate_note),
        "optimizer": Key(optimizer, str, choices=("sgd", "momentum", "adam"), doc="optimizer"),
        "momentum": Key(momentum, NUM, low=0.0, high=1.0, doc="momentum coefficient"),
        "schedule": Key(schedule, str, choices=("constant", "exponential", "inverse"),
                        doc="learning-rate schedule (formulas in boltzmann_lab.learning.optim)"),
        "decay": Key(decay, NUM, low=0.0, doc="schedule parameter"),
    }


def penalty_keys(l1=True, l2=True) -> dict:
    """L1 / L2 penalties on couplings or weights (never on fields or biases)."""
    out = {}
    if l1:
        out["l1"] = Key(0.0, NUM, low=0.0, doc="L1 penalty strength Λ")
    if l2:
        out["l2"] = Key(0.0, NUM, low=0.0, doc="L2 penalty strength Λ")
    return out


def batch_keys(batch_size=100) -> dict:
    return {"batch_size": Key(batch_size, int, low=1, doc="minibatch size")}


def _discrete(model_cfg) -> str:
    return "discrete"


def _real(model_cfg) -> str:
    return "real"


def _no_data(model_cfg) -> None:
    return None


def _categorical(model_cfg) -> str:
    return "categorical"


def _rbm_data(model_cfg) -> str:
    return "real" if model_cfg.get("visible_units") == "gaussian" else "discrete"


def _mixture_data(model_cfg) -> str | None:
    family = model_cfg.get("family", "auto")
    return "real" if family == "gaussian" else None if family == "auto" else "discrete"


def _dbm_arrays(names) -> dict:
    """A DBM file holds numbered layers: W0 (n0, n1), W1 (n1, n2), ..., b0 (n0,), b1 (n1,), ..."""
    out = {}
    for name in names:
        if name[:1] in "Wb" and name[1:].isdigit():
            l = int(name[1:])
            out[name] = [(f"n{l}", f"n{l + 1}")] if name[0] == "W" else [(f"n{l}",)]
    return out


@dataclass(frozen=True)
class FileLayout:
    """What a model file of a kind holds (checked header-first by :mod:`boltzmann_lab.io.modelio`).

    arrays : array name -> allowed shapes, each a tuple of symbols bound consistently across the
        file (e.g. an RBM's W is (v, h) and a is (v,)); or ``f(member names) -> that dict`` for
        kinds with numbered arrays.  Arrays not listed are passed through unchecked.
    required : arrays every file must hold.
    units : the symbol counting the visible units (the width of the data), ``"L*L"`` for a lattice
        whose side is in the meta.
    conventions : the conventions a file may declare.
    dtype : numpy dtype kinds its arrays may have (``"f"`` real floats, ``"i"`` integers).
    may_be_empty : symbols that may be 0 (a Hopfield network may store no patterns).
    """

    arrays: dict | Callable = field(default_factory=dict)
    required: tuple = ()
    units: str = "n"
    conventions: tuple = ("binary", "spin")
    dtype: str = "f"
    may_be_empty: tuple = ()

    def shapes(self, member_names) -> dict:
        return self.arrays(member_names) if callable(self.arrays) else self.arrays


@dataclass(frozen=True)
class ModelKind:
    """One model kind.

    Attributes
    ----------
    name : the ``[model] kind`` value.
    title : one line for menus and listings.
    learner : ``"module:function"`` — ``make_learner(cfg, dataset)`` returning a
        :class:`~boltzmann_lab.learning.trainer.Learner`.
    model : ``"module:Class"`` implementing the model protocol and ``to_arrays``/``from_arrays``.
    files : the :class:`FileLayout` of its model files.
    memory : ``"module:function"`` — ``f(cfg, M, n) -> [Part]``, the model's share of a run's
        memory (:mod:`boltzmann_lab.memory`).
    data_units : ``f(model_cfg)`` -> ``"discrete"`` (binary or spin data), ``"real"``,
        ``"categorical"`` (integer states 0..q−1, :mod:`boltzmann_lab.data.categorical`), ``None``
        (no requirement, or no data at all when ``needs_data`` is false).
    needs_data : False for kinds that simulate rather than learn (``ising``).
    pair_constraints : the kind constrains pairs (``pairs``/``mask`` keys, the mask editor).
    model_keys, training_keys : the kind's own config keys (beside the common ones).
    """

    name: str
    title: str
    learner: str
    model: str
    files: FileLayout = field(default_factory=FileLayout)
    memory: str = ""
    data_units: Callable[[dict], str | None] = _discrete
    pair_constraints: bool = False
    model_keys: dict = field(default_factory=dict)
    training_keys: dict = field(default_factory=dict)
    #: ``f(resolved [training], resolved [model]) -> {key: default}``: defaults that depend on
    #: another choice
    #: (e.g. the MaxEnt learning rate on the estimator); applied by
    #: :func:`boltzmann_lab.config.resolve` to the keys the config does not set, so the resolved
    #: config still writes every value
    derived_defaults: Callable[[dict], dict] | None = None

    @property
    def needs_data(self) -> bool:
        return self.data_units is not _no_data

    def make_learner(self, cfg, dataset):
        return _load(self.learner)(cfg, dataset)

    def model_class(self):
        return _load(self.model)

    def memory_parts(self, cfg, M, n) -> list:
        return _load(self.memory)(cfg, M, n) if self.memory else []


def _maxent_defaults(t: dict, model: dict) -> dict:
    """MaxEnt with persistent MCMC chains: Adam 0.003 (bench_quality: on an SK glass the 0.05 of
    the exact estimator never met the tolerance; 0.003 converged within the step budget)."""
    return {"learning_rate": MCMC_LEARNING_RATE} if t.get("estimator") == "mcmc" else {}


#: the MaxEnt learning rate when ``estimator = "mcmc"`` (and ``learning_rate`` is not set)
MCMC_LEARNING_RATE = 0.003


def _rbm_defaults(t: dict, model: dict) -> dict:
    """CD-1 for Gaussian hidden units (the Hopfield RBM; bench: 0.5-3.3 nats above tempered
    chains on the digits, bars-and-stripes and the two-mode set), parallel tempering otherwise;
    tempering keeps 32 chains per temperature (as good as 100 on every data set of the suite at
    a third of the cost), PCD 100."""
    return {"method": "cd" if model.get("hidden_units") == "gaussian" else "pt",
            "chains": RBM_PT_CHAINS if t.get("method") == "pt" else 100}


#: RBM chains per temperature when ``method = "pt"`` (and ``chains`` is not set)
RBM_PT_CHAINS = 32


def _load(path: str):
    module, _, attr = path.partition(":")
    return getattr(importlib.import_module(module), attr)


_KINDS = [
    ModelKind(
        name="maxent",
        title="Pairwise maximum-entropy (Ising) model",
        learner="boltzmann_lab.learning.maxent:make_learner",
        model="boltzmann_lab.models.pairwise:PairwiseModel",
        files=FileLayout({"h": [("n",)], "J": [("n", "n")], "population": [("n+1",)]},
                         required=("h", "J"), units="n", conventions=("binary", "spin")),
        memory="boltzmann_lab.memory:maxent_parts",
        data_units=_discrete,
        pair_constraints=True,
        model_keys={
            "constraints": Key(["means", "pairs"], list, item_choices=("means", "pairs", "population"),
                               doc="moments whose averages are fixed"),
            "pairs": Key("all", str, choices=("all", "lattice", "mask"),
                         doc="which pairs are constrained: all, lattice neighbours, or a mask file"),
            "mask": Key(None, str, optional=True, doc=".npy boolean (n, n) mask when pairs = 'mask'"),
            "periodic": Key(True, bool, doc="lattice neighbours wrap around"),
        },
        derived_defaults=_maxent_defaults,
        training_keys={
            **optimizer_keys(rate_note="; default 0.003 when estimator = \"mcmc\""),
            **penalty_keys(),
            "estimator": Key("exact", str, choices=("exact", "mcmc", "pseudolikelihood"),
                             doc="how the model term of the gradient is computed"),
            "init": Key("zero", str, choices=("zero", "mean_field", "pseudolikelihood"),
                        doc="starting parameters"),
            "chains": Key(1000, int, low=1, doc="persistent MCMC chains (fantasy particles)"),
            "sweeps": Key(1, int, low=1, high=10000, doc="MCMC sweeps per step"),
            "sampler": Key("gibbs", str, choices=("gibbs", "metropolis"), doc="MCMC update"),
            "tempering": Key("auto", str, choices=("auto", "on", "off"),
                             doc="mcmc: parallel tempering of the chains; auto switches it on when "
                                 "the chains stop mixing (split-R-hat >= 1.1)"),
            "temperatures": Key(8, int, low=2, high=64,
                                doc="mcmc: tempering replicas, beta = 1 ... 0 evenly spaced"),
            "tolerance": Key(1.0, NUM, low=0.0,
                             doc="converged when max moment error / noise < tolerance (mcmc: the "
                                 "data's and the estimate's own noise combined, and chains "
                                 "mixing)"),
            "lambdas": Key(None, list, optional=True, **numbers(0.0, length=(1, 1000)),
                           doc="Λ sweep grid (penalty strengths)"),
            "lambda_penalty": Key("l1", str, choices=("l1", "l2"),
                                  doc="which penalty the Λ sweep varies (boltzmann_lab.learning.maxent.lambda_sweep)"),
            "strict_tolerance": Key(0.05, NUM, low=0.0,
                                    doc="exact/pseudolikelihood estimators: converged when the "
                                        "(penalised) gradient / sampling noise < this"),
        },
    ),
    ModelKind(
        name="gaussian",
        title="Gaussian maximum-entropy model",
        learner="boltzmann_lab.learning.gaussian:make_learner",
        model="boltzmann_lab.models.gaussian:GaussianModel",
        files=FileLayout({"mean": [("n",)], "cov": [("n", "n")], "J": [("n", "n")], "a": [("n",)]},
                         required=("mean", "J"), units="n", conventions=("real",)),
        memory="boltzmann_lab.memory:gaussian_parts",
        data_units=_real,
        pair_constraints=True,
        model_keys={
            "pairs": Key("all", str, choices=("all", "lattice", "mask"),
                         doc="which covariances are constrained"),
            "mask": Key(None, str, optional=True, doc=".npy boolean (n, n) mask when pairs = 'mask'"),
            "periodic": Key(True, bool, doc="lattice neighbours wrap around"),
        },
        training_keys={
            **penalty_keys(l2=False),
            "tolerance": Key(1e-8, NUM, low=0.0, doc="covariance-selection convergence"),
            "ridge": Key(0.0, NUM, low=0.0,
                         doc="added to the diagonal of the sample covariance (singular data)"),
        },
    ),
    ModelKind(
        name="rbm",
        title="Restricted Boltzmann machine",
        learner="boltzmann_lab.learning.rbm:make_learner",
        model="boltzmann_lab.models.rbm:RBM",
        files=FileLayout({"W": [("v", "h")], "a": [("v",)], "b": [("h",)], "sigma_v": [("v",)],
                          "sigma_h": [("h",)]},
                         required=("W", "a", "b"), units="v", conventions=("binary", "spin", "real")),
        memory="boltzmann_lab.memory:rbm_parts",
        data_units=_rbm_data,
        pair_constraints=False,
        model_keys={
            "hidden": Key(20, int, low=1, high=100000, doc="hidden units"),
            "visible_units": Key("auto", str, choices=("auto",) + UNIT_TYPES,
                                 doc="auto follows the data convention"),
            "hidden_units": Key("binary", str, choices=UNIT_TYPES, doc="hidden unit type"),
            "sigma": Key(1.0, NUM, low=1e-6, doc="std of Gaussian units"),
        },
        # defaults from benchmarks/bench_quality.py (README, "Learning quality"): parallel
        # tempering (10 replicas of 32 chains) with centring and Adam 0.02 decaying as
        # 1/(1 + 0.001 t) on minibatches of 32, the rate scaled down by the visible layer's
        # fan-in above 64 units (rate_scaling).  CD-1 was as good on single-phase data but 25-35 nats worse on
        # the review's multi-temperature set (1600 spins), where only tempered chains see the
        # probability the model puts on the wrong phase; PCD swings there.
        derived_defaults=_rbm_defaults,
        training_keys={
            **optimizer_keys(learning_rate=0.02, schedule="inverse", decay=0.001),
            **penalty_keys(), **batch_keys(32),
            "method": Key("pt", str, choices=("cd", "pcd", "pt"),
                          doc="negative phase: CD-k, persistent CD-k, or parallel tempering; "
                              "default cd with Gaussian hidden units"),
            "k": Key(1, int, low=1, high=10000, doc="Gibbs steps per update (CD-k / PCD-k)"),
            "chains": Key(100, int, low=1,
                          doc="persistent chains (PCD), chains per temperature (PT); default "
                              f"{RBM_PT_CHAINS} when method = \"pt\""),
            "temperatures": Key(10, int, low=2, high=1000, doc="replicas for parallel tempering"),
            "precision": Key("float32", str, choices=("float32", "float64"),
                             doc="float type of the training arithmetic (float32 is ~2x faster)"),
            "centering": Key(True, bool,
                             doc="centred gradient (Melchior, Fischer & Wiskott 2016): offsets "
                                 "= data mean (visible), running mean of E[h|v] (hidden)"),
            "rate_scaling": Key("fan_in", str, choices=("fan_in", "none"),
                                doc="fan_in: the step is learning_rate x min(1, (64 / visible "
                                    "units)^1.25) (a hidden unit's input sums n_visible weight "
                                    "steps; power measured); none: learning_rate as given"),
        },
    ),
    ModelKind(
        name="dbm",
        title="Deep Boltzmann machine",
        learner="boltzmann_lab.learning.dbm:make_learner",
        model="boltzmann_lab.models.dbm:DBM",
        files=FileLayout(_dbm_arrays, required=("W0", "b0", "b1"), units="n0", conventions=("binary",)),
        memory="boltzmann_lab.memory:dbm_parts",
        data_units=_discrete,
        pair_constraints=False,
        model_keys={
            "hidden": Key([20, 20], list, **numbers(1, 100000, integer=True, length=(2, 3)),
                          doc="hidden layer sizes (2 or 3 layers)"),
        },
        # defaults from benchmarks/bench_quality.py: a constant rate leaves joint PCD wandering
        # (bars-and-stripes fell below the independent-unit model); Adam 0.06 decaying as
        # 1/(1 + 0.01 t) on minibatches of 32 reaches the preset's likelihood.  On two-mode data
        # the persistent chains of plain PCD never cross between the modes and the fit swings
        # with the chains' mode balance; tempered chains with a centred gradient and no
        # pretraining end within 0.1 nat of each other over seeds on both DBM rows of the table
        training_keys={
            **optimizer_keys(learning_rate=0.06, schedule="inverse", decay=0.01),
            **penalty_keys(), **batch_keys(32),
            "method": Key("pt", str, choices=("pcd", "pt"),
                          doc="negative phase: persistent chains (pcd) or parallel tempering "
                              "of them (pt)"),
            "temperatures": Key(10, int, low=2, high=1000,
                                doc="replicas for parallel tempering (beta = 1 ... 0, linear)"),
            "centering": Key(True, bool,
                             doc="centred gradient (Montavon & Mueller 2012): offsets = data "
                                 "mean (visible), running mean of the mean-field posterior "
                                 "(hidden)"),
            "pretrain_epochs": Key(0, NUM, low=0.0,
                                   doc="greedy layerwise RBM pretraining (0: small random "
                                       "weights, visible biases from the data means)"),
            "chains": Key(100, int, low=1, doc="persistent chains"),
            "mean_field_iterations": Key(10, int, low=1, high=10000,
                                         doc="positive-phase mean-field iterations"),
            "ais_betas": Key(1000, int, low=10, high=10_000_000,
                             doc="AIS temperatures for log Z when the DBM is too large to enumerate"),
            "ais_runs": Key(50, int, low=2, high=100_000, doc="AIS runs for log Z of large DBMs"),
        },
    ),
    ModelKind(
        name="hopfield",
        title="Hopfield network",
        learner="boltzmann_lab.learning.hopfield:make_learner",
        model="boltzmann_lab.models.hopfield:HopfieldModel",
        files=FileLayout({"patterns": [("P", "n")], "J": [("n", "n")], "h": [("n",)]},
                         required=("J",), units="n", conventions=("spin",), may_be_empty=("P",)),
        memory="boltzmann_lab.memory:hopfield_parts",
        data_units=_discrete,
        pair_constraints=False,
        model_keys={
            "rule": Key("hebbian", str, choices=("hebbian", "storkey", "pseudoinverse"),
                        doc="storage rule"),
            "update": Key("async", str, choices=("async", "sync"), doc="recall dynamics"),
            "temperature": Key(0.0, NUM, low=0.0, high=100.0, doc="recall temperature (0: deterministic)"),
            "cue_noise": Key(0.1, NUM, low=0.0, high=1.0, doc="fraction of flipped units in the cue"),
            "cue": Key(0, int, low=0, doc="index of the stored pattern used as the cue"),
        },
        training_keys={
            "sweeps": Key(1, int, low=1, high=10000, doc="recall sweeps per step"),
            "units_per_step": Key(0, int, low=0, high=1_000_000,
                                  doc="asynchronous recall: units updated per step, so that a "
                                      "lecture can watch recall unit by unit (0: whole sweeps)"),
        },
    ),
    ModelKind(
        name="mixture",
        title="Mixture model fitted by EM",
        learner="boltzmann_lab.learning.mixture:make_learner",
        model="boltzmann_lab.models.mixture:MixtureModel",
        files=FileLayout({"weights": [("K",)], "means": [("K", "n")],
                          "covs": [("K", "n", "n"), ("K", "n")]},
                         required=("weights", "means"), units="n",
                         conventions=("binary", "spin", "real")),
        memory="boltzmann_lab.memory:mixture_parts",
        data_units=_mixture_data,
        pair_constraints=False,
        model_keys={
            "components": Key(3, int, low=1, high=1000, doc="number of components K"),
            "family": Key("auto", str, choices=("auto", "bernoulli", "gaussian", "binomial"),
                          doc="auto: binomial for coin tosses, bernoulli for binary, gaussian for real"),
            "covariance": Key("full", str, choices=("full", "diag"), doc="Gaussian covariance type"),
            "covariance_floor": Key(1e-6, NUM, low=0.0,
                                    doc="smallest covariance eigenvalue: the M-step raises eigenvalues "
                                        "(diag: variances) below it, so EM stays monotone and "
                                        "components cannot collapse"),
            "init": Key("kmeans++", str, choices=("kmeans++", "random", "given"),
                        doc="initialisation; given uses init_params"),
            "init_params": Key(None, list, optional=True, **numbers(),
                               doc="init = given: K head probabilities (binomial, e.g. [0.6, 0.5]) or "
                                   "K*n means, optionally followed by K mixing weights"),
            "fit_weights": Key(True, bool, doc="learn the mixing weights"),
            "prior": Key(None, list, optional=True, **numbers(1.0, length=(2, 2)),
                         doc="MAP: Beta(a, b) prior (a, b >= 1) on head probabilities as [a, b]; "
                             "None for maximum likelihood"),
            "restarts": Key(1, int, low=1, high=1000, doc="random restarts; the best is kept"),
        },
        training_keys={
            "tolerance": Key(1e-8, NUM, low=0.0,
                             doc="stop when one EM iteration raises the log-likelihood (nats/sample; "
                                 "log posterior for MAP) by less than this"),
        },
    ),
    ModelKind(
        name="ising",
        title="2D Ising simulation (nothing is learned)",
        learner="boltzmann_lab.learning.ising:make_learner",
        model="boltzmann_lab.models.ising:IsingModel",
        files=FileLayout({"spins": [("L", "L")]}, units="L*L", conventions=("spin",), dtype="i"),
        memory="boltzmann_lab.memory:ising_parts",
        data_units=_no_data,
        pair_constraints=False,
        model_keys={
            "L": Key(64, int, low=2, high=1024, doc="lattice side"),
            "temperature": Key(2.269, NUM, low=0.05, high=100.0, doc="temperature"),
            "coupling": Key(1.0, NUM, doc="nearest-neighbour coupling J"),
            "field": Key(0.0, NUM, doc="external field H"),
            "algorithm": Key("metropolis", str, choices=("metropolis", "heatbath", "wolff"),
                             doc="update"),
            "start": Key("random", str, choices=("random", "up", "down"), doc="initial state"),
        },
        training_keys={
            "sweeps": Key(1, int, low=1, high=10000, doc="lattice sweeps per step"),
        },
    ),
    ModelKind(
        name="potts",
        title="Potts maximum-entropy model (categorical data, direct-coupling analysis)",
        learner="boltzmann_lab.learning.potts:make_learner",
        model="boltzmann_lab.models.potts:PottsModel",
        files=FileLayout({"h": [("n", "q")], "J": [("n", "n", "q", "q")]}, required=("h", "J"),
                         units="n", conventions=("categorical",)),
        memory="boltzmann_lab.memory:potts_parts",
        data_units=_categorical,
        pair_constraints=True,
        model_keys={
            "constraints": Key(["sites", "pairs"], list, item_choices=("sites", "pairs"),
                               doc="frequencies whose values are fixed: one-site f_i(a), two-site "
                                   "f_ij(a, b)"),
            "pairs": Key("all", str, choices=("all", "mask", "contacts"),
                         doc="which pairs are constrained: all, a mask file, or a contact list"),
            "mask": Key(None, str, optional=True, doc=".npy boolean (n, n) mask when pairs = 'mask'"),
            "contacts": Key(None, str, optional=True,
                            doc="file of 0-based site pairs 'i j' (one per line) or (K, 2) .npy "
                                "when pairs = 'contacts'"),
        },
        training_keys={
            **optimizer_keys(), **penalty_keys(),
            "estimator": Key("pseudolikelihood", str, choices=("exact", "mcmc", "pseudolikelihood"),
                             doc="exact (enumeration, q^n <= 2^24), mcmc (persistent chains, "
                                 "bmDCA) or pseudolikelihood (plmDCA)"),
            "init": Key("independent", str, choices=("zero", "independent", "pseudolikelihood"),
                        doc="starting parameters: zero, the independent-site model h = log f_i, "
                            "or a pseudo-likelihood fit"),
            "chains": Key(1000, int, low=1, doc="persistent MCMC chains (fantasy sequences)"),
            "sweeps": Key(1, int, low=1, doc="MCMC sweeps per step"),
            "tolerance": Key(1.0, NUM, low=0.0,
                             doc="mcmc converges when max frequency error / sampling noise < this"),
            "strict_tolerance": Key(0.05, NUM, low=0.0,
                                    doc="exact/pseudolikelihood converge when the (penalised) "
                                        "gradient / sampling noise < this"),
            "l2_fields": Key(0.01, NUM, low=0.0,
                             doc="L2 penalty on the fields h (l2 acts on the couplings; l1 is the "
                                 "group L1 on coupling blocks)"),
            "pl_symmetry": Key("symmetric", str, choices=("symmetric", "asymmetric"),
                               doc="pseudolikelihood: one joint fit, or plmDCA's per-site fits "
                                   "symmetrised"),
            "pl_iterations": Key(10, int, low=1, high=10000,
                                 doc="pseudolikelihood (symmetric): L-BFGS iterations per step"),
        },
    ),
]

#: kind name -> record, in the order shown to users
KINDS: dict[str, ModelKind] = {k.name: k for k in _KINDS}


def get(name: str) -> ModelKind:
    """The record of kind ``name``; KeyError names the known kinds."""
    try:
        return KINDS[name]
    except KeyError:
        raise KeyError(f"unknown model kind {name!r}; known kinds: {', '.join(KINDS)}") from None
