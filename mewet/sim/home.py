"""A virtual home: rooms, doors between them, and the devices placed in them (a YAML file).

This layer checks the floor plan itself; what a device type allows is checked by the
devices layer (`mewet.devices.homes.load_home` loads a home with both checks).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from mewet.contract import ID_PATTERN
from mewet.errors import HomeFileError
from mewet.texts import said
from mewet.yamlfile import FileError, Found, validate_yaml

Id = Annotated[str, StringConstraints(pattern=rf"^{ID_PATTERN}$")]
OUTSIDE = "outside"


class InvalidHomeError(FileError, HomeFileError):
    """A home file's problems, each at its line."""


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Room(_Strict):
    """A room of the floor plan; `x`, `y`, `w`, `h` (metres, from the plan's top left) place
    it on a drawn plan; a room without them is laid out automatically."""

    id: Id
    name: str = Field(min_length=1, max_length=64)
    name_fi: str | None = Field(None, max_length=64, description="The room's Finnish name.")
    area_m2: float = Field(10.0, gt=0, le=500)
    x: float | None = Field(None, ge=0, le=200)
    y: float | None = Field(None, ge=0, le=200)
    w: float | None = Field(None, gt=0, le=200)
    h: float | None = Field(None, gt=0, le=200)


class Door(_Strict):
    """A door or an open passage between two rooms (or a room and `outside`)."""

    id: Id
    between: tuple[Id, Id]
    kind: Literal["door", "entrance", "opening", "window"] = "door"


class DevicePlacement(_Strict):
    """One device in the home: its type, room, and type-specific options and faults; `x`,
    `y` (metres) place it on a drawn plan (else it goes in its room's free space)."""

    id: Id
    type: str
    room: Id
    door: Id | None = None
    x: float | None = Field(None, ge=0, le=200)
    y: float | None = Field(None, ge=0, le=200)
    model: str | None = None
    options: dict[str, Any] = Field(default_factory=dict)
    faults: dict[str, Any] = Field(default_factory=dict)


class Home(_Strict):
    """A floor plan with devices, as read from a home file."""

    id: Id
    name: str
    description: str = ""
    rooms: list[Room] = Field(min_length=1)
    doors: list[Door] = Field(default_factory=list)
    devices: list[DevicePlacement] = Field(default_factory=list)

    def problems(self) -> Found:
        """Cross-references of the floor plan that do not hold: unknown rooms or doors,
        repeated ids."""
        found: Found = []
        rooms = {r.id for r in self.rooms}
        known_rooms = ", ".join(sorted(rooms))
        doors = ", ".join(sorted(d.id for d in self.doors))
        lists: dict[str, list[str]] = {
            "rooms": [r.id for r in self.rooms],
            "doors": [d.id for d in self.doors],
            "devices": [d.id for d in self.devices],
        }
        for key, ids in lists.items():
            seen: set[str] = set()
            for i, item_id in enumerate(ids):
                if item_id in seen:
                    found.append(((key, i, "id"), said("id_twice", value=item_id)))
                seen.add(item_id)
        for i, door in enumerate(self.doors):
            for side in door.between:
                if side != OUTSIDE and side not in rooms:
                    why = said("unknown_room", room=side, rooms=f"{known_rooms}, {OUTSIDE}")
                    found.append((("doors", i, "between"), why))
        for i, dev in enumerate(self.devices):
            if dev.room not in rooms:
                why = said("unknown_room", room=dev.room, rooms=known_rooms)
                found.append((("devices", i, "room"), why))
            if dev.door is not None and dev.door not in {d.id for d in self.doors}:
                found.append(
                    (("devices", i, "door"), said("unknown_door", door=dev.door, doors=doors))
                )
        return found

    def plan(self) -> list[tuple[Room, float, float, float, float]]:
        """Every room with its rectangle (x, y, w, h in metres): as the file gives it, or laid
        out in rows by area for a home without geometry."""
        out = []
        cursor_x = cursor_y = row_h = 0.0
        for room in self.rooms:
            if None not in (room.x, room.y, room.w, room.h):
                out.append((room, room.x or 0.0, room.y or 0.0, room.w or 0.0, room.h or 0.0))
                continue
            side = max(2.0, room.area_m2**0.5)
            if cursor_x + side > 12.0 and cursor_x > 0:
                cursor_x, cursor_y, row_h = 0.0, cursor_y + row_h, 0.0
            out.append((room, cursor_x, cursor_y, side, side))
            cursor_x += side
            row_h = max(row_h, side)
        return out

    def room(self, room_id: str) -> Room:
        """The room with this id."""
        return next(r for r in self.rooms if r.id == room_id)

    def neighbours(self, room_id: str) -> list[str]:
        """Rooms (or `outside`) reachable through one door from `room_id`."""
        out = []
        for d in self.doors:
            if d.kind == "window":
                continue
            if d.between[0] == room_id:
                out.append(d.between[1])
            elif d.between[1] == room_id:
                out.append(d.between[0])
        return out

    def door_between(self, a: str, b: str) -> Door | None:
        """The door connecting two rooms, if any."""
        return next(
            (d for d in self.doors if set(d.between) == {a, b} and d.kind != "window"), None
        )

    def path(self, start: str, goal: str) -> list[str]:
        """Rooms walked through from `start` to `goal`, both included (shortest by doors)."""
        prev: dict[str, str | None] = {start: None}
        queue = deque([start])
        while queue:
            here = queue.popleft()
            if here == goal:
                break
            for nxt in self.neighbours(here):
                if nxt not in prev:
                    prev[nxt] = here
                    queue.append(nxt)
        if goal not in prev:
            raise HomeFileError(f"home {self.id}: no way from {start!r} to {goal!r}")
        route: list[str] = []
        node: str | None = goal
        while node is not None:
            route.append(node)
            node = prev[node]
        return route[::-1]


def builtin_homes() -> dict[str, Path]:
    """The homes that ship with the package, by name."""
    folder = resources.files("mewet.sim") / "homes"
    return {Path(str(p)).stem: Path(str(p)) for p in folder.iterdir() if str(p).endswith(".yaml")}


HomeCheck = Callable[[Home], Found]


def read_home(name_or_path: str | Path, check: HomeCheck | None = None) -> Home:
    """Load a built-in home by name (e.g. 'default') or a home file by path; `check` adds the
    checks of the layers above (device types and their options)."""
    homes = builtin_homes()
    if isinstance(name_or_path, str) and name_or_path in homes:
        return validate_yaml(Home, homes[name_or_path], InvalidHomeError, check=check)
    path = Path(name_or_path)
    if not path.exists():
        known = ", ".join(sorted(homes))
        raise InvalidHomeError.of(str(name_or_path), said("home_not_found", homes=known))
    return validate_yaml(Home, path, InvalidHomeError, check=check)
