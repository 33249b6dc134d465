"""Companies' devices under test: a broker account for each, limited to its own topics."""

from __future__ import annotations

import asyncio
import re
from contextlib import closing
from datetime import UTC, datetime, timedelta
from typing import Literal

from fastapi import APIRouter, HTTPException, status

from mewet.api.company_models import (
    CommandRequest,
    CommandSeen,
    CommandSent,
    DeadLetterSeen,
    DeviationSeen,
    DeviceCreate,
    DeviceDetail,
    DeviceStatus,
    EventSeen,
    RefusedPublish,
    TelemetrySeen,
)
from mewet.api.deps import ApiState, Current, KnownQuery, State, person
from mewet.api.models import ERRORS, MqttAccess
from mewet.api.refusals import refused, within
from mewet.api.security import Principal
from mewet.config import StoreUrl
from mewet.contract import Topic, device_base, device_commands
from mewet.errors import ContractError
from mewet.sim.home import builtin_homes
from mewet.store.base import DeadLetter, DeviceView, EventRecord, Store, open_store
from mewet.texts import said
from mewet.transport.access import DEVICE_KINDS, Account, device_user, tester_user
from mewet.transport.gate import GateControl

router = APIRouter(
    prefix="/api/devices", tags=["devices"], responses=ERRORS, dependencies=[KnownQuery]
)
EXERCISE_HOME = re.compile(r"^(ex|bm)\d")  # exercises, benchmarks
Status = Literal["online", "offline", "no status yet", "never seen"]
DEAD_LETTERS_SHOWN = 2000  # a device's newest dead letters, counted (the page lists 50)
EVENTS_SHOWN, EVENTS_DAYS = 20, 7  # a device's last events, from its last week
DEVIATIONS_SHOWN = 50
COMMANDS_SHOWN = 20


def reserved(api: ApiState, home: str) -> bool:
    """Whether a home is the lab's own: never given to a company."""
    lab = api.access.lab_homes() if api.access is not None else set()
    return home in builtin_homes() or home in lab or bool(EXERCISE_HOME.match(home))


def company_org(who: Principal) -> str:
    if who.kind != "user" or who.role not in ("company", "admin"):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, "only companies (and admins) have devices in the lab"
        )
    return who.org


def paced(api: ApiState, who: Principal) -> None:
    """Each of these asks the store or the broker: a company's account gets so many a minute."""
    within(api.device_requests, person(who), said("too_many_device_requests"))


@router.post("", status_code=status.HTTP_201_CREATED)
async def add_device(api: State, who: Current, body: DeviceCreate) -> MqttAccess:
    """A broker account for your device: it may write its own meta, status, state, telemetry
    and event topics and read its own commands, nothing else. Asking again gives a new
    password (the old one stops working)."""
    org = company_org(who)
    if api.access is None:
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            "this lab's broker is open (no accounts): connect without a user name",
        )
    if reserved(api, body.home):
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            f"home {body.home!r} is one of the lab's own (its built-in homes, the homes it "
            "simulates, ex<n>-... for exercises, bm<n>-... for benchmarks): choose another home id",
        )
    within(api.onboardings, org, said("too_many_devices_made"))
    user = device_user(body.home, body.device)
    access = api.access
    most = api.limits.devices_per_company
    held = sum(1 for a in access.accounts.values() if a.kind == "device" and a.group == org)
    if held >= most and user not in access.accounts:
        raise refused(429, "devices_full", most=most)
    if api.db.claim_home(body.home, org) != org:
        raise HTTPException(
            status.HTTP_409_CONFLICT, f"home {body.home!r} belongs to another company"
        )
    password = await asyncio.to_thread(
        access.grant, user, "device", home=body.home, device=body.device, group=org
    )
    root = api.access.root
    topics = [str(Topic(body.home, body.device, kind, root=root)) for kind in DEVICE_KINDS]
    return _login(api, user, password, [device_commands(body.home, body.device, root)], topics)


def _login(
    api: ApiState, user: str, password: str, read: list[str], write: list[str]
) -> MqttAccess:
    """A broker login as the API hands it out: where the broker is, and what it may do."""
    return MqttAccess(
        host=api.broker_host,
        port=api.broker_port,
        username=user,
        password=password,
        read=read,
        write=write,
    )


