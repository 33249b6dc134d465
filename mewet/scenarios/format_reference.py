"""`docs/scenario-reference.md`: the keys of a scenario file (the Finnish ones marked), the
resident's day plan with its meal times, every device type's options, and the ids of each
built-in home's rooms, doors and devices; written from the code the files are checked
against, so the page cannot drift (a test keeps the committed page fresh)."""

from __future__ import annotations

import json
import types
import typing
from typing import Any

from pydantic import AwareDatetime, BaseModel
from pydantic.fields import FieldInfo

from mewet.devices.base import Faults
from mewet.devices.catalogue import CATALOGUE
from mewet.devices.homes import load_home
from mewet.scenarios.care.settings import CareSettings
from mewet.scenarios.occupant import DAY, Persona
from mewet.scenarios.reference import HEAD
from mewet.scenarios.scenario import BRIEFS, RoleBrief, Scenario, Weather
from mewet.sim.home import builtin_homes

MEALS = ("breakfast", "lunch", "dinner")


def _keys(model: type[BaseModel]) -> list[str]:
    """A table of a model's keys: default, what it takes, what it is."""
    rows = [HEAD]
    for name, field in model.model_fields.items():
        what = (field.description or "").replace("|", "/")
        allowed = _kind(field.annotation) + _range(field)
        rows.append(f"| `{name}` | {_default(field)} | {allowed} | {what} |")
    return rows


def _range(field: FieldInfo) -> str:
    """The bounds a number or a text keeps to: ` > 0 and ≤ 3660`."""
    bounds = []
    for mark in field.metadata:
        for attr, sign in (("gt", ">"), ("ge", "≥"), ("lt", "<"), ("le", "≤")):
            value = getattr(mark, attr, None)
            if value is not None:
                bounds.append(f"{sign} {value:g}")
        if getattr(mark, "max_length", None) is not None:
            bounds.append(f"at most {mark.max_length} long")
    return f", {' and '.join(bounds)}" if bounds else ""


def _default(field: FieldInfo) -> str:
    if field.is_required():
        return "required"
    value = field.get_default(call_default_factory=True)
    if isinstance(value, BaseModel):
        return "see below"
    if value is None:
        return "none"
    if isinstance(value, dict) and value:
        return "all (below)" if len(value) > 3 else ", ".join(map(str, value))
    if isinstance(value, dict):
        return "{}"
    if isinstance(value, list | tuple):  # clock times quoted, as a file must write them
        return "[" + ", ".join(json.dumps(v) if ":" in str(v) else str(v) for v in value) + "]"
    if isinstance(value, bool):
        return str(value).lower()
    return f"{value:g}" if isinstance(value, float) else f"{value}"


def _kind(annotation: Any) -> str:
    """What a key takes, in a teacher's words, from its type."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        return _kind(args[0])
    if origin is typing.Literal:
        return ", ".join(f"`{a}`" for a in args)
    if origin in (types.UnionType, typing.Union):
        members = [a for a in args if a is not type(None)]
        if all(isinstance(a, type) and issubclass(a, BaseModel) for a in members):
            return "a section"  # an incident: one of several kinds, by its `type`
        return " or ".join(_kind(a) for a in members)
    if origin in (list, tuple):
        return f"a list of {_kind(args[0])}" if args else "a list"
    if origin is dict:
        key = "a name" if args[0] is str else _kind(args[0])
        return f"{key}: {_kind(args[1])}"
    words = {bool: "true or false", int: "a whole number", float: "a number", str: "text"}
    if annotation in words:
        return words[annotation]
    if annotation is AwareDatetime:
        return "a date and time with its zone"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "a section"
    return "a value"


def _clock(hour: float) -> str:
    return f"{int(hour):02d}:{round(hour % 1 * 60):02d}"


def render() -> str:
    """The page, as markdown."""
    finnish = [n for n in Scenario.model_fields if n.endswith("_fi")]
    out = [
        "# Scenario files: every key",
        "",
        "<!-- written by `make docs` (`mewet scenario reference --out"
        " docs/scenario-reference.md`) from the code the lab checks scenario files against;"
        " do not edit by hand -->",
        "",
        "How to write a scenario, with examples, is in [scenarios.md](scenarios.md); the",
        "incidents' settings are in [incidents.md](incidents.md). This page lists the rest.",
        'Write clock times in quotes (`at: "02:40"`: YAML reads 2:40 unquoted as a number),',
        "a start with its zone (`2027-01-10T18:00:00+02:00`), decimals with a point (`0.5`)",
        "and negative numbers with the ASCII minus (`-15`). Ids take the small letters a-z,",
        "digits and `-`.",
        "",
        "## The file",
        "",
        *_keys(Scenario),
        "",
        "`home` is the id of a built-in home (below), never a path.",
        "",
        "### In Finnish",
        "",
        "Each text has a Finnish twin; a Finnish page shows it, and the English where it is",
        "missing: " + ", ".join(f"`{n}`" for n in finnish) + ", and `brief_fi` of each role.",
        "",
        "### `roles`: who students can be",
        "",
        "Keys: " + ", ".join(f"`{r}`" for r in BRIEFS) + ". Each takes:",
        "",
        *_keys(RoleBrief),
        "",
        "### `resident.persona`",
        "",
        *_keys(Persona),
        "",
        "### `weather`",
        "",
        *_keys(Weather),
        "",
        "### `care`",
        "",
        *_keys(CareSettings),
        "",
        "## The resident's day",
        "",
        "She does each step at about its time (± the spread, drawn each day). A skipped meal",
        "(`skipped_meals`) is the next meal of this plan after the incident's time: at",
        f'`"19:00"` that is the next morning\'s breakfast. Meals: {", ".join(MEALS)}.',
        "",
        "| about | ± min | step |",
        "|---|---|---|",
        *[f"| {_clock(r.hour)} | {r.spread_min:g} | `{r.name}` |" for r in DAY],
        "",
        "## Device options",
        "",
        "A scenario changes a device of the home under `devices: {<device id>: {options:",
        "{...}, faults: {...}}}`. Every device takes these faults:",
        "",
        *_keys(Faults),
    ]
    for name, spec in sorted(CATALOGUE.items()):
        out += ["", f"### `{name}`: {spec.title}", ""]
        fields = list(spec.options.model_fields)
        out += _keys(spec.options) if fields else ["No options of its own."]
    for home_id in sorted(builtin_homes()):
        home = load_home(home_id)
        out += ["", f"## Home `{home.id}`: {home.name}", ""]
        out += ["| room id | name |", "|---|---|"]
        out += [f"| `{r.id}` | {r.name} / {r.name_fi or r.name} |" for r in home.rooms]
        out += ["", "| door id | between | kind |", "|---|---|---|"]
        out += [f"| `{d.id}` | {' – '.join(d.between)} | {d.kind} |" for d in home.doors]
        out += ["", "| device id | type | room | door |", "|---|---|---|---|"]
        out += [f"| `{d.id}` | `{d.type}` | {d.room} | {d.door or ''} |" for d in home.devices]
    return "\n".join(out) + "\n"
