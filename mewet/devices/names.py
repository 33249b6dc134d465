"""The home's devices by name, in a language: what a page and an export call a device
instead of its id ("palovaroitin (keittiö)" for `smoke-kitchen`)."""

from __future__ import annotations

from mewet.devices.catalogue import CATALOGUE
from mewet.sim.home import Home
from mewet.texts import catalogue


def device_names(home: Home, lang: str) -> dict[str, str]:
    """Device id → its name: the type's name, and where it is (its room, or the appliance
    a plug switches); a worn device by its type alone, as it goes where the resident goes.
    A case the relative raised names the relative."""
    words = catalogue(lang)
    rooms = {r.id: (r.name_fi or r.name) if lang == "fi" else r.name for r in home.rooms}
    out: dict[str, str] = {}
    for d in home.devices:
        kind = str(words["device_types"].get(d.type, d.type))
        spec = CATALOGUE.get(d.type)
        if spec is not None and spec.worn:
            out[d.id] = kind
            continue
        appliance = d.options.get("appliance")
        if isinstance(appliance, str):
            where = str(words["appliances"].get(appliance, appliance))
        else:
            where = rooms.get(d.room, d.room)
        out[d.id] = f"{kind} ({where})"
    out.setdefault("relative", str(words["roles"]["relative"]))
    return out
