"""Readers for each data file format (one module per format), behind
:mod:`boltzmann_lab.data.loaders`, which chooses the reader from the file name.

``base`` — :class:`LoadError`, :class:`RawData` and the checks every reader shares;
``npy`` — ``.npy`` / ``.npz`` (headers first, never more bytes than the header declares; also the
safe archive reader used for model and session files); ``text`` — CSV and friends; ``idx`` — MNIST
IDX; ``png`` — the PNG decoder (bounded inflate, numba unfilter); ``images`` — folders of images.
"""
