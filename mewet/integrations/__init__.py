"""What hangs off the contract for other systems: Home Assistant discovery, the contract's
generated documentation."""
