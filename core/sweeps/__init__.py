"""Many runs at once: grids of runs on dask.distributed (or serially), the Λ sweep of section
15.3.2 and the Hopfield capacity curve.

* :func:`sweep` — a grid of full runs over any config keys, each point trained by the one training
  loop and written to its own folder of a sweep directory (:mod:`~boltzmann_lab.sweeps.runner`);
* :func:`map_tasks` — the same executors for in-memory helpers: EM restarts
  (:mod:`boltzmann_lab.learning.mixture`), Λ paths (:mod:`~boltzmann_lab.sweeps.lambda_sweep`),
  capacity curves (:mod:`~boltzmann_lab.sweeps.capacity`).

Importing this package does not import dask; a dask scheduler is started or contacted only when a
sweep uses one (:mod:`~boltzmann_lab.sweeps.executor`).
"""

from boltzmann_lab.sweeps.executor import SweepError, map_tasks
from boltzmann_lab.sweeps.grid import Point, parse_grid_args
from boltzmann_lab.sweeps.runner import ResultTable, SweepEvent, plan, sweep

__all__ = ["sweep", "plan", "map_tasks", "parse_grid_args", "Point", "ResultTable", "SweepEvent",
           "SweepError"]
