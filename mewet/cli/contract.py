"""The contract's artefacts: JSON Schemas, docs/contract.md, the Grafana dashboards."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from mewet.cli.common import app, console, contract_app


@contract_app.command("schema")
def contract_schema(
    out: Annotated[Path, typer.Option(help="Folder for the JSON Schema files.")],
) -> None:
    """Write one JSON Schema file per payload kind."""
    from mewet.contract import schemas

    out.mkdir(parents=True, exist_ok=True)
    for kind, schema in schemas().items():
        (out / f"{kind}.json").write_text(json.dumps(schema, indent=2, ensure_ascii=False) + "\n")
        console.print(f"wrote {out / (kind + '.json')}")


@contract_app.command("docs")
def contract_docs(
    out: Annotated[Path, typer.Option(help="Where to write the contract.")] = Path(
        "docs/contract.md"
    ),
) -> None:
    """Write docs/contract.md from the code (topics, envelopes, one example per device type)."""
    from mewet.integrations.contract_docs import render

    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render())
    console.print(f"wrote {out}")


@app.command("dashboards")
def dashboards_write(
    out: Annotated[Path, typer.Option(help="Folder Grafana provisions from.")] = Path("dashboards"),
) -> None:
    """Write the Grafana dashboards (JSON) from the code's measurement and channel names."""
    from mewet.store.dashboards import dashboards, render

    out.mkdir(parents=True, exist_ok=True)
    for name, board in dashboards().items():
        (out / f"{name}.json").write_text(render(board))
        console.print(f"wrote {out / name}.json")
