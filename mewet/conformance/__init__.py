"""Conformance runs: a company's device tested live against the contract, check by check,
with a verdict and its evidence per check, reported as JSON, JUnit XML and HTML."""
