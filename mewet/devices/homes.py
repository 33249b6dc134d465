"""Homes with their devices checked: every placement names a known type, with options and
faults that type accepts."""

from __future__ import annotations

from pathlib import Path

from mewet.devices.catalogue import CATALOGUE
from mewet.sim.home import Home, InvalidHomeError, builtin_homes, read_home
from mewet.texts import said
from mewet.yamlfile import Found


def check_home(home: Home) -> Found:
    """Placements that do not hold: unknown device types, options or faults a type refuses."""
    found: Found = []
    for i, dev in enumerate(home.devices):
        spec = CATALOGUE.get(dev.type)
        if spec is None:
            known = ", ".join(sorted(CATALOGUE))
            why = said("unknown_device_type", type=dev.type, types=known)
            found.append((("devices", i, "type"), why))
            continue
        for loc, msg in spec.check_placement(dev):
            found.append((("devices", i, *loc), msg))
    return found


def load_home(name_or_path: str | Path) -> Home:
    """A built-in home by name (e.g. 'default') or a home file by path, every device checked."""
    return read_home(name_or_path, check_home)


def home_by_id(home_id: str) -> Home:
    """A built-in home by its id: what a scenario names (never a path, so a scenario file,
    uploaded by anyone, cannot make the lab read a file of the server)."""
    homes = builtin_homes()
    if home_id not in homes:
        known = ", ".join(sorted(homes))
        raise InvalidHomeError.of(home_id, said("unknown_home", home=home_id, homes=known))
    return read_home(homes[home_id], check_home)
