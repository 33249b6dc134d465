"""Payload models of the MQTT contract: what every device, simulated or real, must send.

Validated at the boundary with `Model.model_validate_json`; inside the lab they travel as
frozen objects. `schemas()` gives the JSON Schema of each payload kind, as published.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal, NamedTuple

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    FiniteFloat,
    PlainSerializer,
    RootModel,
    StrictBool,
    StrictInt,
    StringConstraints,
    TypeAdapter,
    field_validator,
    model_validator,
)

from mewet.contract.topics import NAME_PATTERN, Kind, Topic

VERSION = 1
MAX_PAYLOAD_BYTES = 64 * 1024
MAX_SKEW_S = 300.0
"""How far a message's `ts` may be from the lab's clock when it arrives."""
LAB_DEVICES = frozenset({"MeWeT virtual devices", "dataset"})
"""`meta.manufacturer` of the devices the lab plays itself (its virtual devices, a replayed
dataset): on a simulated or recorded clock, and commanded from inside the engine as well as
over MQTT, so ingest compares neither their `ts` with its clock nor their command results with
the commands it saw."""


def format_ts(ts: datetime) -> str:
    """ISO 8601 in UTC with milliseconds and a Z, as every envelope carries it.

    Every message is stamped with one, and most of them within a minute of the one before:
    the minute's `YYYY-MM-DDTHH:MM:` is remembered, so a stamp costs two numbers formatted
    instead of a conversion to UTC and an ISO formatting (a year of the default home is 2.7
    million of them).
    """
    offset = ts.utcoffset()
    if offset is None or offset.seconds % 60 or offset.microseconds:  # naive, or a historic
        return _format_slowly(ts)  # zone's offset in seconds: the minute is not enough
    key = (ts.year, ts.month, ts.day, ts.hour, ts.minute, offset)
    head = _MINUTES.get(key)
    if head is None:
        if len(_MINUTES) >= 4096:
            _MINUTES.clear()
        head = _MINUTES[key] = _format_slowly(ts.replace(second=0, microsecond=0))[:17]
    return head + _SECONDS[ts.second] + _MILLISECONDS[ts.microsecond // 1000]


def _format_slowly(ts: datetime) -> str:
    if ts.utcoffset() != _ZERO:
        ts = ts.astimezone(UTC)
    return ts.replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"


_ZERO = timedelta(0)
_MINUTES: dict[tuple[int, int, int, int, int, timedelta], str] = {}
"""`YYYY-MM-DDTHH:MM:` in UTC of the minutes stamped lately, by local minute and offset."""
_SECONDS = [f"{s:02d}." for s in range(60)]
_MILLISECONDS = [f"{ms:03d}Z" for ms in range(1000)]


Timestamp = Annotated[AwareDatetime, PlainSerializer(format_ts, return_type=str)]
Name = Annotated[str, StringConstraints(pattern=rf"^{NAME_PATTERN}$")]
Text = Annotated[str, StringConstraints(max_length=256, pattern=r"^[^\x00-\x1f\x7f]*$")]
# a room name becomes a tag value in InfluxDB, whose line protocol cannot end one in a backslash
RoomName = Annotated[
    str,
    StringConstraints(
        min_length=1, max_length=64, pattern=r"^[^\x00-\x1f\x7f]*[^\x00-\x1f\x7f\\]$"
    ),
]
Scalar = FiniteFloat | StrictBool | Text
CommandArg = StrictInt | FiniteFloat | StrictBool | Text  # 60 stays 60 on the way to a device
Severity = Literal["info", "warning", "alarm"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)


class _Envelope(_Frozen):
    v: Literal[1] = Field(1, description="Envelope version.")
    id: Annotated[str, StringConstraints(min_length=1, max_length=64)] = Field(
        description="Unique message id: a redelivered message carries the same id."
    )
    ts: Timestamp = Field(description="When the device measured (not arrival time).")
    seq: Annotated[int, Field(ge=0)] = Field(
        description="+1 per message of the device; a gap is a lost message, 0 after a reboot."
    )


RESERVED = frozenset({"seq", "msg_id", "time", "type", "home", "device"})


class Telemetry(_Envelope):
    """A measurement: one or more channel values, all finite floats (units in `meta`)."""

    data: Annotated[dict[Name, FiniteFloat], Field(min_length=1, max_length=64)]

    @field_validator("data")
    @classmethod
    def _not_reserved(cls, data: dict[str, float]) -> dict[str, float]:
        taken = sorted(RESERVED & data.keys())
        if taken:
            raise ValueError(f"channel names {taken} are reserved; rename them")
        return data

    @classmethod
    def trusted(cls, id: str, ts: datetime, seq: int, data: dict[str, float]) -> Telemetry:
        """A reading built without validation, as `model_construct` builds one, at under a quarter
        of its cost: for the simulated devices' millions of readings, whose code the tests
        check against the published schema (and ingest validates whatever crosses the broker).
        """
        reading = _new(cls)
        _set_dict(reading, {"v": VERSION, "id": id, "ts": ts, "seq": seq, "data": data})
        _set_fields_set(reading, _TELEMETRY_FIELDS)
        _set_extra(reading, None)
        _set_private(reading, None)
        return reading


_TELEMETRY_FIELDS = frozenset(Telemetry.model_fields)
# BaseModel's slots, set through their own descriptors: `object.__setattr__` looks each one up
# by name first: a third of what building a reading cost
_new = object.__new__
_set_dict = BaseModel.__dict__["__dict__"].__set__
_set_fields_set = BaseModel.__dict__["__pydantic_fields_set__"].__set__
_set_extra = BaseModel.__dict__["__pydantic_extra__"].__set__
_set_private = BaseModel.__dict__["__pydantic_private__"].__set__


class Event(_Envelope):
    """Something happened: a fall, a button press, a door opening, a command result."""

    event_type: Name = Field(description="Valid as a Home Assistant event type as-is.")
    severity: Severity = "info"
    data: Annotated[dict[Name, Scalar], Field(max_length=64)] = Field(default_factory=dict)


class State(RootModel[dict[Name, Scalar | None]]):
    """Flat JSON of the current state of a device, retained."""

    model_config = ConfigDict(frozen=True, strict=True)


class Channel(_Frozen):
    """One measured channel of a device."""

    name: Name
    unit: Text = Field(description="SI or customary unit, '' when dimensionless.")
    rate_s: Annotated[float, Field(gt=0)] | None = Field(
        None, description="Default reporting period in seconds; None when reported on change."
    )
    min: FiniteFloat | None = Field(None, description="The lowest value it can report, if bounded.")
    max: FiniteFloat | None = Field(
        None, description="The highest value it can report, if bounded."
    )

    @model_validator(mode="after")
    def _range(self) -> Channel:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"channel {self.name!r}: min {self.min:g} is above max {self.max:g}")
        return self


class Meta(_Frozen):
    """Retained description of a device."""

    type: Name
    model: Text
    manufacturer: Text
    room: RoomName
    firmware: Text
    channels: list[Channel] = Field(default_factory=list)
    events: list[Name] = Field(default_factory=list)
    commands: list[Name] = Field(default_factory=list)


class Command(_Frozen):
    """A command from the lab to a device, on `.../cmd/<name>`; the result comes as an event."""

    v: Literal[1] = 1
    id: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    ts: Timestamp
    args: Annotated[dict[Name, CommandArg], Field(max_length=16)] = Field(default_factory=dict)


Status = Literal["online", "offline"]
Payload = Telemetry | Event | State | Meta | Command

PAYLOAD_MODELS: dict[Kind, type[BaseModel]] = {
    Kind.TELEMETRY: Telemetry,
    Kind.EVENT: Event,
    Kind.STATE: State,
    Kind.META: Meta,
    Kind.CMD: Command,
}


class Message(NamedTuple):
    """One MQTT message as a device sends it: where it goes and what it says.

    Frozen, as a named tuple: the simulated devices build millions of them, and a frozen
    dataclass costs half as much again to build (its `__init__` goes through
    `object.__setattr__`).
    """

    topic: Topic
    payload: Payload | Status

    def encode(self) -> bytes:
        """The bytes on the wire: compact JSON, or the bare word for `status`."""
        if isinstance(self.payload, str):
            return self.payload.encode()
        return self.payload.model_dump_json(exclude_none=self.topic.kind is not Kind.STATE).encode()

    @property
    def retain(self) -> bool:
        """Whether the broker keeps it for late subscribers."""
        return self.topic.retain


def schemas() -> dict[str, dict[str, Any]]:
    """JSON Schema of every JSON payload kind, keyed by kind name."""
    out = {kind.value: model.model_json_schema() for kind, model in PAYLOAD_MODELS.items()}
    out["status"] = TypeAdapter(Status).json_schema()
    for kind, schema in out.items():
        _close_patterns(schema)
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        schema.setdefault("title", kind)
    return out


def _close_patterns(node: Any) -> None:
    """Maps keyed by name admit no other keys, in the schema as in the models."""
    if isinstance(node, dict):
        if "patternProperties" in node:
            node["additionalProperties"] = False
        for value in node.values():
            _close_patterns(value)
    elif isinstance(node, list):
        for value in node:
            _close_patterns(value)
