"""Test-wide setup: Qt runs offscreen (set before anything imports Qt)."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("NUMBA_NUM_THREADS", "1")
# The tests' matrices are small: threaded BLAS only adds contention on the 2-core CI machine.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
