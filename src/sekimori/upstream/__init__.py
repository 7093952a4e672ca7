"""Model-server clients and the embedded local model."""
