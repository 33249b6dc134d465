"""Benchmarks for companies: their analytics scored against the lab's ground truth."""

FALL_SCENARIOS = ("night-fall", "fall-with-injury", "fall-no-wristband", "falls-by-chance")
"""The library's falls and a random week: what a fall benchmark plays unless told otherwise."""
