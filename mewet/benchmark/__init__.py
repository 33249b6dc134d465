"""Benchmarks for companies: their analytics scored against the lab's ground truth."""
