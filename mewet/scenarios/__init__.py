"""Homes and the world inside them; scenarios, incidents, the care team and batch runs."""
