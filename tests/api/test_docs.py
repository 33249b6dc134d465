"""docs/exercises.md walks a class through the API: every request in its walkthrough is run
here, in order, against a real lab, and must be accepted as the text says it is."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

from mewet.config import MqttUrl
from tests.support.apiserver import PASSWORD, serve
from tests.support.helpers import REPO, unique_root

DOC = REPO / "docs" / "exercises.md"


def walkthrough() -> list[list[str]]:
    """The curl commands of the walkthrough, each as its words, in order."""
    text = DOC.read_text()
    section = text[text.index("## A class, step by step") : text.index("## Live")]
    blocks = re.findall(r"```sh\n(.*?)```", section, flags=re.S)
    commands = []
    for block in blocks:
        joined = block.replace("\\\n", " ")
        for raw in joined.splitlines():
            line = raw.strip()
            if line.startswith("curl ") and "username=" not in line:
                commands.append(shlex.split(line))
    return commands


def test_every_example_of_the_class_walkthrough_works(tmp_path: Path, mqtt_url: MqttUrl) -> None:
    commands = walkthrough()
    assert len(commands) >= 25
    with serve(tmp_path / "data", mqtt_url, unique_root()) as api:
        r = api.client.post(
            "/api/auth/token", data={"username": "teacher@north", "password": PASSWORD}
        )
        tokens = {"$T": r.json()["access_token"]}
        ids = {"id": 0, "code": ""}
        for words in commands:
            body = words[words.index("-d") + 1] if "-d" in words else None
            url = next(w for w in words if w.startswith("$API"))
            path = url.removeprefix("$API").replace("/exercises/1/", f"/exercises/{ids['id']}/")
            header = next((w for w in words if w.startswith("Authorization")), "")
            token = tokens.get(header.removeprefix("Authorization: Bearer ").strip(), "")
            if body is not None:
                body = body.replace("7KQ2MX", str(ids["code"]))
            r = api.client.request(
                "POST" if body is not None else "GET",
                path,
                content=body,
                headers={
                    "Content-Type": "application/json",
                    **({"Authorization": f"Bearer {token}"} if token else {}),
                },
            )
            assert r.status_code < 400, (" ".join(words), r.status_code, r.text[:300])
            answer = r.json()
            if path == "/api/exercises":
                ids["id"], ids["code"] = answer["id"], answer["join_code"]
            if path == "/api/join":
                name = {"Ada": "$ADA", "Bo": "$BO", "Cy": "$CY"}[json.loads(body or "{}")["name"]]
                tokens[name] = answer["access_token"]
        # the walkthrough's last answer is the debrief, as the text shows it
        k = answer["kpis"]
        fall = k["cases"][0]
        smoke = next(c for c in k["cases"] if c["event_type"] == "smoke_detected")
        assert fall["status"]["answer"] == fall["status"]["help"] == "met"
        assert fall["status"]["closure"] == "met"  # closed once she was up and helped
        assert fall["answered_by"] == "Ada" and fall["on_site_role"] == "home_care"
        # nobody answered: nobody helped, and nobody closed it
        assert smoke["status"]["answer"] == smoke["status"]["help"] == "missed"
        assert smoke["status"]["closure"] == "missed"
        assert k["status"] == {"answer": "missed", "help": "missed", "long_lie": "met"}
        assert answer["timeline"][0]["ts"].endswith("+01:00")
