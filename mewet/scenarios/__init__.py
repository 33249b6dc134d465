"""Homes, the world inside them, and (later) care scenarios."""
