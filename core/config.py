"""Run configs: the TOML schema, validation, defaults and the fully resolved config.

A run config has three tables, ``[data]``, ``[model]`` and ``[training]`` (README, "Config keys").
The GUI panels edit exactly these keys, presets are such files, and the CLI writes the resolved
config (every default filled in) next to each run.

Which keys are allowed depends on choices made in the same file: ``[data]`` accepts the keys of the
chosen ``generator``; ``[model]`` and ``[training]`` accept the common keys plus those of the chosen
``kind``.  Unknown keys and out-of-range values raise :class:`ConfigError` naming the key and what is
allowed.
"""

from __future__ import annotations

import copy
import os
import tomllib
from pathlib import Path
from typing import Any

from boltzmann_lab.kinds import KINDS
# Key and ConfigError are defined in boltzmann_lab.schema (the kind records use them too) and are
# public here as well.
from boltzmann_lab.schema import NUM, ConfigError, Key, _range, _short, numbers, seed_key  # noqa: F401

_MISSING = object()

# ----------------------------------------------------------------------------------- [data]
DATA_KEYS: dict[str, Key] = {
    "path": Key(None, str, optional=True, doc="data file (.npy, .npz, .csv/.txt, IDX), image "
                "folder, or aligned sequences (FASTA, A2M, Stockholm)"),
    "key": Key(None, str, optional=True, doc="array name inside a .npz file"),
    "image_size": Key(None, list, optional=True, **numbers(low=1, integer=True, length=(2, 2)),
                      doc="[rows, cols] for an image folder; default the first image's size"),
    "generator": Key(None, str, optional=True,
                     choices=("ising", "bars_and_stripes", "patterns", "mixture", "gaussian_mixture",
                              "gaussian_graph", "coin_tosses", "sk", "digits", "potts", "potts_lattice",
                              "protein_family"),
                     doc="built-in data generator (used when path is not set)"),
    "convention": Key("auto", str, choices=("auto", "binary", "spin", "real", "categorical"),
                      doc="units of the prepared data; auto keeps the data's own (categorical "
                          "for alignments and kind = 'potts')"),
    "binarize": Key("none", str, choices=("none", "threshold", "stochastic"),
                    doc="turn real values into {0,1}: x > threshold, or Bernoulli(x) with the seed"),
    "threshold": Key(0.5, NUM, doc="binarisation threshold (after scaling to [0, 1] when max > 1)"),
    "standardize": Key(False, bool, doc="real-valued data: subtract the mean, divide by the std"),
    "validation_fraction": Key(0.1, NUM, low=0.0, high=0.9,
                               doc="share of samples held out; none when binary/spin data are a "
                                   "small finite set (<= 128 distinct rows seen < 4 times each "
                                   "on average, e.g. bars-and-stripes)"),
    "max_samples": Key(None, int, optional=True, low=1, doc="use at most this many samples"),
    "seed": seed_key("seed for generators, stochastic binarisation and the split"),
}

