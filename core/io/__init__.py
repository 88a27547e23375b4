"""Files out (and back in): model files (:mod:`~boltzmann_lab.io.modelio`) and sessions
(:mod:`~boltzmann_lab.io.session`).  Nothing here ever unpickles user data."""
