"""Tests of scenarios/care."""
