"""How the window reports problems: one banner, no traceback unless ``--debug``.

A handled problem — a bad file, settings the model refuses (the exact estimator on 64 units), a
session that cannot be read — is the user's news, not a bug: it appears once, in the banner
above the views (no dialog on top of it), and nothing is printed.  An unexpected exception in a
training step (a bug) also goes to the banner and prints one line to stderr; the traceback is
printed only when the app was started with ``--debug`` (:func:`set_debug`).
"""

from __future__ import annotations

import html
import sys
import traceback

_debug = {"on": False}


def set_debug(on: bool) -> None:
    """``boltzmann-lab --debug``: print the traceback of every error the window handles."""
    _debug["on"] = bool(on)


def debug() -> bool:
    return _debug["on"]


def log_exception(exc: BaseException, where: str, expected: bool = False) -> None:
    """stderr for an exception the window has handled: the traceback with ``--debug``; else one
    line for an unexpected one, nothing for an expected one (bad input, a refused setting)."""
    if _debug["on"]:
        traceback.print_exception(exc, file=sys.stderr)
    elif not expected:
        print(f"boltzmann-lab: {type(exc).__name__} {where}: {exc} (start with --debug for the "
              f"traceback)", file=sys.stderr)


class ErrorReporter:
    """Shows errors in the window's banner, once each.

    ``messages`` keeps (title, text) of every error shown: tests read it and the banner text."""

    def __init__(self, window):
        self.window = window
        self.messages: list[tuple[str, str]] = []

    def show(self, text: str, title: str = "Problem") -> None:
        self.messages.append((title, text))
        self.window.banner.show_message(f"<b>{title}.</b> {html.escape(text)}", error=True)
