"""Files shipped with Boltzmann Lab: presets (TOML run configs), stylesheets, icons, screenshots.

They live inside the installed package (``[tool.setuptools.package-data]`` in pyproject.toml), so
they are found the same way from a source checkout and from a wheel.
"""

from pathlib import Path

ROOT = Path(__file__).resolve().parent


def presets_dir() -> Path:
    """The folder holding the preset files ``NAME.toml``."""
    return ROOT / "presets"


def resource_path(*parts: str) -> Path:
    """Path of a shipped resource file, e.g. ``resource_path("icons", "app.png")``."""
    return ROOT.joinpath(*parts)
