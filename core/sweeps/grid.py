"""Sweep grids: ``SECTION.KEY=V1,V2,…`` assignments typed by the config schema, expanded into run
configs, every one validated before anything runs.

A grid is an ordered mapping ``{"training.l1": [0.0, 0.003], "model.hidden": [16, 32]}``; its points
are the Cartesian product in that order (the last key varies fastest), each repeated for ``seeds``
seed indices s = 0, 1, …  Point (values, s) is the base config with the values assigned and

    [training] seed = base seed + s

(the base seed being the point's own ``[training] seed``), so every point's randomness follows from
the grid alone and a point gives the same result serially, on a local cluster or on a remote one.
The data (including ``[data] seed``) are the same for all seeds; grid ``data.seed`` to vary them.

Values given as text (the command line) are converted with the key's schema type: numbers, ``true``
/ ``false``, strings (quotes optional), and TOML arrays for list keys (``model.hidden=[20,10],[40]``:
commas inside brackets do not split).  Every point is then resolved by
:func:`boltzmann_lab.config.resolve`, so an unknown key or a bad value raises
:class:`~boltzmann_lab.config.ConfigError` naming the key, the value and what is allowed.
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import json
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from boltzmann_lab import config as C
from boltzmann_lab.config import ConfigError

SEED_KEY = "training.seed"


@dataclass(frozen=True)
class Point:
    """One run of a sweep.

    index : position in the grid (grid order, seeds innermost).
    name : the point's directory name — readable values plus a hash of the resolved config, so a
        changed base config never reuses another config's results.
    params : ``{"section.key": value}`` of the swept keys (resolved values).
    seed : the seed index s (``[training] seed`` = base seed + s).
    config : the fully resolved run config.
    """

    index: int
    name: str
    params: dict
    seed: int
    config: dict = field(repr=False)


# ----------------------------------------------------------------------------- parsing
def split_values(text: str) -> list[str]:
    """Split ``"a,b,[1,2]"`` at top-level commas (not inside brackets or quotes)."""
    items, depth, quote, cur = [], 0, None, []
    for ch in text:
        if quote:
            quote = None if ch == quote else quote
        elif ch in "\"'":
            quote = ch
        elif ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
        elif ch == "," and depth == 0:
            items.append("".join(cur).strip())
            cur = []
            continue
        cur.append(ch)
    items.append("".join(cur).strip())
    return items


def parse_assignment(text: str) -> tuple[str, list[str]]:
    """``"training.l1=0,0.01"`` -> ``("training.l1", ["0", "0.01"])`` (strings, untyped)."""
    key, eq, values = text.partition("=")
    key = key.strip()
    if not eq or not values.strip():
        raise ConfigError(f"--grid {text!r}: expected SECTION.KEY=V1,V2,… "
                          f"(e.g. training.l1=0,0.003,0.01)")
    items = split_values(values)
    if any(not v for v in items):
        raise ConfigError(f"--grid {text!r}: an empty value (two commas in a row, or a trailing "
                          f"comma)")
    return key, items


def parse_grid_args(args) -> dict[str, list[str]]:
    """Several ``--grid`` arguments -> an ordered ``{key: [value strings]}`` (a key at most once)."""
    grid: dict[str, list[str]] = {}
    for text in args or ():
        key, values = parse_assignment(text)
        if key in grid:
            raise ConfigError(f"--grid {key} is given twice; list all its values in one --grid")
        grid[key] = values
    return grid


def _split_key(key: str) -> tuple[str, str]:
    section, dot, name = str(key).partition(".")
    if not dot or not name or "." in name:
        raise ConfigError(f"grid key {key!r}: write SECTION.KEY with SECTION one of "
                          f"{', '.join(C.SECTIONS)} (e.g. training.l1, model.hidden)")
    if section not in C.SECTIONS:
        raise ConfigError(f"grid key {key!r}: unknown section [{section}]; a grid sweeps keys of "
                          f"{', '.join('[' + s + ']' for s in C.SECTIONS)}")
    return section, name


def _convert(text: str, key: C.Key, where: str):
    """A command-line value string -> a Python value of the key's type (checked later)."""
    types = key.type if isinstance(key.type, tuple) else (key.type,)
    t = text.strip()
    if len(t) >= 2 and t[0] == t[-1] and t[0] in "\"'":
        t_unquoted = t[1:-1]
    else:
        t_unquoted = None
    if key.optional and t.lower() in ("none", "null"):
        return None
    if list in types:
        try:
            value = tomllib.loads(f"v = {t}")["v"]
        except tomllib.TOMLDecodeError:
            raise ConfigError(f"{where} = {text}: a list value is written as a TOML array, e.g. "
                              f"[20,10] or [\"means\",\"pairs\"]") from None
        return value
    if bool in types:
        low = t.lower()
        if low in ("true", "yes", "on", "1"):
            return True
        if low in ("false", "no", "off", "0"):
            return False
        raise ConfigError(f"{where} = {text}: write true or false")
    if str in types:
        return t_unquoted if t_unquoted is not None else t
    if int in types and float not in types:
        try:
            return int(t)
        except ValueError:
            raise ConfigError(f"{where} = {text}: must be an integer") from None
    if float in types:
        try:
            return int(t) if re.fullmatch(r"[+-]?\d+", t) else float(t)
        except ValueError:
            raise ConfigError(f"{where} = {text}: must be a number") from None
    return t


