"""Homes with their devices checked: every placement names a known type, with options and
faults that type accepts."""

from __future__ import annotations

from pathlib import Path

from mewet.devices.catalogue import CATALOGUE
from mewet.errors import HomeFileError
from mewet.sim.home import Home, builtin_homes, read_home
from mewet.yamlfile import Loc


def check_home(home: Home) -> list[tuple[Loc, str]]:
    """Placements that do not hold: unknown device types, options or faults a type refuses."""
    found: list[tuple[Loc, str]] = []
    for i, dev in enumerate(home.devices):
        spec = CATALOGUE.get(dev.type)
        if spec is None:
            known = ", ".join(sorted(CATALOGUE))
            found.append(
                (("devices", i, "type"), f"unknown device type {dev.type!r} (known: {known})")
            )
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
        raise HomeFileError(f"unknown home {home_id!r} (homes: {', '.join(sorted(homes))})")
    return read_home(homes[home_id], check_home)
