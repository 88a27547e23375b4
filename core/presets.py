"""Presets: ready-made run configs shipped in ``resources/presets/NAME.toml``.

A preset is an ordinary run config (``[data]``, ``[model]``, ``[training]``) plus two free-form
tables: ``[preset]`` (``title``, ``description``, ``order`` for listing) and ``[view]`` (hints for the
GUI).  ``boltzmann-lab presets`` lists them; ``boltzmann-lab --preset NAME`` opens one; the GUI
opens :data:`DEFAULT_PRESET` when none is given.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from boltzmann_lab import config as _config

#: the preset the GUI opens when none is named
DEFAULT_PRESET = "ising-phases"


def presets_dir() -> Path:
    from boltzmann_lab.resources import presets_dir as _dir
    return _dir()


def preset_names() -> list[str]:
    """Names of all presets (file stems), in listing order."""
    return [name for name, _, _ in list_presets()]


def preset_path(name: str) -> Path:
    """The file of preset ``name``; :class:`~boltzmann_lab.config.ConfigError` listing the known names when
    there is none."""
    path = presets_dir() / f"{name}.toml"
    if not path.is_file():
        known = sorted(p.stem for p in presets_dir().glob("*.toml"))
        raise _config.ConfigError(f"unknown preset {name!r}; available presets: "
                                  f"{', '.join(known) or 'none'}")
    return path


def _read(path: Path) -> dict:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise _config.ConfigError(f"{path}: not a valid preset file ({exc})") from None


def list_presets() -> list[tuple[str, str, str]]:
    """``[(name, title, description), ...]`` sorted by the presets' ``order`` then name."""
    rows = []
    for path in presets_dir().glob("*.toml"):
        info = _read(path).get("preset", {})
        rows.append((info.get("order", 1000), path.stem, str(info.get("title", path.stem)),
                     str(info.get("description", ""))))
    rows.sort()
    return [(name, title, desc) for _, name, title, desc in rows]


def load_preset(name: str) -> dict:
    """The resolved run config of preset ``name`` (every default filled in; data paths made
    absolute relative to the preset file)."""
    return _config.load(preset_path(name))