# Keys of each generator (allowed in [data] only when that generator is chosen).
GENERATOR_KEYS: dict[str, dict[str, Key]] = {
    "ising": {
        "L": Key(16, int, low=2, high=512, doc="lattice side"),
        "temperature": Key(2.269, NUM, low=0.05, high=100.0, doc="temperature (J = 1)"),
        "temperatures": Key(None, list, optional=True, **numbers(0.05, 100.0, length=(1, 1000)),
                            doc="several temperatures, samples per T"),
        "samples": Key(1000, int, low=1, high=1_000_000, doc="samples (per temperature)"),
        "algorithm": Key("auto", str, choices=("auto", "metropolis", "heatbath", "wolff"),
                         doc="auto uses Wolff near T_c"),
    },
    "bars_and_stripes": {
        "size": Key(4, int, low=2, high=6, doc="image side"),
        "samples": Key(None, int, optional=True, low=1,
                       doc="draw this many samples uniformly; default: each distinct pattern once"),
    },
    "patterns": {
        "n": Key(100, int, low=4, high=10000, doc="units per pattern"),
        "count": Key(10, int, low=1, high=5000, doc="number of patterns"),
        "style": Key("random", str, choices=("random", "letters"), doc="random ±1 or letter images"),
        "bias": Key(0.5, NUM, low=0.0, high=1.0, doc="probability of an on unit (random style)"),
    },
    "mixture": {
        "n": Key(20, int, low=1, high=10000, doc="dimension"),
        "components": Key(3, int, low=1, high=100, doc="number of components"),
        "samples": Key(1000, int, low=1, high=1_000_000, doc="samples"),
    },
    "gaussian_mixture": {
        "n": Key(2, int, low=1, high=1000, doc="dimension"),
        "components": Key(3, int, low=1, high=100, doc="number of components"),
        "samples": Key(1000, int, low=1, high=1_000_000, doc="samples"),
    },
    "gaussian_graph": {
        "L": Key(4, int, low=2, high=32, doc="lattice side (n = L^2 units, 4-neighbour couplings)"),
        "coupling": Key(0.2, NUM, low=0.0, high=0.249,
                        doc="precision entry -coupling between lattice neighbours (diagonal 1)"),
        "samples": Key(200, int, low=2, high=1_000_000, doc="samples"),
    },
    "coin_tosses": {
        "biases": Key([0.8, 0.4], list, **numbers(0.0, 1.0, length=(1, 100)),
                      doc="true head probabilities of the coins"),
        "weights": Key(None, list, optional=True, **numbers(0.0, length=(1, 100)),
                       doc="probability of picking each coin (default equal)"),
        "experiments": Key(5, int, low=1, high=1_000_000, doc="number of experiments"),
        "tosses": Key(10, int, low=1, high=100_000, doc="tosses per experiment"),
    },
    "sk": {
        "n": Key(20, int, low=2, high=24, doc="spins (drawn exactly by enumeration)"),
        "beta": Key(1.0, NUM, low=0.0, high=10.0, doc="J_ij ~ N(0, beta^2/n)"),
        "field": Key(0.0, NUM, doc="std of the random fields h_i"),
        "samples": Key(10000, int, low=1, high=10_000_000, doc="samples"),
    },
    "digits": {},
    "potts": {
        "n": Key(5, int, low=1, high=20, doc="sites (q^n <= 2^20: drawn exactly by enumeration)"),
        "q": Key(3, int, low=2, high=21, doc="states per site"),
        "coupling": Key(1.0, NUM, low=0.0, high=10.0, doc="J_ij(a, b) ~ N(0, coupling^2/n)"),
        "field": Key(0.5, NUM, low=0.0, high=10.0, doc="h_i(a) ~ N(0, field^2)"),
        "samples": Key(10000, int, low=1, high=10_000_000, doc="samples"),
    },
    "potts_lattice": {
        "L": Key(16, int, low=2, high=256, doc="lattice side"),
        "q": Key(3, int, low=2, high=36, doc="states per site (T_c = 1/ln(1 + sqrt(q)))"),
        "temperature": Key(1.0, NUM, low=0.05, high=100.0, doc="temperature (J = 1)"),
        "samples": Key(1000, int, low=1, high=1_000_000, doc="configurations"),
        "thin": Key(10, int, low=1, high=100_000, doc="sweeps between configurations"),
        "algorithm": Key("heatbath", str, choices=("heatbath", "metropolis"), doc="update"),
    },
    "protein_family": {
        "n": Key(40, int, low=8, high=500, doc="sequence length (sites)"),
        "samples": Key(3000, int, low=1, high=1_000_000, doc="sequences"),
        "strength": Key(1.0, NUM, low=0.0, high=10.0,
                        doc="coupling strength on the planted contacts"),
        "sweeps": Key(50, int, low=1, high=100_000,
                      doc="Gibbs sweeps per sequence (independent chains; 10 already reach "
                          "equilibrium at strength 0.6)"),
    },
}

