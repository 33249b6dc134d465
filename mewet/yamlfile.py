"""Loading YAML so that validation errors can name the file and the line."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from mewet.errors import MewetError

M = TypeVar("M", bound=BaseModel)
Loc = tuple[int | str, ...]


def _walk(node: yaml.Node, loc: Loc, lines: dict[Loc, int]) -> Any:
    lines[loc] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = yaml.SafeLoader(" ").construct_object(key_node)
            lines[(*loc, key)] = key_node.start_mark.line + 1
            out[key] = _walk(value_node, (*loc, key), lines)
            lines[(*loc, key)] = key_node.start_mark.line + 1
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_walk(item, (*loc, i), lines) for i, item in enumerate(node.value)]
    return yaml.SafeLoader(" ").construct_object(node)


def load_with_lines(text: str, name: str, error: type[MewetError]) -> tuple[Any, dict[Loc, int]]:
    """Parse YAML into plain data and a map from each key path to its line number."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f", line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise error(f"{name}{where}: not valid YAML: {problem}") from None
    lines: dict[Loc, int] = {}
    if node is None:
        raise error(f"{name}: the file is empty")
    return _walk(node, (), lines), lines


def line_of(lines: dict[Loc, int], loc: Loc) -> int | None:
    """The line of the deepest part of `loc` that the file has."""
    for n in range(len(loc), -1, -1):
        if loc[:n] in lines:
            return lines[loc[:n]]
    return None


def describe(loc: Loc) -> str:
    """`devices[3].type` from ('devices', 3, 'type')."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def validate_yaml(
    model: type[M],
    path: Path | str,
    error: type[MewetError],
    text: str | None = None,
    check: Callable[[M], list[tuple[Loc, str]]] | None = None,
) -> M:
    """Read and validate a YAML file; errors name the file, the line and what is allowed.

    The model's own `problems()` (cross-references) and `check` (those of the layers above)
    run once the fields are valid."""
    path = Path(path)
    if text is None:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise error(f"{path.name}: cannot read the file: {exc}") from None
    data, lines = load_with_lines(text, path.name, error)
    try:
        obj = model.model_validate(data)
    except ValidationError as exc:
        found = [(tuple(e["loc"]), e["msg"].removeprefix("Value error, ")) for e in exc.errors()]
        raise error(_report(path.name, lines, found)) from None
    own = getattr(obj, "problems", None)
    found = (own() if own is not None else []) + (check(obj) if check is not None else [])
    if found:
        found.sort(key=lambda problem: line_of(lines, problem[0]) or 0)  # in reading order
        raise error(_report(path.name, lines, found))
    return obj


def _report(name: str, lines: dict[Loc, int], found: list[tuple[Loc, str]]) -> str:
    out = []
    for loc, msg in found:
        line = line_of(lines, loc)
        where = f", line {line}" if line else ""
        field = describe(loc)
        out.append(f"{name}{where}: {field + ': ' if field else ''}{msg}")
    return "\n".join(out)
