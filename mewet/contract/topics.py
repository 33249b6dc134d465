"""Every MQTT topic of the contract is built and parsed here, and nowhere else.

<root>/<home>/<device>/meta|status|state|telemetry|event
<root>/<home>/<device>/cmd/<name>
homeassistant/device/<home>_<device>/config

`Topic` is one device topic, checked on creation; the functions below build the filters
that subscriptions and the broker's access rules use, so no other module writes a topic
string by hand.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from mewet.errors import ContractError

ID_PATTERN = r"[a-z0-9][a-z0-9-]{0,62}"
NAME_PATTERN = r"[a-z][a-z0-9_]{0,62}"
_ID_RE = re.compile(rf"^{ID_PATTERN}$")
_NAME_RE = re.compile(rf"^{NAME_PATTERN}$")
DEFAULT_ROOT = "mewet"
DISCOVERY_PREFIX = "homeassistant"


class Kind(StrEnum):
    """The last level of a device topic: what the payload is."""

    META = "meta"
    STATUS = "status"
    STATE = "state"
    TELEMETRY = "telemetry"
    EVENT = "event"
    CMD = "cmd"


RETAINED = frozenset({Kind.META, Kind.STATUS, Kind.STATE})


def check_id(value: str, what: str = "id") -> str:
    """Return `value` when it is a valid home or device id, else raise ContractError."""
    if not _ID_RE.match(value):
        raise ContractError(
            f"{what} {value!r} is not valid: use 1-63 characters, lower-case letters, digits "
            "and '-', starting with a letter or digit"
        )
    return value


def check_name(value: str, what: str = "name") -> str:
    """Return `value` when it is a valid channel, event or command name, else ContractError."""
    if not _NAME_RE.match(value):
        raise ContractError(
            f"{what} {value!r} is not valid: use 1-63 characters, lower-case letters, digits "
            "and '_', starting with a letter"
        )
    return value


@dataclass(frozen=True, slots=True)
class Topic:
    """One device topic, validated on creation."""

    home: str
    device: str
    kind: Kind
    command: str | None = None
    root: str = DEFAULT_ROOT

    def __post_init__(self) -> None:
        check_id(self.home, "home id")
        check_id(self.device, "device id")
        if (self.kind is Kind.CMD) != (self.command is not None):
            raise ContractError("a cmd topic needs a command name, other kinds take none")
        if self.command is not None:
            check_name(self.command, "command name")

    @property
    def retain(self) -> bool:
        """Whether messages on this topic are published retained."""
        return self.kind in RETAINED

    def __str__(self) -> str:
        base = f"{self.root}/{self.home}/{self.device}/{self.kind.value}"
        return f"{base}/{self.command}" if self.command else base

    @classmethod
    def parse(cls, topic: str, root: str = DEFAULT_ROOT) -> Topic:
        """Parse a topic string; raise ContractError saying what is wrong with it."""
        parts = topic.split("/")
        if len(parts) < 4 or parts[0] != root:
            raise ContractError(f"topic {topic!r} is not of the form {root}/<home>/<device>/<kind>")
        _, home, device, kind_s, *rest = parts
        try:
            kind = Kind(kind_s)
        except ValueError:
            known = ", ".join(k.value for k in Kind)
            raise ContractError(
                f"topic {topic!r}: unknown kind {kind_s!r} (known: {known})"
            ) from None
        if kind is Kind.CMD:
            if len(rest) != 1:
                raise ContractError(f"topic {topic!r}: a command topic ends in cmd/<name>")
            return cls(home, device, kind, rest[0], root)
        if rest:
            raise ContractError(f"topic {topic!r} has levels after {kind.value!r}")
        return cls(home, device, kind, None, root)


def subscription(root: str = DEFAULT_ROOT, share_group: str | None = None) -> str:
    """Every device topic but commands (what ingest and the live feed take), optionally as a
    shared group."""
    pattern = f"{root}/+/+/+"
    return f"$share/{check_id(share_group, 'share group')}/{pattern}" if share_group else pattern


def home_subscription(home: str, root: str = DEFAULT_ROOT) -> str:
    """Every device topic of one home but commands (the live feed of one exercise)."""
    return f"{root}/{check_id(home, 'home id')}/+/+"


def root_filter(root: str = DEFAULT_ROOT) -> str:
    """Everything under the root."""
    return f"{root}/#"


def home_filter(home: str, root: str = DEFAULT_ROOT) -> str:
    """Everything of one home."""
    return f"{root}/{check_id(home, 'home id')}/#"


def device_base(home: str, device: str, root: str = DEFAULT_ROOT) -> str:
    """The topic level every topic of one device starts with."""
    return f"{root}/{check_id(home, 'home id')}/{check_id(device, 'device id')}"


def device_commands(home: str, device: str, root: str = DEFAULT_ROOT) -> str:
    """Every command to one device."""
    return f"{device_base(home, device, root)}/{Kind.CMD.value}/#"


def commands_of_home(home: str, root: str = DEFAULT_ROOT) -> str:
    """Every command to any device of one home."""
    return f"{root}/{check_id(home, 'home id')}/+/{Kind.CMD.value}/+"


def all_commands(root: str = DEFAULT_ROOT) -> str:
    """Every command to any device."""
    return f"{root}/+/+/{Kind.CMD.value}/+"


def kind_of_home(home: str, kind: Kind, root: str = DEFAULT_ROOT) -> str:
    """One kind of topic of every device of a home (a lab account's right to write them)."""
    return f"{root}/{check_id(home, 'home id')}/+/{kind.value}"


def discovery_topic(home: str, device: str) -> str:
    """Where a device's Home Assistant discovery config goes (retained)."""
    uid = f"{check_id(home, 'home id')}_{check_id(device, 'device id')}"
    return f"{DISCOVERY_PREFIX}/device/{uid}/config"


def discovery_filter() -> str:
    """Every Home Assistant device discovery config."""
    return f"{DISCOVERY_PREFIX}/device/+/config"
