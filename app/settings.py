"""What the app remembers between launches (QSettings): recent files and the window layout.

All settings live in one INI file.  Its folder is the platform's user config folder by default;
``BOLTZMANN_LAB_SETTINGS`` (an environment variable) or :func:`use_folder` redirects it — the
tests point it at a temporary folder so they never read or write the user's real settings.

Keys: ``recent/files`` (list of paths, newest first, at most :data:`MAX_RECENT`),
``window/geometry`` (QMainWindow.saveGeometry: position, size, maximised; restored within the
screen's available geometry) and ``window/splitter``
(sizes of the settings | views splitter).  Toolbar positions are not restored: the toolbars are
fixed, and an old saved state must never reorder them.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QSettings

MAX_RECENT = 10
ENV = "BOLTZMANN_LAB_SETTINGS"
ORGANIZATION = "BoltzmannLab"
APPLICATION = "boltzmann-lab"

_folder: Path | None = None


def use_folder(folder) -> None:
    """Keep settings in ``folder/boltzmann-lab.ini`` from now on (``None``: back to default)."""
    global _folder
    _folder = None if folder is None else Path(folder)


def settings_file() -> Path | None:
    """The INI file in use when redirected, else ``None`` (the platform default location)."""
    if _folder is not None:
        return _folder / f"{APPLICATION}.ini"
    env = os.environ.get(ENV)
    if env:
        return Path(env) / f"{APPLICATION}.ini"
    return None


def settings() -> QSettings:
    """A QSettings object on the file in use (cheap; make one per use)."""
    path = settings_file()
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        return QSettings(str(path), QSettings.IniFormat)
    return QSettings(QSettings.IniFormat, QSettings.UserScope, ORGANIZATION, APPLICATION)


def _as_list(value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value] if value else []
    return [str(v) for v in value]


# ----------------------------------------------------------------------------- recent files
def recent_files() -> list[str]:
    """Recently opened or saved files (configs and sessions), newest first, existing ones only."""
    return [p for p in _as_list(settings().value("recent/files")) if Path(p).exists()]


def add_recent(path) -> list[str]:
    """Put ``path`` first in the recent list (no duplicates, at most MAX_RECENT)."""
    p = str(Path(path).resolve())
    files = [p] + [f for f in _as_list(settings().value("recent/files")) if f != p]
    files = files[:MAX_RECENT]
    s = settings()
    s.setValue("recent/files", files)
    s.sync()
    return files


def clear_recent() -> None:
    s = settings()
    s.remove("recent/files")
    s.sync()


# ----------------------------------------------------------------------------- window layout
def save_window(window) -> None:
    """Remember the main window's geometry and splitter sizes."""
    s = settings()
    s.setValue("window/geometry", window.saveGeometry())
    splitter = getattr(window, "splitter", None)
    if splitter is not None:
        s.setValue("window/splitter", [int(x) for x in splitter.sizes()])
    s.sync()


def restore_window(window) -> bool:
    """Apply the remembered layout to ``window``, fitted to the screen it is on now (a window
    remembered on a large monitor must not overflow a projector); return whether there was one
    (also kept as ``window.geometry_restored``)."""
    s = settings()
    geometry = s.value("window/geometry")
    if geometry is None:
        return False
    window.restoreGeometry(geometry)
    from .screen_fit import fit_window
    fit_window(window)
    window.geometry_restored = True
    sizes = s.value("window/splitter")
    splitter = getattr(window, "splitter", None)
    if sizes and splitter is not None:
        try:
            splitter.setSizes([int(x) for x in _as_list(sizes)])
        except (TypeError, ValueError):
            pass
    return True
