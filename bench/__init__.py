"""Benchmark suite (`make bench`): scripts, not tests."""