@router.post("/{home}/{device}/tester", status_code=status.HTTP_201_CREATED)
async def add_tester(api: State, who: Current, home: str, device: str) -> MqttAccess:
    """A broker account to test your device from your own CI on a secured lab (`mewet
    conformance HOME/DEVICE --mqtt mqtts://USER:PASSWORD@HOST:PORT`): it reads the device's
    topics and sends its commands, nothing else. Asking again gives a new password."""
    own_device(api, who, home, device)
    paced(api, who)
    assert api.access is not None  # own_device found the device's account
    user = tester_user(home, device)
    password = api.access.grant(user, "tester", home=home, device=device, group=company_org(who))
    root = api.access.root
    watch = [f"{device_base(home, device, root)}/#"]
    return _login(api, user, password, watch, [device_commands(home, device, root)])


@router.get("")
async def list_devices(api: State, who: Current) -> list[DeviceStatus]:
    """Your devices (every company's, for an admin) as the lab sees them: online or
    offline, when last seen, their type from `meta`, their last state, and how many of
    their messages were refused lately."""
    org = company_org(who)
    paced(api, who)
    accounts = list(api.access.accounts.values()) if api.access is not None else []
    mine = sorted(
        (a.home, a.device)
        for a in accounts
        if a.kind == "device" and a.home and a.device and (who.role == "admin" or a.group == org)
    )
    if api.store is None:
        return [_status(home, device, None, []) for home, device in mine]
    found = await asyncio.to_thread(_seen, api.store, _root(api), mine)
    hidden = {"dead_letters", "events", "recent_deviations", "commands", "telemetry"}
    return [DeviceStatus(**d.model_dump(exclude=hidden)) for d in found]


@router.get("/{home}/{device}")
async def show_device(api: State, who: Current, home: str, device: str) -> DeviceDetail:
    """One of your devices, with its last events, the reasons the lab refused its messages
    and where its messages strayed from its `meta` (newest first): what to fix on it."""
    account = own_device(api, who, home, device)
    paced(api, who)
    if api.store is None:
        found = _status(home, device, None, [])
    else:
        [found] = await asyncio.to_thread(_seen, api.store, _root(api), [(home, device)], True)
    if api.gate is not None:
        refused = await asyncio.to_thread(_refused_at_door, api.gate, account.user)
        found = found.model_copy(update={"refused_publishes": refused})
    return found


def _refused_at_door(gate: GateControl, user: str) -> list[RefusedPublish]:
    """The device's publishes the broker refused, newest first, as the door noted them; none
    while the door is starting again."""
    try:
        noted = gate.seen(user)["refused"]
    except (OSError, ValueError, KeyError):
        return []
    return [RefusedPublish(at=at, topic=topic, reason=why) for at, topic, why in reversed(noted)]


def _declared_commands(url: StoreUrl, home: str, device: str) -> list[str] | None:
    """The commands a device lists in its last `meta`; None when it has sent none."""
    with closing(open_store(url)) as store:
        seen = store.devices(home).get(device)
    if seen is None or seen.meta is None:
        return None
    return [str(c) for c in seen.meta.get("commands", [])]


def _events(store: Store, home: str, device: str) -> list[EventSeen]:
    """The device's newest events of its last week (by its own clock, a day's slack ahead)."""
    now = datetime.now(UTC)
    found = store.events(home, now - timedelta(days=EVENTS_DAYS), now + timedelta(days=1), device)
    return [
        EventSeen(ts=e.ts, event_type=e.event_type, severity=e.severity, data=e.data)
        for e in reversed(found[-EVENTS_SHOWN:])
    ]


def _commands(store: Store, home: str, device: str) -> list[CommandSeen]:
    """The device's newest commands, each with the `command_result` whose `ref` is its id."""
    sent = store.commands(home, device, COMMANDS_SHOWN)
    if not sent:
        return []
    now = datetime.now(UTC)
    since = min(c.ts for c in sent) - timedelta(minutes=1)
    results: dict[str, EventRecord] = {}
    answers = store.events(home, since, now + timedelta(days=1), device)
    for e in sorted(answers, key=lambda e: e.ts):  # the first answer (a redelivery answers again)
        if e.event_type == "command_result":
            results.setdefault(str(e.data.get("ref")), e)
    out = []
    for c in sent:
        r = results.get(c.msg_id)
        ok = r.data.get("ok") if r else None
        out.append(
            CommandSeen(
                id=c.msg_id,
                name=c.name,
                args=c.args,
                sent=c.ts,
                answered=r.ts if r else None,
                latency_s=round((r.ts - c.ts).total_seconds(), 3) if r else None,
                ok=ok if isinstance(ok, bool) else None,
                detail=str(r.data.get("detail", ""))[:256] if r else None,
            )
        )
    return out


def _root(api: ApiState) -> str:
    return api.access.root if api.access is not None else ""


