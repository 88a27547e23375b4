"""Statistics shared by every model kind: numerics (logsumexp, sigmoid), autocorrelation times
and error bars, and accuracy measures of inferred parameters."""
