"""Learning: the one training loop (:mod:`~boltzmann_lab.learning.trainer`), optimizers,
minibatches, and one learner per model kind."""
