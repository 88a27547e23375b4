"""The vocabulary of run configs: a config :class:`Key` (default, type, range, choices, doc) and
:class:`ConfigError`.  The keys themselves live in :mod:`boltzmann_lab.config` (data, training)
and in each model kind's record (:mod:`boltzmann_lab.kinds`)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any


NUM = (int, float)


class ConfigError(ValueError):
    """A run config is invalid; the message names the file, the key and what is allowed."""


@dataclass(frozen=True)
class Key:
    """One config key: default, type and allowed values; ``doc`` is shown in the README and GUI."""

    default: Any
    type: type | tuple = float
    choices: tuple | None = None
    low: float | None = None
    high: float | None = None
    doc: str = ""
    optional: bool = False      # None allowed (written as absent in TOML)
    item_choices: tuple | None = None   # for lists of strings
    items: "Key | None" = None  # for lists: every item is checked against this key
    length: tuple | None = None  # for lists: (fewest, most) items

    def check(self, section, name, value, where=None):
        where = where or f"[{section}] {name}"
        if value is None:
            if self.optional:
                return None
            raise ConfigError(f"{where} must be set")
        types = self.type if isinstance(self.type, tuple) else (self.type,)
        if float in types and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if bool not in types and isinstance(value, bool):
            raise ConfigError(f"{where} must be {_tname(types)}, not a boolean")
        if not isinstance(value, types):
            raise ConfigError(f"{where} must be {_tname(types)}, got {_short(value)}")
        if isinstance(value, float) and not math.isfinite(value):
            raise ConfigError(f"{where} = {value!r} is not allowed; it must be a finite number")
        if self.choices is not None and value not in self.choices:
            raise ConfigError(f"{where} = {value!r} is not allowed; choose one of "
                              f"{', '.join(map(repr, self.choices))}")
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if self.low is not None and value < self.low:
                raise ConfigError(f"{where} = {value!r} is too small; allowed range "
                                  f"{_range(self.low, self.high)}")
            if self.high is not None and value > self.high:
                raise ConfigError(f"{where} = {value!r} is too large; allowed range "
                                  f"{_range(self.low, self.high)}")
        if isinstance(value, list):
            if self.length is not None and not self.length[0] <= len(value) <= self.length[1]:
                lo, hi = self.length
                count = f"{lo}" if lo == hi else f"{lo} to {hi}"
                raise ConfigError(f"{where} must list {count} items, got {len(value)}")
            checked = []
            for i, item in enumerate(value):
                if self.item_choices is not None and item not in self.item_choices:
                    raise ConfigError(f"{where}: {_short(item)} is not allowed; items are chosen "
                                      f"from {', '.join(map(repr, self.item_choices))}")
                if self.item_choices is None and not isinstance(item, (int, float, str)):
                    raise ConfigError(f"{where}: items must be numbers or strings, got "
                                      f"{_short(item)}")
                if isinstance(item, float) and not math.isfinite(item):
                    raise ConfigError(f"{where}: item {i} is {item!r}; items must be finite")
                if self.items is not None:
                    item = self.items.check(section, name, item, where=f"{where}[{i}]")
                checked.append(item)
            value = checked
        return value


def _short(value, limit=60) -> str:
    """repr of a value, cut to ``limit`` characters (a hostile config may hold huge values)."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


def numbers(low=None, high=None, integer=False, length=None) -> dict:
    """``Key`` arguments for a list of finite numbers (integers when ``integer``) in [low, high],
    with ``length`` = (fewest, most) items: ``Key(None, list, **numbers(1, integer=True))``."""
    return dict(items=Key(0, int if integer else NUM, low=low, high=high), length=length)


def seed_key(doc) -> Key:
    """A seed: a non-negative integer (numpy's SeedSequence refuses negative ones)."""
    return Key(0, int, low=0, doc=doc)


def _tname(types):
    names = {bool: "true/false", int: "an integer", float: "a number", str: "a string",
             list: "a list"}
    return " or ".join(names.get(t, t.__name__) for t in types)


def _range(lo, hi):
    return f"{'-inf' if lo is None else lo} .. {'inf' if hi is None else hi}"


NUM = (int, float)