def _schema_for(key: str, base_raw: dict, grid: dict) -> C.Key:
    """The schema Key of ``key`` given the base config and any swept kind/generator values."""
    section, name = _split_key(key)
    # a swept [model] kind or [data] generator decides which keys exist: try each choice
    kinds = grid.get("model.kind") or [base_raw.get("model", {}).get("kind",
                                                                    C.MODEL_COMMON["kind"].default)]
    gens = grid.get("data.generator") or [base_raw.get("data", {}).get("generator")]
    for kind in kinds:
        for gen in gens:
            probe = {"model": {"kind": kind}, "data": {"generator": gen}}
            keys = C.sections_schema(probe)[section]
            if name in keys:
                return keys[name]
    kind_now = kinds[0] if len(kinds) == 1 else None
    keys = C.sections_schema({"model": {"kind": kinds[0]}, "data": {"generator": gens[0]}})[section]
    raise ConfigError(f"grid key {key!r}: unknown key {name!r} in [{section}]"
                      + (f" for kind {kind_now!r}" if section != "data" and kind_now else "")
                      + f"; allowed keys: {', '.join(sorted(keys))}")


def typed_grid(grid: dict, base_raw: dict) -> dict[str, list]:
    """Convert the values of ``grid`` to the schema types of their keys; check each value.

    Strings are converted (:func:`_convert`); other Python values are kept.  Every value is checked
    with its key's rules (type, range, choices) here, before any point is built, and duplicates are
    refused.  Raises ConfigError.
    """
    if not isinstance(grid, dict):
        raise ConfigError("a grid is a mapping {'section.key': [values, …]}")
    # kind and generator first: they decide which other keys exist
    out: dict[str, list] = {}
    pre = {}
    for special in ("model.kind", "data.generator"):
        if special in grid:
            pre[special] = [str(v).strip("\"'") for v in _as_list(special, grid[special])]
    for key, values in grid.items():
        values = _as_list(key, values)
        section, name = _split_key(key)
        schema_key = _schema_for(key, base_raw, pre)
        where = f"--grid {key}"
        typed = []
        for v in values:
            value = _convert(v, schema_key, where) if isinstance(v, str) else v
            try:
                value = schema_key.check(section, name, copy.deepcopy(value))
            except ConfigError as exc:
                raise ConfigError(f"--grid {key}: {exc}") from None
            if value in typed:
                raise ConfigError(f"--grid {key}: the value {value!r} is listed twice")
            typed.append(value)
        out[key] = typed
    return out


def _as_list(key, values) -> list:
    if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
        values = [values]
    values = list(values)
    if not values:
        raise ConfigError(f"--grid {key}: no values")
    return values


