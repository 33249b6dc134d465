"""Phones on the school network: the join link and its QR code carry the lab's address for
the class, never this computer's own (127.0.0.1) when students are elsewhere."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from mewet.api.public import lan_address
from mewet.config import MqttUrl
from tests.support.apiserver import TEACHER, Api, create, serve
from tests.support.helpers import unique_root


@pytest.fixture
def lab_on_loopback(tmp_path: Path, mqtt_url: MqttUrl) -> Iterator[Api]:
    with serve(tmp_path / "data", mqtt_url, unique_root()) as api:
        yield api


def test_a_lab_on_this_computer_only_says_phones_cannot_reach_it(lab_on_loopback: Api) -> None:
    ex = create(lab_on_loopback)
    assert ex["join_url"] == f"{lab_on_loopback.base}/join?code={ex['join_code']}"
    assert ex["join_reachable"] is False  # the console warns instead of a QR that leads nowhere


def test_the_address_the_teacher_s_browser_used_is_the_class_s(lab_on_loopback: Api) -> None:
    """The teacher opened the lab at the school's address (a proxy, a name on the network):
    the link is that address, not 127.0.0.1."""
    api = lab_on_loopback
    ex = create(api)
    seen = api.call(
        "GET", f"/api/exercises/{ex['id']}", TEACHER, headers={"Host": "lab.north.fi:8443"}
    ).json()
    assert seen["join_url"] == f"http://lab.north.fi:8443/join?code={ex['join_code']}"
    assert seen["join_reachable"] is True
    qr = api.call("GET", f"/api/exercises/{ex['id']}/qr.svg", TEACHER)
    assert qr.status_code == 200 and qr.content.startswith(b"<?xml")
    # students never see the link or the code
    join = api.call(
        "POST",
        "/api/join",
        json={"code": ex["join_code"], "name": "Ada", "role": "alarm_centre"},
    )
    token = join.json()["access_token"]
    mine = api.call("GET", f"/api/exercises/{ex['id']}", token).json()
    assert mine["join_url"] is None and mine["join_code"] is None


def test_mewet_public_url_is_the_link(tmp_path: Path, mqtt_url: MqttUrl) -> None:
    with serve(
        tmp_path / "data", mqtt_url, unique_root(), public_url="https://lab.north.fi/"
    ) as api:
        ex = create(api)
        assert ex["join_url"] == f"https://lab.north.fi/join?code={ex['join_code']}"
        assert ex["join_reachable"] is True


def test_a_lab_open_to_the_network_links_its_own_network_address(
    tmp_path: Path, mqtt_url: MqttUrl
) -> None:
    """`--host 0.0.0.0`: the teacher's browser on this computer (127.0.0.1) still gets a link
    the phones reach, and the lab answers there."""
    lan = lan_address()
    if lan is None:
        pytest.skip("this machine has no network address besides loopback")
    with serve(tmp_path / "data", mqtt_url, unique_root(), host="0.0.0.0") as api:
        ex = create(api)
        port = api.base.rsplit(":", 1)[1]
        assert ex["join_url"] == f"http://{lan}:{port}/join?code={ex['join_code']}"
        assert ex["join_reachable"] is True
        page = httpx.get(ex["join_url"], timeout=10)
        assert page.status_code == 200 and 'id="code-form"' in page.text
