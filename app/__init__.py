"""Boltzmann Lab application: the PySide6 + pyqtgraph window (``app.gui``) and the command line
(``app.cli``).  Importing this package imports no Qt; the window's modules do."""
