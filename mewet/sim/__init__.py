"""The engine core: sim time, the home's floor plan and physical state, periodic readings,
the seeded generators and where messages go. It knows nothing of device types, residents,
scenarios or care; devices and everything above build on it."""
