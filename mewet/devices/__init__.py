"""Simulated welfare-technology devices: one module per type, and the catalogue of them."""
