"""What the API takes and gives a company: its devices under test, the commands it sends them,
their conformance runs and its analytics' benchmarks (the rest: `models.py`)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StrictBool

from mewet.api.models import MqttAccess, RequestBody, Scalar
from mewet.benchmark import FALL_SCENARIOS
from mewet.contract import ID_PATTERN, NAME_PATTERN


class DeviceCreate(RequestBody):
    """A company's device under test: its home and device id on the broker."""

    home: str = Field(pattern=rf"^{ID_PATTERN}$")
    device: str = Field(pattern=rf"^{ID_PATTERN}$")


class DeadLetterSeen(BaseModel):
    """A message of the device that the lab refused, and why."""

    received: datetime
    topic: str
    reason: str
    size: int


class DeviceStatus(BaseModel):
    """A company's device as the lab sees it."""

    home: str
    device: str
    type: str = Field(description="From its `meta`; `unknown` until it sends one.")
    status: Literal["online", "offline", "no status yet", "never seen"] = Field(
        description="From its retained status (its Last Will says offline)."
    )
    last_seen: datetime | None
    state: dict[str, Any] = Field(default_factory=dict, description="Its last retained state.")
    refused: int = Field(description="Its messages the lab refused (dead letters), lately.")
    messages: dict[str, int] = Field(
        default_factory=dict, description="Its messages stored, per kind: telemetry, event."
    )
    deviations: dict[str, int] = Field(
        default_factory=dict,
        description=(
            "How often its messages strayed from its `meta` or the contract's rules, per kind "
            "(stored all the same): no_meta, undeclared_channel, undeclared_event, "
            "out_of_range, ts_skew, id_reused, bad_result, unmatched_result."
        ),
    )


class EventSeen(BaseModel):
    """One event the device sent, as stored."""

    ts: datetime
    event_type: str
    severity: str
    data: dict[str, Any]


class DeviationSeen(BaseModel):
    """One place where a device strayed from what it declared."""

    received: datetime
    kind: str
    detail: str
    msg_id: str


class TelemetrySeen(BaseModel):
    """One telemetry message the device sent, as stored."""

    ts: datetime
    seq: int
    data: dict[str, float]


class CommandSeen(BaseModel):
    """A command sent to the device, with its result matched by `ref`."""

    id: str
    name: str
    args: dict[str, Any]
    sent: datetime
    answered: datetime | None = Field(None, description="The result's ts (the device's clock).")
    latency_s: float | None = Field(None, description="From sending to the result's ts.")
    ok: bool | None = None
    detail: str | None = None


class RefusedPublish(BaseModel):
    """A message the device published to a topic it may not write: the broker refused it
    (seen at the devices' door, which applies the broker's own rules)."""

    at: datetime
    topic: str
    reason: Literal["not_its_topic"]


class DeviceDetail(DeviceStatus):
    """One device with its last events, the reasons its messages were refused and where
    they strayed from its declaration, newest first."""

    events: list[EventSeen] = Field(default_factory=list)
    telemetry: list[TelemetrySeen] = Field(
        default_factory=list, description="Its newest telemetry messages (by its ts)."
    )
    dead_letters: list[DeadLetterSeen]
    recent_deviations: list[DeviationSeen] = Field(default_factory=list)
    commands: list[CommandSeen] = Field(
        default_factory=list, description="The newest commands sent, with their results."
    )
    refused_publishes: list[RefusedPublish] = Field(
        default_factory=list,
        description="Its newest publishes the broker refused, since the devices' door started "
        "(a secured lab's).",
    )


class CommandRequest(RequestBody):
    """A command for your device: its name (the last level of `.../cmd/<name>`) and args."""

    name: str = Field(pattern=rf"^{NAME_PATTERN}$")
    args: dict[str, Scalar] = Field(default_factory=dict, max_length=16)


class CommandSent(BaseModel):
    """A command on its way: the device answers with a `command_result` event whose `ref` is
    the command's id."""

    id: str
    topic: str


class ConformanceCreate(RequestBody):
    """A conformance run of your device: how long to watch it (its declared commands are sent
    halfway), and whether the lab pulls its plug (a secured lab's devices' door: the Last
    Will, the reconnect back-off and the persistent session are then tested)."""

    watch_s: float = Field(30.0, ge=5, le=300, description="Seconds to watch the device.")
    answer_s: float = Field(
        10.0, ge=1, le=60, description="Seconds each command's result may take."
    )
    strict: StrictBool = Field(
        False, description="A check that saw too little to decide fails the run (for CI)."
    )
    unplug: StrictBool = Field(
        False,
        description="After watching, the lab cuts the device's connection at its door (the "
        "broker publishes its Last Will), refuses its reconnects for 20 s, then lets it in: "
        "it must come back by itself. The run then takes about a minute longer.",
    )


class ConformanceSeen(BaseModel):
    """One conformance run of a device: going on, done (with the verdict) or failed."""

    id: int
    status: Literal["running", "done", "failed"]
    started: datetime
    verdict: Literal["pass", "fail"] | None = None
    counts: dict[str, int] | None = Field(
        None, description="Checks per verdict: pass, fail, not_applicable, inconclusive."
    )
    error: str | None = None
    report: str | None = Field(None, description="The full report (JSON); .html and .xml beside.")


class BenchmarkCreate(RequestBody):
    """A benchmark of a company's fall detector: which of its devices sends the detections,
    which scenarios and seeds are played, how fast."""

    home: str = Field(pattern=rf"^{ID_PATTERN}$", description="Your detector device's home.")
    device: str = Field(pattern=rf"^{ID_PATTERN}$", description="Your detector device.")
    scenarios: list[Annotated[str, Field(pattern=rf"^{ID_PATTERN}$")]] = Field(
        default_factory=lambda: list(FALL_SCENARIOS),
        min_length=1,
        max_length=6,
        description="Library scenarios to play (default: the library's falls and a random week).",
    )
    seeds: str = Field(
        "1", max_length=40, description="Seeds of each scenario: 1-3, 1,5,9 (at most 5)."
    )
    held_out: int | None = Field(
        None,
        ge=1,
        le=12,
        description="Play this many held-out homes instead of `scenarios` and `seeds`: drawn by "
        "the lab from a secret seed (falls at varied times and rooms, varied residents), a "
        "day each, their truth never served: a score to show a customer.",
    )
    speed: float = Field(600.0, ge=60, le=3600, description="Sim seconds per wall second.")
    window_s: float = Field(
        300.0, ge=1, le=3600, description="Seconds after a fall's onset a detection counts."
    )


class BenchmarkSeen(BaseModel):
    """A benchmark run: where to listen and publish, how far it is, and its figures when done.
    A run the lab has no worker for yet is `queued`: it starts in turn (`started` and
    `ends_about` then move)."""

    id: int
    status: Literal["queued", "running", "done", "failed", "cancelled"]
    detector: str
    homes: list[str] = Field(description="Subscribe to <root>/<home>/# for each.")
    publish_to: str = Field(description="Publish detections here, as events with data.home.")
    speed: float
    window_s: float
    started: datetime
    ends_about: datetime
    error: str | None = None
    mqtt: MqttAccess | None = Field(
        None, description="On a secured broker: an account that reads the benchmark's homes."
    )
    report: dict[str, Any] | None = Field(
        None, description="When done: the figures, as `mewet score --json` prints them."
    )
