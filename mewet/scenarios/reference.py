"""`docs/incidents.md`: every incident's settings with units, defaults and allowed values,
written from the models the scenario files are checked against (so the page cannot drift
from what the lab accepts; a test keeps the committed page fresh)."""

from __future__ import annotations

import inspect
from typing import Any, get_args

from pydantic import BaseModel

from mewet.scenarios.incidents import WHEN, AnyIncident, Fall


def _allowed(spec: dict[str, Any]) -> str:
    """What values a setting takes, from its JSON Schema."""
    if "enum" in spec:
        return ", ".join(f"`{v}`" for v in spec["enum"])
    options = spec.get("anyOf")
    if options:
        return " or ".join(_allowed(o) for o in options if o.get("type") != "null")
    low, high = spec.get("minimum"), spec.get("maximum")
    above = spec.get("exclusiveMinimum")
    given = str(spec.get("type", ""))
    kind = {"integer": "whole number", "number": "number", "string": "text"}.get(given, given)
    if kind == "array":
        return "[from, to], HH:MM"
    if above is not None and high is not None:
        return f"{kind} > {above:g} and ≤ {high:g}"
    if low is not None and high is not None:
        return f"{kind} {low:g} to {high:g}"
    return kind


def _default(spec: dict[str, Any]) -> str:
    if "default" not in spec:
        return "required"
    value = spec["default"]
    if value is None:
        return "none"
    if isinstance(value, list):
        return "[" + ", ".join(str(v) for v in value) + "]"
    return f"{value:g}" if isinstance(value, float) else str(value)


NAMED = {"at": "HH:MM", "room": "a room id", "door": "a door id", "device": "a device id"}
"""Settings whose text names something: what it names."""


def _rows(model: type[BaseModel], names: list[str]) -> list[str]:
    props = model.model_json_schema()["properties"]
    rows = []
    for name in names:
        spec = props[name]
        what = (spec.get("description") or "").replace("|", "/")
        allowed = NAMED.get(name) or _allowed(spec)
        rows.append(f"| `{name}` | {_default(spec)} | {allowed} | {what} |")
    return rows


HEAD = "| setting | default | allowed | what it is |\n|---|---|---|---|"


def render() -> str:
    """The page, as markdown."""
    out = [
        "# Incidents: every setting",
        "",
        "<!-- written by `make docs` (`mewet scenario incidents --out docs/incidents.md`)"
        " from the models the lab checks scenario files against; do not edit by hand -->",
        "",
        "What each incident does to the home and the care team is told in",
        "[scenarios.md](scenarios.md#fields); this page lists every setting with its",
        "unit, default and allowed values. Times are the scenario's local clock.",
        "",
        "## When: the same for every incident",
        "",
        "Give exactly one of `at`, `chance_per_day` or `dizzy_chance_per_hour`. A teacher",
        "injecting an incident during an exercise gives only the settings below: it happens",
        "at once.",
        "",
        HEAD,
        *_rows(Fall, [n for n in Fall.model_fields if n in WHEN]),
        "",
        "Dizziness (0 steady, 1 barely standing) grows as the resident dries out below",
        "hydration 0.9, with the heat indoors, with illness, and with each skipped meal; the",
        "ground truth notes it as `dizziness` levels.",
    ]
    for model in get_args(AnyIncident):
        kind = get_args(model.model_fields["type"].annotation)[0]
        doc = " ".join((inspect.getdoc(model) or "").split())
        out += ["", f"## `{kind}`", "", doc, ""]
        names = [n for n in model.model_fields if n not in WHEN and n != "type"]
        out += [HEAD, *_rows(model, names)] if names else ["No settings of its own."]
    return "\n".join(out) + "\n"
