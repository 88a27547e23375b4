"""The vocabulary of run configs: a config :class:`Key` (default, type, range, choices, doc) and
:class:`ConfigError`.  The keys themselves live in :mod:`boltzmann_lab.config` (data, training)
and in each model kind's record (:mod:`boltzmann_lab.kinds`)."""

from __future__ import annotations

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

    def check(self, section, name, value):
        where = f"[{section}] {name}"
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
            raise ConfigError(f"{where} must be {_tname(types)}, got {value!r}")
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
            for item in value:
                if self.item_choices is not None and item not in self.item_choices:
                    raise ConfigError(f"{where}: {item!r} is not allowed; items are chosen from "
                                      f"{', '.join(map(repr, self.item_choices))}")
                if self.item_choices is None and not isinstance(item, (int, float, str)):
                    raise ConfigError(f"{where}: items must be numbers or strings, got {item!r}")
            value = list(value)
        return value


def _tname(types):
    names = {bool: "true/false", int: "an integer", float: "a number", str: "a string",
             list: "a list"}
    return " or ".join(names.get(t, t.__name__) for t in types)


def _range(lo, hi):
    return f"{'-inf' if lo is None else lo} .. {'inf' if hi is None else hi}"


NUM = (int, float)
