"""Benchmarks: `make bench` runs them all (see bench/README section in the main README)."""
