"""The `mewet` command: run the lab, simulate a home, ingest, and inspect the contract.

One module per command group; importing them registers their commands on `app`.
"""

from __future__ import annotations

import logging
import sys

from pydantic import ValidationError

from mewet.cli import benchmark, contract, ingest, lab, sim
from mewet.cli.common import app, err
from mewet.errors import MewetError

__all__ = ["app", "benchmark", "contract", "ingest", "lab", "main", "sim"]


def main() -> None:
    """Entry point: plain-language errors instead of tracebacks."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        app()
    except MewetError as exc:
        err.print(f"[red]error:[/] {exc}")
        sys.exit(2)
    except ValidationError as exc:
        err.print(f"[red]error in the settings:[/] {exc}")
        sys.exit(2)
    except OSError as exc:  # a folder that cannot be made, a file that cannot be written
        where = f": {exc.filename}" if exc.filename else ""
        err.print(f"[red]error:[/] {exc.strerror or exc}{where}")
        sys.exit(2)
