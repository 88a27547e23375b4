"""Boltzmann Lab application: the PySide6 + pyqtgraph window (``boltzmann_lab.app.gui``) and the command line
(``boltzmann_lab.app.cli``).  Importing this package imports no Qt; the window's modules do."""
