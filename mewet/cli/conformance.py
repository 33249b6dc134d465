"""`mewet conformance HOME/DEVICE`: test a company's device live against the contract."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from mewet.cli.common import MqttOpt, app, console, err, quiet_ctrl_c
from mewet.config import load_settings
from mewet.contract import check_id
from mewet.errors import MewetError

SHOWN = {"pass": "[green]pass", "fail": "[red]FAIL", "not_applicable": "n/a"}
STRICT = {**SHOWN, "inconclusive": "[red]INCONCLUSIVE"}


@app.command()
def conformance(
    device: Annotated[str, typer.Argument(help="The device under test: HOME/DEVICE.")],
    watch: Annotated[
        float, typer.Option(min=5, max=3600, help="Seconds to watch it (commands halfway).")
    ] = 30.0,
    answer: Annotated[
        float, typer.Option(min=1, max=300, help="Seconds a command result may take.")
    ] = 10.0,
    unplug: Annotated[
        bool,
        typer.Option(
            help="Test the Last Will and the persistent session: you are asked to pull the "
            "plug, then to plug it back in."
        ),
    ] = False,
    out: Annotated[
        Path | None, typer.Option(help="Folder for report.json, report.xml (JUnit), report.html.")
    ] = None,
    strict: Annotated[
        bool,
        typer.Option(help="For CI: a check that saw too little to decide fails the run too."),
    ] = False,
    mqtt: MqttOpt = None,
    lab: Annotated[
        str | None,
        typer.Option(
            help="Have a lab that runs elsewhere (https://lab.school.fi) make the run: on a "
            "secured lab, with --unplug, the lab itself pulls the plug at its devices' door "
            "(for CI: nobody beside the device)."
        ),
    ] = None,
    email: Annotated[
        str | None,
        typer.Option(help="With --lab: your company account (password: MEWET_PASSWORD or asked)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Watch a device on the broker, send it each command it declares, and judge what it
    sends check by check (a verdict and its evidence each, failures first with how to fix
    them). Exits 1 when a check fails (with --strict: or cannot decide)."""
    from mewet.conformance.report import report, write
    from mewet.conformance.run import Plan, observe

    home, _, name = device.partition("/")
    try:
        check_id(home, "home id")
        check_id(name, "device id")
    except MewetError as exc:
        raise MewetError(f"{device!r}: give the device as HOME/DEVICE ({exc})") from None
    if lab is not None and mqtt is not None:
        raise MewetError("give --lab (the lab makes the run) or --mqtt (this computer does)")
    if lab is not None:
        found = _on_lab(lab, email, home, name, watch, answer, strict, unplug)
    else:
        settings = load_settings(mqtt_url=mqtt)

        def ask(what: str) -> None:
            console.input(f"[bold]{what}[/], then press Enter: ")

        plan = Plan(
            watch_s=watch,
            answer_s=answer,
            unplug=(lambda: ask("pull the plug (power or network)")) if unplug else None,
            replug=(lambda: ask("plug it back in")) if unplug else None,
            say=err.print,
        )
        with quiet_ctrl_c():
            record = observe(settings.mqtt(), settings.topic_root, home, name, plan)
        found = report(record, strict)
    if out is not None:
        write(found, out)
    if as_json:
        print(json.dumps(found))
    else:
        table = Table("check", "verdict", "evidence", title=f"{device}: {found['verdict']}")
        for c in found["checks"]:
            shown = (STRICT if strict else SHOWN).get(c["verdict"], c["verdict"])
            told = c["evidence"][:3] + ([f"fix: {c['hint']}"] if c["hint"] else [])
            table.add_row(f"{c['title']}\n[dim]{c['id']}", shown, escape("\n".join(told)))
        console.print(table)
        if out is not None:
            console.print(f"wrote {out}/report.json, report.xml (JUnit) and report.html")
    if found["verdict"] == "fail":
        raise typer.Exit(1)


def _on_lab(
    url: str,
    email: str | None,
    home: str,
    device: str,
    watch: float,
    answer: float,
    strict: bool,
    unplug: bool,
) -> dict[str, Any]:
    """The run made by the lab through its API, and its report (signed by the lab)."""
    from mewet.cli.remote import Lab

    if email is None:
        raise MewetError("--lab needs --email: your company account on that lab")
    request = {"watch_s": watch, "answer_s": answer, "strict": strict, "unplug": unplug}
    remote = Lab(url, email)
    try:
        with quiet_ctrl_c():
            return remote.conformance(home, device, request, err.print)
    finally:
        remote.close()