# Keys of categorical data (allowed in [data] when convention = "categorical" or the kind models
# categorical data; boltzmann_lab.data.categorical).
CATEGORICAL_KEYS: dict[str, Key] = {
    "format": Key("auto", str, choices=("auto", "fasta", "a2m", "stockholm", "table"),
                  doc="file format; auto: from the file name (.fasta/.fa/.afa, .a2m, .sto, "
                      ".csv/.npy tables)"),
    "alphabet": Key("auto", str, doc="protein (-ACDEFGHIKLMNPQRSTVWY), dna (-ACGT), rna "
                    "(-ACGU), auto, or your symbols: one character each ('01') or "
                    "comma-separated ('no,maybe,yes')"),
    "states": Key(None, int, optional=True, low=2, high=127,
                  doc="number of states q; default the alphabet's size, or max + 1 for integers"),
    "unknown": Key("error", str, choices=("error", "gap", "drop"),
                   doc="a symbol outside the alphabet: refuse the file, read it as the gap '-', "
                       "or drop the sequence"),
    "reweight": Key("auto", str, choices=("auto", "identity", "none"),
                    doc="sequence weights w = 1/#{neighbours with identity >= threshold}; auto: "
                        "for alignment files only"),
    "identity_threshold": Key(0.8, NUM, low=0.0, high=1.0,
                              doc="identity (fraction of equal positions) defining neighbours"),
    "pseudocount": Key(0.0, NUM, low=0.0, high=1.0,
                       doc="lambda: f -> (1 - lambda) f + lambda/q (pairs: lambda/q^2)"),
}

# ---------------------------------------------------------------------------------- [model]
MODEL_KINDS = tuple(KINDS)

MODEL_COMMON = {
    "kind": Key("maxent", str, choices=MODEL_KINDS, doc="which model"),
}

#: [model] keys of each kind (from the kind records)
MODEL_KEYS: dict[str, dict[str, Key]] = {name: k.model_keys for name, k in KINDS.items()}

# ------------------------------------------------------------------------------- [training]
TRAINING_COMMON = {
    "steps": Key(None, int, optional=True, low=1, doc="number of steps (overrides epochs)"),
    "epochs": Key(None, NUM, optional=True, low=0.0, doc="passes over the training data"),
    "seed": seed_key("seed for everything random in training"),
    "eval_every": Key(10, int, low=1, doc="evaluate expensive metrics (likelihoods) at most "
                      "every this many steps; costly ones at the multiples of it that keep within "
                      "eval_budget (boltzmann_lab.learning.trainer)"),
    "eval_budget": Key(0.15, NUM, low=0.0, high=1.0, doc="largest share of the run's work that "
                       "expensive evaluations may take, by the learner's a-priori cost estimate "
                       "from array sizes (boltzmann_lab.learning.cost; never measured time, so "
                       "the same config evaluates at the same steps on any machine); 1: every "
                       "eval_every steps"),
    "early_stopping": Key(False, bool, doc="stop when the monitored metric stops improving"),
    "monitor": Key("auto", str, doc="metric watched by early stopping; auto: the learner's "
                   "validation metric (val_ll, or val_pll when the likelihood is intractable)"),
    "patience": Key(5, int, low=1, doc="evaluations without improvement before stopping"),
    "min_delta": Key(0.0, NUM, low=0.0, doc="smallest improvement that counts"),
}

#: [training] keys of each kind (from the kind records)
TRAINING_KEYS: dict[str, dict[str, Key]] = {name: k.training_keys for name, k in KINDS.items()}


def sections_schema(cfg: dict) -> dict[str, dict[str, Key]]:
    """The keys allowed in each section given the choices (generator, kind) made in ``cfg``."""
    data = dict(DATA_KEYS)
    gen = cfg.get("data", {}).get("generator")
    if gen in GENERATOR_KEYS:
        data.update(GENERATOR_KEYS[gen])
    kind = cfg.get("model", {}).get("kind", MODEL_COMMON["kind"].default)
    if cfg.get("data", {}).get("convention") == "categorical" or (
            kind in KINDS and KINDS[kind].data_units(cfg.get("model", {})) == "categorical"):
        data.update(CATEGORICAL_KEYS)
    model = dict(MODEL_COMMON)
    model.update(MODEL_KEYS.get(kind, {}))
    training = dict(TRAINING_COMMON)
    training.update(TRAINING_KEYS.get(kind, {}))
    return {"data": data, "model": model, "training": training}


