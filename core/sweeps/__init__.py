"""Many runs at once: the Λ sweep of section 15.3.2 and the Hopfield capacity curve."""