# ----------------------------------------------------------------------------- configs
def load_raw(path) -> dict:
    """The TOML run config at ``path`` as written (unresolved), data and mask paths made absolute
    (relative to the file, as :func:`boltzmann_lab.config.load` does).  It is resolved once here,
    so a bad base config raises ConfigError naming the file."""
    path = Path(path)
    C.load(path)                      # every error of the base config, with the file's name
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    _absolute_paths(raw, path.parent)
    return raw


def _absolute_paths(raw: dict, base: Path) -> None:
    for section, key in (("data", "path"), ("model", "mask")):
        p = raw.get(section, {}).get(key)
        if isinstance(p, str) and not Path(p).is_absolute():
            raw[section][key] = str((base / p).resolve())


def config_hash(cfg: dict) -> str:
    """A short stable hash of a resolved config (JSON with sorted keys)."""
    text = json.dumps(cfg, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:10]


def _short(key: str, keys) -> str:
    name = key.split(".", 1)[1]
    clash = sum(k.split(".", 1)[1] == name for k in keys) > 1
    return key if clash else name


def _fmt(value) -> str:
    if isinstance(value, float):
        text = f"{value:g}"
    elif isinstance(value, list):
        text = "-".join(map(str, value))
    else:
        text = str(value)
    return re.sub(r"[^A-Za-z0-9.+-]", "_", text)


def point_name(params: dict, seed: int, cfg: dict) -> str:
    """``l1=0.003_hidden=16_s0-<hash>``: readable, filesystem-safe, unique per resolved config."""
    parts = [f"{_short(k, params)}={_fmt(v)}" for k, v in params.items()]
    parts.append(f"s{seed}")
    head = "_".join(parts)
    if len(head) > 90:
        head = head[:90]
    return f"{head}-{config_hash(cfg)}"


def expand(base_raw: dict, grid: dict, seeds: int = 1, source: str = "config") -> list[Point]:
    """All points of ``grid`` × ``seeds`` over ``base_raw``, each resolved (ConfigError if any
    point is invalid — nothing is run before every point has passed).

    ``base_raw`` is an unresolved config dict (a resolved one works too when the grid does not
    change the model kind); ``grid`` maps ``"section.key"`` to values (strings are typed by the
    schema); ``seeds`` >= 1 seed indices per grid point.
    """
    if not isinstance(seeds, int) or isinstance(seeds, bool) or seeds < 1:
        raise ConfigError(f"--seeds {seeds!r}: the number of seeds must be an integer >= 1")
    base_raw = copy.deepcopy(base_raw)
    _absolute_paths(base_raw, Path.cwd())
    C.resolve(base_raw, source=source)
    typed = typed_grid(grid or {}, base_raw)
    if SEED_KEY in typed and seeds > 1:
        raise ConfigError(f"--grid {SEED_KEY} and --seeds {seeds} both set the training seed; "
                          f"use one of them")
    keys = list(typed)
    points, seen = [], {}
    for combo in itertools.product(*(typed[k] for k in keys)):
        raw = copy.deepcopy(base_raw)
        for key, value in zip(keys, combo):
            section, name = _split_key(key)
            raw.setdefault(section, {})[name] = copy.deepcopy(value)
        where = source + " with " + ", ".join(f"{k}={_show(v)}" for k, v in zip(keys, combo)) \
            if keys else source
        for s in range(seeds):
            cfg = C.resolve(raw, source=where)
            cfg["training"]["seed"] = int(cfg["training"]["seed"]) + s
            params = {k: cfg[k.split(".")[0]][k.split(".")[1]] for k in keys}
            name = point_name(params, s, cfg)
            if name in seen:      # two assignments that resolve to the same run
                raise ConfigError(f"{where}: this point resolves to the same run as "
                                  f"{seen[name]}; remove the duplicate value")
            seen[name] = where
            points.append(Point(len(points), name, params, s, cfg))
    return points


def _show(value) -> str:
    return json.dumps(value) if isinstance(value, (list, str)) else str(value)