def training_defaults(cfg: dict) -> dict:
    """The default of every [training] key given the other choices made in ``cfg`` (the
    kind's schema, then its derived defaults: e.g. an RBM's ``chains`` is 32 with tempering and
    100 with PCD).  A form that shows every value uses it to move a value still at its default
    when a choice it depends on changes."""
    keys = sections_schema(cfg)["training"]
    out = {name: copy.deepcopy(key.default) for name, key in keys.items()}
    kind = cfg.get("model", {}).get("kind", MODEL_COMMON["kind"].default)
    derived = KINDS[kind].derived_defaults if kind in KINDS else None
    if derived is not None:
        model = {**{n: k.default for n, k in sections_schema(cfg)["model"].items()},
                 **cfg.get("model", {})}
        out.update(derived({**out, **cfg.get("training", {})}, model))
    return out


SECTIONS = ("data", "model", "training")
#: a run config is a few kB; a file larger than this is not one (and is not read into memory)
MAX_CONFIG_BYTES = 1 << 20
EXTRA_SECTIONS = ("preset", "view")   # free-form tables for presets and the GUI, passed through


def resolve(cfg: dict, source: str = "config") -> dict:
    """Validate ``cfg`` and return a new dict with every default filled in.

    ``source`` names the file (or "config") in error messages.
    """
    if not isinstance(cfg, dict):
        raise ConfigError(f"{source}: a run config is a table with [data], [model], [training]")
    for name in cfg:
        if name not in SECTIONS + EXTRA_SECTIONS:
            raise ConfigError(f"{source}: unknown section [{_short(name, 40)[1:-1]}]; allowed: "
                              f"{', '.join('[' + s + ']' for s in SECTIONS + EXTRA_SECTIONS)}")
        if not isinstance(cfg[name], dict):
            raise ConfigError(f"{source}: [{name}] must be a table (a [{name}] section with "
                              f"key = value lines), not {_short(cfg[name])}")
    kind = cfg.get("model", {}).get("kind", MODEL_COMMON["kind"].default)
    if not isinstance(kind, str) or kind not in MODEL_KINDS:
        raise ConfigError(f"{source}: [model] kind = {_short(kind)} is not allowed; choose one of "
                          f"{', '.join(map(repr, MODEL_KINDS))}")
    gen = cfg.get("data", {}).get("generator")
    if gen is not None:
        try:
            DATA_KEYS["generator"].check("data", "generator", gen)
        except ConfigError as exc:
            raise ConfigError(f"{source}: {exc}") from None
    schema = sections_schema(cfg)
    out: dict[str, Any] = {}
    for section in SECTIONS:
        given = cfg.get(section, {})
        if not isinstance(given, dict):
            raise ConfigError(f"{source}: [{section}] must be a table")
        keys = schema[section]
        for name in given:
            if name not in keys:
                raise ConfigError(
                    f"{source}: unknown key {name!r} in [{section}]"
                    + (f" for kind {kind!r}" if section != "data" else "")
                    + f"; allowed keys: {', '.join(sorted(keys))}")
        resolved = {}
        for name, key in keys.items():
            value = given.get(name, copy.deepcopy(key.default))
            try:
                resolved[name] = key.check(section, name, value)
            except ConfigError as exc:
                raise ConfigError(f"{source}: {exc}") from None
        out[section] = resolved
    derived = KINDS[kind].derived_defaults
    if derived is not None:
        given = cfg.get("training", {})
        for _ in range(2):          # a derived default may depend on another (RBM chains on method)
            for name, value in derived(out["training"], out["model"]).items():
                if name not in given:
                    out["training"][name] = value
    for extra in EXTRA_SECTIONS:
        if extra in cfg:
            out[extra] = copy.deepcopy(cfg[extra])
    d = out["data"]
    if d["path"] is None and d["generator"] is None and KINDS[kind].needs_data:
        raise ConfigError(f"{source}: [data] needs either path (a data file) or generator "
                          f"(one of {', '.join(GENERATOR_KEYS)})")
    return out


