"""Sampling and partition-function estimates that do not belong to one model: annealed importance
sampling (:mod:`~boltzmann_lab.sampling.ais`)."""
