"""The memory budget: how much memory there is, and how much a run will need — checked before
anything large is allocated.

Two halves, one concept:

* :func:`available_memory` — bytes this process may use now: Linux ``MemAvailable`` (else the
  free physical pages), capped by the environment variable ``BOLTZMANN_LAB_MEMORY_LIMIT``
  (e.g. ``4G``, ``500M``, ``2e9``; a user on a shared machine sets it to stay polite, the tests
  set it to make refusals deterministic).
* :func:`estimate_run` — ONE estimate of the peak memory of a whole training run, from the resolved
  config and the data shape (M samples x n units), as a list of named :class:`Part` s.  The data
  shape comes from the data file's header (:func:`boltzmann_lab.data.loaders.peek_shape`) or the
  generator's keys (:data:`GENERATOR_SHAPES`), so the check runs *before* reading or generating.
  Each model kind names its function ``(cfg, M, n) -> [Part]`` in its record (``memory`` in
  :mod:`boltzmann_lab.kinds`), so a new kind adds one function.  :func:`check_run` refuses a run whose estimate exceeds the available
  memory with :class:`MemoryBudgetError` (a :class:`~boltzmann_lab.config.ConfigError`: exit code
  2), naming the figure and the config key that drives the largest part.

The estimates count float64 arrays (8 bytes per number unless the config says float32) times the
number of live copies the code keeps (parameters, gradient, optimizer moments, the trainer's
last-good and best checkpoints, temporaries of one step).  They are deliberately upper-side but
within a small factor of measured peaks (tests/core/test_memory.py compares them with the resident
set size of real runs), because their job is to refuse runs that cannot fit, not to refuse runs
that can.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass

from boltzmann_lab.config import ConfigError

ENV_LIMIT = "BOLTZMANN_LAB_MEMORY_LIMIT"
F64 = 8


class MemoryBudgetError(ConfigError):
    """A run, a sample request or an evaluation would need more memory than is available."""


# ------------------------------------------------------------------------------ availability
def _parse_bytes(text: str) -> int | None:
    m = re.fullmatch(r"\s*([0-9.eE+]+)\s*([kKmMgGtT]?)[iI]?[bB]?\s*", text or "")
    if not m:
        return None
    try:
        value = float(m.group(1))
    except ValueError:
        return None
    scale = {"": 1, "k": 1e3, "m": 1e6, "g": 1e9, "t": 1e12}[m.group(2).lower()]
    if not math.isfinite(value) or value <= 0:
        return None
    return int(value * scale)


def memory_limit() -> int | None:
    """The cap set by ``BOLTZMANN_LAB_MEMORY_LIMIT`` in bytes, or ``None`` when unset/invalid."""
    return _parse_bytes(os.environ.get(ENV_LIMIT, ""))


def available_memory() -> int | None:
    """Bytes of memory this process may use now (``MemAvailable``, capped by
    ``BOLTZMANN_LAB_MEMORY_LIMIT``), or ``None`` when neither is known."""
    avail = None
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    avail = int(line.split()[1]) * 1024
                    break
    except (OSError, ValueError, IndexError):
        pass
    if avail is None:
        try:
            avail = int(os.sysconf("SC_AVPHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE"))
        except (ValueError, OSError, AttributeError):
            avail = None
    cap = memory_limit()
    if cap is not None:
        avail = cap if avail is None else min(avail, cap)
    return avail


def fmt_bytes(nbytes: float) -> str:
    """``1.2 GB`` / ``3.4 MB`` / ``512 bytes`` (decimal units)."""
    if nbytes >= 1e12:
        return f"{nbytes / 1e12:.1f} TB"
    if nbytes >= 1e9:
        return f"{nbytes / 1e9:.1f} GB"
    if nbytes >= 1e6:
        return f"{nbytes / 1e6:.1f} MB"
    if nbytes >= 1e3:
        return f"{nbytes / 1e3:.1f} kB"
    return f"{int(nbytes)} bytes"


def _limit_hint(avail) -> str:
    cap = memory_limit()
    return (f" ({ENV_LIMIT} = {os.environ.get(ENV_LIMIT)} caps it)" if cap == avail else "")


# ------------------------------------------------------------------------------ estimates
@dataclass(frozen=True)
class Part:
    """One named share of a run's memory: ``label`` (what it is), ``nbytes``, ``keys`` (the config
    keys that make it large, for the message)."""

    label: str
    nbytes: float
    keys: str = ""


def _t(cfg, key, default=None):
    return cfg.get("training", {}).get(key, default)


def _m(cfg, key, default=None):
    return cfg.get("model", {}).get(key, default)


def _enumeration(n: int) -> float:
    """Exact enumeration of 2^n states by split-half GEMMs: two (2^(n/2), 2^(n/2)) blocks."""
    return 2.0 * F64 * 2.0 ** n if n <= 30 else math.inf


def maxent_parts(cfg, M, n):
    C = _t(cfg, "chains", 1000)
    est = _t(cfg, "estimator", "exact")
    parts = [Part("couplings, their gradient, optimizer moments and checkpoints", 14 * F64 * n * n,
                  "the number of units n")]
    if est == "mcmc" or _t(cfg, "lambdas"):
        parts.append(Part(f"{C} persistent chains", 4 * F64 * C * n, "[training] chains"))
    if est == "exact" and n <= 30:
        parts.append(Part(f"exact enumeration of 2^{n} states", _enumeration(n), "the number of units n"))
    if est == "pseudolikelihood" or _t(cfg, "init") == "pseudolikelihood":
        parts.append(Part("pseudo-likelihood local fields", F64 * M * n, "the data size"))
    return parts


def gaussian_parts(cfg, M, n):
    return [Part("covariance, precision and their work copies", 20 * F64 * n * n,
                 "the number of units n"),
            Part("centred data", 2 * F64 * M * n, "the data size")]


def rbm_parts(cfg, M, n):
    h = _m(cfg, "hidden", 20)
    p = 4 if _t(cfg, "precision", "float32") == "float32" else 8
    C = _t(cfg, "chains", 100)
    T = _t(cfg, "temperatures", 10) if _t(cfg, "method") == "pt" else 1
    B = min(_t(cfg, "batch_size", 100), max(M, 1))
    runs = _t(cfg, "ais_runs", 100)
    small, big = min(n, h), max(n, h)
    parts = [Part("weights, gradient, optimizer moments and checkpoints", 9 * p * n * h,
                  "[model] hidden"),
             # tempering swaps work on float64 copies of every replica
             Part(f"{C} x {T} persistent chains", 4 * (F64 if T > 1 else p) * C * T * (n + h),
                  "[training] chains" + (", temperatures" if T > 1 else "")),
             Part("one minibatch", 6 * F64 * B * (n + h), "[training] batch_size"),
             Part("training data in the training precision", p * M * n, "the data size"),
             Part(f"AIS ({runs} runs)", 6 * F64 * runs * (n + h), "[training] ais_runs")]
    if small <= 20 and 2.0 ** small * big <= 2.0 ** 26:
        # exact log Z sums over the smaller layer in chunks of at most 2^14 states
        parts.append(Part("exact log Z over the smaller layer",
                          2 * F64 * min(2.0 ** small, 2.0 ** 14) * big, "[model] hidden"))
    # evaluation of train/validation LL on up to all samples: (M, hidden) activations
    parts.append(Part("hidden activations of the evaluated data", 3 * F64 * min(M, 10000) * h,
                      "[model] hidden"))
    return parts


def _dbm_hidden(cfg):
    hidden = _m(cfg, "hidden", [20, 20])
    return [int(x) for x in hidden] if isinstance(hidden, list) else [20, 20]


def dbm_parts(cfg, M, n):
    sizes = [n] + _dbm_hidden(cfg)
    C = _t(cfg, "chains", 100)
    T = _t(cfg, "temperatures", 10) if _t(cfg, "method", "pt") == "pt" else 1
    B = min(_t(cfg, "batch_size", 100), max(M, 1))
    weights = sum(a * b for a, b in zip(sizes, sizes[1:]))
    units = sum(sizes)
    runs = _t(cfg, "ais_runs", 50)
    return [Part("weights, gradient, optimizer moments and checkpoints", 9 * F64 * weights,
                 "[model] hidden"),
            Part(f"{C} x {T} persistent chains", 3 * F64 * C * T * units,
                 "[training] chains" + (", temperatures" if T > 1 else "")),
            Part("mean-field minibatch", 6 * F64 * B * units, "[training] batch_size"),
            Part("pretraining activations of the data", 3 * F64 * M * max(sizes),
                 "[model] hidden"),
            Part("evaluation (mean field on up to 1000 samples, AIS)",
                 4 * F64 * (1000 + runs) * units, "[training] ais_runs")]


def hopfield_parts(cfg, M, n):
    return [Part("couplings and their work copies", 5 * F64 * n * n, "the number of units n"),
            Part("stored patterns and overlaps", 4 * F64 * M * n, "the data size")]


def mixture_parts(cfg, M, n):
    K = _m(cfg, "components", 3)
    family = _m(cfg, "family", "auto")
    gaussian = family == "gaussian" or (family == "auto" and cfg.get("data", {}).get(
        "generator") == "gaussian_mixture")
    parts = [Part("responsibilities and log-probabilities", 4 * F64 * M * K,
                  "[model] components"),
             Part("component parameters and checkpoints", 12 * F64 * K * n, "[model] components"),
             # Gaussian: the centred data, its whitened (E-step) or weighted (M-step) copy and
             # the product's own temporary are alive together (measured peak 78 MB where two
             # copies gave an estimate of 70, tests/core/test_memory.py)
             Part("data work copies", (3 if gaussian else 1) * F64 * M * n, "the data size")]
    if gaussian and _m(cfg, "covariance", "full") == "full":
        parts.append(Part("full covariances", 8 * F64 * K * n * n, "[model] components"))
    return parts


def potts_parts(cfg, M, n):
    """Potts: everything of size n² q² (couplings, gradient, optimizer moments, checkpoints, data
    and model two-site frequencies, pair counts) and, for pseudo-likelihood, the L-BFGS history
    (10 pairs of vectors of the n(n−1)/2 q² pair parameters) and the kernel's gradient copies.
    q is taken from [data] states / q, the alphabet, else 21 (proteins: the upper side)."""
    d = cfg.get("data", {})
    alphabet = d.get("alphabet", "auto")
    q = (d.get("states") or d.get("q") or (21 if d.get("generator") == "protein_family" else None)
         or {"dna": 5, "rna": 5, "protein": 21}.get(alphabet)
         or (len(alphabet.split(",")) if "," in str(alphabet) else
             len(alphabet) if alphabet not in (None, "auto") else 21))
    est = _t(cfg, "estimator", "pseudolikelihood")
    block = F64 * n * n * q * q
    parts = [Part("couplings, gradient, optimizer moments, checkpoints and two-site frequencies",
                  16 * block, "the number of sites n and states q")]
    if est == "pseudolikelihood" or _t(cfg, "init") == "pseudolikelihood":
        parts.append(Part("pseudo-likelihood: L-BFGS history and gradient copies", 14 * block,
                          "the number of sites n and states q"))
    if est == "mcmc":
        parts.append(Part(f"{_t(cfg, 'chains', 1000)} persistent chains", 4 * F64 * _t(
            cfg, "chains", 1000) * n, "[training] chains"))
        # pair counts (int32), their symmetrised frequencies and the moving-average temporaries
        parts.append(Part("MCMC pair counts and frequency temporaries", 6 * block,
                          "the number of sites n and states q"))
    return parts


def ising_parts(cfg, M, n):
    L = _m(cfg, "L", 64)
    return [Part("lattice, lanes and views", 4 * F64 * L * L, "[model] L")]




def _ising_data(d):
    temps = d.get("temperatures")
    nT = len(temps) if isinstance(temps, list) and temps else 1
    return d.get("samples", 1000) * nT, d.get("L", 16) ** 2


def _bas_data(d):
    s = d.get("size", 4)
    return d.get("samples") or 2 ** (s + 1), s * s


def _sk_data(d):
    return d.get("samples", 10000), d.get("n", 20)


#: generator -> [data] section -> (M, n) of the samples it makes (before preparation)
GENERATOR_SHAPES = {
    "ising": _ising_data,
    "bars_and_stripes": _bas_data,
    "patterns": lambda d: (d.get("count", 10), d.get("n", 100)),
    "mixture": lambda d: (d.get("samples", 1000), d.get("n", 20)),
    "gaussian_mixture": lambda d: (d.get("samples", 1000), d.get("n", 2)),
    "gaussian_graph": lambda d: (d.get("samples", 200), d.get("L", 4) ** 2),
    "coin_tosses": lambda d: (d.get("experiments", 5), d.get("tosses", 10)),
    "sk": _sk_data,
    "digits": lambda d: (1797, 64),
    "potts": lambda d: (d.get("samples", 10000), d.get("n", 5)),
    "potts_lattice": lambda d: (d.get("samples", 1000), d.get("L", 16) ** 2),
    "protein_family": lambda d: (d.get("samples", 3000), d.get("n", 40)),
}

#: generator -> [data] section -> extra working memory of the generator itself, beyond its output
GENERATOR_WORK = {
    "sk": lambda d: _enumeration(d.get("n", 20)),
    "ising": lambda d: 16 * F64 * d.get("L", 16) ** 2,
}


def data_shape(cfg: dict) -> tuple[int, int] | None:
    """(M, n) of the raw samples a resolved config will load or generate, from the file header or
    the generator keys, without reading the data; ``None`` when it cannot be told."""
    d = cfg.get("data", {})
    if cfg.get("model", {}).get("kind") == "ising":
        return None
    if d.get("path"):
        from boltzmann_lab.data.loaders import LoadError, peek_shape
        try:
            return peek_shape(d["path"], key=d.get("key"), image_size=d.get("image_size"))
        except LoadError:
            return None           # the loader itself will report the problem with the file
    gen = d.get("generator")
    if gen in GENERATOR_SHAPES:
        M, n = GENERATOR_SHAPES[gen](d)
        return int(M), int(n)
    return None


def estimate_run(cfg: dict, shape: tuple[int, int] | None = None) -> list[Part]:
    """The parts of a run's peak memory for a resolved config and raw data shape (M, n)
    (``None``: from :func:`data_shape`; still unknown: the data's share is left out)."""
    kind = cfg.get("model", {}).get("kind", "maxent")
    d = cfg.get("data", {})
    if shape is None:
        shape = data_shape(cfg)
    parts: list[Part] = []
    if kind == "ising":
        M, n = 0, _m(cfg, "L", 64) ** 2
    elif shape is None:
        return parts
    else:
        M, n = int(shape[0]), int(shape[1])
        if d.get("max_samples"):
            M_used = min(M, int(d["max_samples"]))
        else:
            M_used = M
        what = "generated samples" if d.get("generator") and not d.get("path") else "data"
        # raw float64 array + prepared train/val copies + part of a preparation temporary
        parts.append(Part(f"the {what} ({M} x {n})", F64 * M * n + 1.5 * F64 * M_used * n,
                          "[data] samples" if what == "generated samples" else "the data size"))
        gen = d.get("generator")
        if what == "generated samples" and gen in GENERATOR_WORK:
            parts.append(Part(f"the {gen} generator", GENERATOR_WORK[gen](d), "[data]"))
        M = M_used
    from boltzmann_lab.kinds import KINDS
    if kind in KINDS:
        parts += KINDS[kind].memory_parts(cfg, M, n)
    return parts


def total(parts) -> float:
    return float(sum(p.nbytes for p in parts))


def check_bytes(nbytes: float, what: str, advice: str, source: str = "") -> None:
    """Raise :class:`MemoryBudgetError` when ``nbytes`` exceeds the available memory."""
    avail = available_memory()
    if avail is not None and nbytes > avail:
        where = f"{source}: " if source else ""
        raise MemoryBudgetError(f"{where}{what} needs an estimated {fmt_bytes(nbytes)} of memory "
                                f"but only {fmt_bytes(avail)} is available{_limit_hint(avail)}; "
                                f"nothing was allocated. {advice}")


def check_run(cfg: dict, shape: tuple[int, int] | None = None, source: str = "config") -> list[Part]:
    """Refuse (:class:`MemoryBudgetError`) a run whose estimate exceeds the available memory.

    Returns the parts (for display).  ``shape`` is the raw data shape (M, n) when known (e.g.
    from a loaded data set); ``None`` peeks it from the file header / generator keys."""
    parts = estimate_run(cfg, shape)
    need = total(parts)
    avail = available_memory()
    if avail is not None and need > avail:
        big = max(parts, key=lambda p: p.nbytes)
        share = (f"the largest part is {big.label}: {fmt_bytes(big.nbytes)}"
                 + (f", set by {big.keys}" if big.keys else ""))
        raise MemoryBudgetError(
            f"{source}: this run needs an estimated {fmt_bytes(need)} of memory ({share}) but "
            f"only {fmt_bytes(avail)} is available{_limit_hint(avail)}; nothing was allocated. Lower "
            f"{big.keys or 'the sizes in the config'} or use a smaller data set.")
    return parts


# ------------------------------------------------------------------------------ saved models
def estimate_sampling(all_units: int, n_samples: int, model_bytes: int) -> float:
    """Peak bytes of drawing ``n_samples`` joint states of ``all_units`` units (visible + hidden)
    from a model of ``model_bytes``: the float64 output, the chains and two work copies, plus
    the model read and converted."""
    return 4.0 * F64 * n_samples * all_units + 3.0 * model_bytes


def estimate_evaluation(kind: str, units: int, all_units: int, model_bytes: int,
                        n_samples: int) -> float:
    """Peak bytes of evaluating a model (``units`` visible of ``all_units``) on ``n_samples``
    samples: the data and its prepared copies, per-sample activations, exact enumeration where
    the model's evaluation enumerates, AIS chains, plus the model."""
    need = 5.0 * F64 * n_samples * units + 3.0 * F64 * n_samples * all_units + 3.0 * model_bytes
    if kind in ("maxent", "hopfield") and units <= 24:
        need += _enumeration(units)
    if kind in ("rbm", "dbm"):
        need += 3.0 * F64 * (2.0 ** 16 + 1000) * all_units
    return need
