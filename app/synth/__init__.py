"""The synthetic scenario generator: provider exports with planted hydra networks."""