def load(path) -> dict:
    """Read and resolve a TOML run config; relative data paths are taken relative to the file."""
    path = Path(path)
    try:
        if path.is_file() and path.stat().st_size > MAX_CONFIG_BYTES:
            raise ConfigError(f"{path}: the config file is {path.stat().st_size:,} bytes; a run "
                              f"config is a few kB of TOML (at most {MAX_CONFIG_BYTES:,} bytes are "
                              f"read). Is this the right file?")
        text = path.read_text(encoding="utf-8")
    except ConfigError:
        raise
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such config file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the config file ({exc})") from None
    try:
        raw = tomllib.loads(text)
        cfg = resolve(raw, source=str(path))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    except RecursionError:
        raise ConfigError(f"{path}: the TOML is nested too deeply (arrays or tables inside each "
                          f"other thousands of levels deep); a run config is flat key = value "
                          f"tables.") from None
    for section, key in (("data", "path"), ("model", "mask"), ("model", "contacts")):
        p = cfg[section].get(key)
        if p is not None and not Path(p).is_absolute():
            # absolute, symlinks kept (resolving would fail on a link loop: the loader names it)
            cfg[section][key] = os.path.abspath(path.parent / p)
    return cfg


def dumps(cfg: dict) -> str:
    """TOML text of a resolved config (``None`` values are omitted: TOML has no null)."""
    import tomli_w

    def strip(d):
        return {k: strip(v) if isinstance(v, dict) else v for k, v in d.items() if v is not None}

    return tomli_w.dumps(strip(cfg))


def default_config(kind: str = "maxent", generator: str | None = "bars_and_stripes") -> dict:
    """A resolved config with every default for ``kind`` (used by the GUI's "new run")."""
    return resolve({"data": {"generator": generator} if generator else {},
                    "model": {"kind": kind}})


def training_length(cfg: dict, steps_per_epoch: float) -> int | None:
    """Steps to run: ``steps`` if set, else ``ceil(epochs * steps_per_epoch)``, else ``None``."""
    t = cfg["training"]
    if t.get("steps") is not None:
        return int(t["steps"])
    if t.get("epochs") is not None:
        import math
        return max(1, math.ceil(t["epochs"] * steps_per_epoch))
    return None


def _fmt_default(key: Key) -> str:
    if key.default is None:
        return "—"
    if isinstance(key.default, bool):
        return "true" if key.default else "false"
    if isinstance(key.default, str):
        return f'"{key.default}"'
    return str(key.default)


def _allowed(key: Key) -> str:
    if key.choices:
        return " \\| ".join(f"`{c}`" for c in key.choices)
    if key.item_choices:
        return "list of " + " \\| ".join(f"`{c}`" for c in key.item_choices)
    if key.items is not None:
        count = "" if key.length is None else (
            f"{key.length[0]} " if key.length[0] == key.length[1]
            else f"{key.length[0]}-{key.length[1]} ")
        what = "integers" if key.items.type is int else "numbers"
        rng = (f" in {_range(key.items.low, key.items.high)}"
               if key.items.low is not None or key.items.high is not None else "")
        return f"list of {count}{what}{rng}"
    if key.low is not None or key.high is not None:
        return _range(key.low, key.high)
    return ""


def _rows(keys: dict[str, Key]) -> list[str]:
    return [f"| `{name}` | {_fmt_default(k)} | {_allowed(k)} | {k.doc} |" for name, k in keys.items()]


def markdown_reference() -> str:
    """The README's config-key reference, generated from the schema (so it cannot drift)."""
    head = ["| key | default | allowed | meaning |", "|---|---|---|---|"]
    out = ["#### `[data]`", "", *head, *_rows(DATA_KEYS), ""]
    for gen, keys in GENERATOR_KEYS.items():
        if keys:
            out += [f"`generator = \"{gen}\"` adds:", "", *head, *_rows(keys), ""]
    out += ["`convention = \"categorical\"` (or `kind = \"potts\"`) adds:", "", *head,
            *_rows(CATEGORICAL_KEYS), ""]
    out += ["#### `[model]`", "", *head, *_rows(MODEL_COMMON), ""]
    for kind, keys in MODEL_KEYS.items():
        out += [f"`kind = \"{kind}\"` adds:", "", *head, *_rows(keys), ""]
    out += ["#### `[training]`", "", *head, *_rows(TRAINING_COMMON), ""]
    for kind, keys in TRAINING_KEYS.items():
        out += [f"with `kind = \"{kind}\"`:", "", *head, *_rows(keys), ""]
    return "\n".join(out)


if __name__ == "__main__":  # python -m boltzmann_lab.config  -> the README's key reference
    print(markdown_reference())
