"""``python -m app`` = the ``boltzmann-lab`` command."""

from boltzmann_lab.app.cli import main

raise SystemExit(main())
