"""Data in: file loaders, built-in generators, unit conventions, the on-disk cache, and the
validated :class:`~boltzmann_lab.data.dataset.Dataset` every model trains on."""
