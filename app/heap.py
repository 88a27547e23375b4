"""Keep the garbage collector's full passes out of the show.

A full (generation-2) collection walks every tracked Python object while holding the GIL.  The
running app holds ~160 000 of them (Qt wrappers, pyqtgraph items, numba dispatchers), so a full
pass triggered by the worker's allocations stalled the window for 0.3-0.5 s on a loaded
two-core machine.  Objects that live as long as the window or the run are therefore moved to the
collector's permanent generation (:func:`gc.freeze`) once they exist, at moments the user has
just caused (window built, a new run swapped in), and are given back to the collector first so
that cycles left by the previous run are still freed.
"""

from __future__ import annotations

import gc


def settle() -> None:
    """Collect what the previous run left, then freeze the survivors out of future full passes."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()
