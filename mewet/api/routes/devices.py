"""Companies' devices under test: a broker account for each, limited to its own topics."""

from __future__ import annotations

import asyncio
import re

from fastapi import APIRouter, HTTPException, status

from mewet.api.deps import ApiState, Current, KnownQuery, State
from mewet.api.models import ERRORS, CommandRequest, CommandSent, DeviceCreate, MqttAccess
from mewet.api.security import Principal
from mewet.contract import Topic, device_commands
from mewet.errors import ContractError
from mewet.sim.home import builtin_homes
from mewet.transport.access import DEVICE_KINDS, Account, device_user

router = APIRouter(
    prefix="/api/devices", tags=["devices"], responses=ERRORS, dependencies=[KnownQuery]
)
EXERCISE_HOME = re.compile(r"^ex\d")


def reserved(api: ApiState, home: str) -> bool:
    """Whether a home is the lab's own: never given to a company."""
    lab = api.access.lab_homes() if api.access is not None else set()
    return home in builtin_homes() or home in lab or bool(EXERCISE_HOME.match(home))


def _company(who: Principal) -> str:
    if who.kind != "user" or who.role not in ("company", "admin"):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "only companies (and admins) add devices")
    return who.org


@router.post("", status_code=status.HTTP_201_CREATED)
async def add_device(api: State, who: Current, body: DeviceCreate) -> MqttAccess:
    """A broker account for your device: it may write its own meta, status, state, telemetry
    and event topics and read its own commands, nothing else. Asking again gives a new
    password (the old one stops working)."""
    org = _company(who)
    if api.access is None:
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            "this lab's broker is open (no accounts): connect without a user name",
        )
    if reserved(api, body.home):
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            f"home {body.home!r} is one of the lab's own (its built-in homes, the homes it "
            "simulates, ex<n>-... for exercises): choose another home id",
        )
    if api.db.claim_home(body.home, org) != org:
        raise HTTPException(
            status.HTTP_409_CONFLICT, f"home {body.home!r} belongs to another company"
        )
    user = device_user(body.home, body.device)
    password = api.access.grant(user, "device", home=body.home, device=body.device, group=org)
    root = api.access.root
    return MqttAccess(
        host=api.broker_host,
        port=api.broker_port,
        username=user,
        password=password,
        read=[device_commands(body.home, body.device, root)],
        write=[str(Topic(body.home, body.device, kind, root=root)) for kind in DEVICE_KINDS],
    )


def _owned(api: ApiState, who: Principal, home: str, device: str) -> Account:
    """Your device's broker account (any, for an admin); 404 when there is none of yours."""
    org = _company(who)
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
    account = _owned(api, who, home, device)
    assert api.access is not None
    api.access.revoke(user=account.user)


@router.post("/{home}/{device}/commands", status_code=status.HTTP_202_ACCEPTED)
async def send_command(
    api: State, who: Current, home: str, device: str, body: CommandRequest
) -> CommandSent:
    """Send your device a command on `.../cmd/<name>` (QoS 1), as the lab would: the device
    answers with a `command_result` event whose `ref` is the command's id. The API sends it
    with a broker account that may write commands and nothing else."""
    _owned(api, who, home, device)
    if api.commands is None:
        raise HTTPException(status.HTTP_409_CONFLICT, "this lab has no broker connection now")
    topic, command = await asyncio.to_thread(
        api.commands.send, home, device, body.name, dict(body.args)
    )
    return CommandSent(id=command.id, topic=str(topic))
