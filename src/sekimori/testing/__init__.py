"""Test servers and process helpers shared by tests, benchmarks and the red-team runner."""
