"""The device catalogue: every device type by name."""

from __future__ import annotations

from mewet.devices import (
    bed,
    blood_pressure,
    contact,
    dispenser,
    environment,
    fall_detector,
    gateway,
    motion,
    scale,
    smart_lock,
    smart_plug,
    smoke,
    stove_guard,
    vitals,
    water_leak,
    wristband,
)
from mewet.devices.base import DeviceSpec

CATALOGUE: dict[str, DeviceSpec] = {
    m.SPEC.type: m.SPEC
    for m in (
        motion,
        contact,
        bed,
        fall_detector,
        wristband,
        stove_guard,
        smoke,
        water_leak,
        dispenser,
        vitals,
        environment,
        smart_lock,
        smart_plug,
        scale,
        blood_pressure,
        gateway,
    )
}
