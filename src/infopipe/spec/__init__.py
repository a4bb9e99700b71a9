"""The spec language: the model as written, its loader with lines, the scaffold and the reference."""
