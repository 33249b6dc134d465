"""Homes with their devices checked: every placement names a known type, with options and
faults that type accepts."""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from mewet.devices.base import DeviceSpec, Faults
from mewet.devices.catalogue import CATALOGUE
from mewet.sim.home import DevicePlacement, Home, InvalidHomeError, builtin_homes, read_home
from mewet.texts import problem, said
from mewet.yamlfile import Found, unknown_key


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
        for loc, msg in check_placement(spec, dev):
            found.append((("devices", i, *loc), msg))
    return found


def check_placement(spec: DeviceSpec, placement: DevicePlacement) -> Found:
    """Problems with a placement's options and fault overrides for its type, with their
    locations; an unknown one is told with those the type has."""
    found: Found = []
    for key, model, data in (
        ("options", spec.options, placement.options),
        ("faults", Faults, {**spec.faults.model_dump(), **placement.faults}),
    ):
        try:
            model.model_validate(data)
        except ValidationError as exc:
            for err in exc.errors():
                loc = (key, *err["loc"])
                if err["type"] == "extra_forbidden":
                    known = list(model.model_fields)
                    what = f"unknown_{key[:-1]}"  # unknown_option, unknown_fault
                    found.append((loc, unknown_key(str(loc[-1]), known, what, type=spec.type)))
                else:
                    found.append((loc, problem(err)))
    if spec.factory.needs_door and placement.door is None:
        found.append((("door",), said("device_needs_door", type=spec.type)))
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
