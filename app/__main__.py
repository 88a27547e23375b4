"""``python -m app`` = the ``boltzmann-lab`` command."""

from app.cli import main

raise SystemExit(main())