def _seen(
    url: StoreUrl, root: str, devices: list[tuple[str, str]], events: bool = False
) -> list[DeviceDetail]:
    """What the store holds of each device, with its last events if asked (a worker
    thread: the store answers slowly)."""
    with closing(open_store(url)) as store:
        views = {home: store.devices(home) for home in {h for h, _ in devices}}
        letters = {
            (h, d): store.dead_letters(DEAD_LETTERS_SHOWN, f"{root}/{h}/{d}/") for h, d in devices
        }
        recent = {(h, d): _events(store, h, d) for h, d in devices} if events else {}
        history = {(h, d): _commands(store, h, d) for h, d in devices} if events else {}
        readings = {
            (h, d): [
                TelemetrySeen(ts=r.ts, seq=r.seq, data=r.data)
                for r in store.latest_telemetry(h, d, EVENTS_SHOWN)
            ]
            for h, d in (devices if events else [])
        }
        counts = {(h, d): store.deviation_counts(h, d) for h, d in devices}
        stored = {
            (h, d): {kind: store.count(kind, h, d) for kind in ("telemetry", "event")}
            for h, d in devices
        }
        strayed = {
            (h, d): [
                DeviationSeen(received=x.received, kind=x.kind, detail=x.detail, msg_id=x.msg_id)
                for x in store.deviations(h, d, DEVIATIONS_SHOWN)
            ]
            for h, d in (devices if events else [])
        }
    out = []
    for home, device in devices:
        seen = _status(home, device, views[home].get(device), letters[(home, device)])
        update = {
            "events": recent.get((home, device), []),
            "deviations": counts[(home, device)],
            "messages": stored[(home, device)],
            "recent_deviations": strayed.get((home, device), []),
            "commands": history.get((home, device), []),
            "telemetry": readings.get((home, device), []),
        }
        out.append(seen.model_copy(update=update))
    return out


def _status(
    home: str, device: str, seen: DeviceView | None, letters: list[DeadLetter]
) -> DeviceDetail:
    shown: Status = "never seen" if seen is None or seen.last_seen is None else "no status yet"
    if seen is not None and seen.status == "online":
        shown = "online"
    elif seen is not None and seen.status == "offline":
        shown = "offline"
    return DeviceDetail(
        home=home,
        device=device,
        type=seen.type if seen else "unknown",
        status=shown,
        last_seen=seen.last_seen if seen else None,
        state=seen.state if seen else {},
        refused=len(letters),
        dead_letters=[
            DeadLetterSeen(received=d.received, topic=d.topic, reason=d.reason, size=d.size)
            for d in letters[:50]
        ],
    )


def own_device(api: ApiState, who: Principal, home: str, device: str) -> Account:
    """Your device's broker account (any, for an admin); 404 when there is none of yours."""
    org = company_org(who)
    try:
        user = device_user(home, device)
    except ContractError:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND, f"no device {home}/{device} of yours"
        ) from None
    account = api.access.accounts.get(user) if api.access else None
    if account is None or (account.group != org and who.role != "admin"):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no device {home}/{device} of yours")
    return account


@router.delete("/{home}/{device}", status_code=status.HTTP_204_NO_CONTENT)
async def remove_device(api: State, who: Current, home: str, device: str) -> None:
    """Remove your device's broker account."""
    account = own_device(api, who, home, device)
    assert api.access is not None
    api.access.revoke(user=account.user)


@router.post("/{home}/{device}/commands", status_code=status.HTTP_202_ACCEPTED)
async def send_command(
    api: State, who: Current, home: str, device: str, body: CommandRequest
) -> CommandSent:
    """Send your device a command on `.../cmd/<name>` (QoS 1), as the lab would: the device
    answers with a `command_result` event whose `ref` is the command's id. The API sends it
    with a broker account that may write commands and nothing else."""
    own_device(api, who, home, device)
    paced(api, who)
    if api.commands is None:
        raise HTTPException(status.HTTP_409_CONFLICT, "this lab has no broker connection now")
    if api.store is not None:
        declared = await asyncio.to_thread(_declared_commands, api.store, home, device)
        if declared is None:
            raise HTTPException(
                status.HTTP_422_UNPROCESSABLE_CONTENT,
                f"{home}/{device} has not sent its meta yet: the lab sends only the commands "
                "a device declares there (its `commands` list)",
            )
        if body.name not in declared:
            raise HTTPException(
                status.HTTP_422_UNPROCESSABLE_CONTENT,
                f"{home}/{device} does not declare the command {body.name!r} in its meta "
                f"(it declares: {', '.join(declared) or 'none'})",
            )
    topic, command = await asyncio.to_thread(
        api.commands.send, home, device, body.name, dict(body.args)
    )
    return CommandSent(id=command.id, topic=str(topic))
