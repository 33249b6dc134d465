"""The `mewet` command: run the lab, simulate a home, ingest, and inspect the contract.

One module per command group; importing them registers their commands on `app`.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import NoReturn

from pydantic import ValidationError
from rich.markup import escape

from mewet.cli import benchmark, conformance, contract, ingest, lab, sim
from mewet.cli.common import app, err
from mewet.errors import MewetError

__all__ = ["app", "benchmark", "conformance", "contract", "ingest", "lab", "main", "sim"]


def main() -> None:
    """Entry point: plain-language errors instead of tracebacks."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        app()
    except SystemExit as done:  # how typer says the command has finished
        _leave(done.code)
    except MewetError as exc:  # the words as they are: `[a-z0-9]` is not rich markup
        err.print(f"[red]error:[/] {escape(str(exc))}")
        sys.exit(2)
    except ValidationError as exc:
        err.print(f"[red]error in the settings:[/] {escape(str(exc))}")
        sys.exit(2)
    except OSError as exc:  # a folder that cannot be made, a file that cannot be written
        where = f": {exc.filename}" if exc.filename else ""
        err.print(f"[red]error:[/] {escape(str(exc.strerror or exc))}{escape(where)}")
        sys.exit(2)


def _leave(code: object) -> NoReturn:
    """Leave once the command's work is done and its files are closed, without tearing the
    interpreter down object by object: after a year's run that release alone took 4 s of the
    command's 34 (2.7 million messages)."""
    if isinstance(code, str):
        err.print(code)
        code = 1
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code if isinstance(code, int) else 0)
