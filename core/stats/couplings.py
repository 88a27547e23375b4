"""Accuracy of inferred couplings (inverse Ising / DCA)."""

from __future__ import annotations

import numpy as np


def coupling_error(J_fit, J_true) -> float:
    """Relative coupling error γ = ‖J_fit − J_true‖_F / ‖J_true‖_F over the pairs i < j (the
    inverse-Ising accuracy measure of REFERENCES.md)."""
    J_fit, J_true = np.asarray(J_fit), np.asarray(J_true)
    iu = np.triu_indices(len(J_true), 1)
    return float(np.linalg.norm(J_fit[iu] - J_true[iu]) / np.linalg.norm(J_true[iu]))
