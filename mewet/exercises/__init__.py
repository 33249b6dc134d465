"""Exercises: a scenario run live for a class, kept as its inputs, replayed, debriefed."""
