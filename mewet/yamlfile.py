"""Loading YAML so that validation errors can name the file and the line, and safely: a home
or scenario file may come from anyone (an upload), so the loader takes plain data only.

Refused, each with the line and what to write instead: aliases beyond `max_aliases` (a
"billion laughs" file expands a few hundred bytes into gigabytes), tags other than YAML's own
(`!!python/name:...`, `!custom`), merge keys (`<<`), keys that are not plain values, a key
written twice in one mapping, and files nested or sized beyond what a scenario needs.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails

from mewet.errors import MewetError

M = TypeVar("M", bound=BaseModel)
Loc = tuple[int | str, ...]
YAML_TAGS = {
    f"tag:yaml.org,2002:{t}"
    for t in ("str", "int", "float", "bool", "null", "seq", "map", "timestamp")
}
MAX_NODES = 20_000  # a scenario has a few hundred; an alias-expanded file would have millions
MAX_DEPTH = 32


class _Refused(Exception):  # noqa: N818 - carries a line and a reason to `load_with_lines`
    def __init__(self, line: int, why: str) -> None:
        super().__init__(why)
        self.line = line
        self.why = why


class _Walk:
    """Turns a composed node tree into plain data, with the line of every key."""

    def __init__(self) -> None:
        self.lines: dict[Loc, int] = {}
        self.nodes = 0
        self.constructor = yaml.SafeLoader(" ")

    def __call__(self, node: yaml.Node, loc: Loc, depth: int = 0) -> Any:
        line = node.start_mark.line + 1
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise _Refused(line, f"more than {MAX_NODES} values: a scenario is a short file")
        if depth > MAX_DEPTH:
            raise _Refused(line, f"nested more than {MAX_DEPTH} levels deep")
        if node.tag not in YAML_TAGS:
            raise _Refused(line, f"the tag {node.tag!r} is not allowed: write plain values")
        self.lines[loc] = line
        if isinstance(node, yaml.MappingNode):
            out: dict[Any, Any] = {}
            first: dict[Any, int] = {}
            for key_node, value_node in node.value:
                key_line = key_node.start_mark.line + 1
                if key_node.tag == "tag:yaml.org,2002:merge":
                    raise _Refused(key_line, "merge keys (<<) are not allowed: write the keys out")
                if not isinstance(key_node, yaml.ScalarNode) or key_node.tag not in YAML_TAGS:
                    raise _Refused(key_line, "a key must be a plain word or number")
                key = self.constructor.construct_object(key_node)
                if key in first:
                    raise _Refused(
                        key_line, f"{key!r} is written twice (lines {first[key]} and {key_line})"
                    )
                first[key] = key_line
                out[key] = self(value_node, (*loc, key), depth + 1)
                self.lines[(*loc, key)] = key_line
            return out
        if isinstance(node, yaml.SequenceNode):
            return [self(item, (*loc, i), depth + 1) for i, item in enumerate(node.value)]
        return self.constructor.construct_object(node)


def load_with_lines(
    text: str, name: str, error: type[MewetError], max_aliases: int = 0
) -> tuple[Any, dict[Loc, int]]:
    """Parse YAML into plain data and a map from each key path to its line number."""
    try:
        aliases = 0
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            if isinstance(event, yaml.AliasEvent):
                aliases += 1
                if aliases > max_aliases:
                    allowed = f"at most {max_aliases} are" if max_aliases else "none are"
                    mark = event.start_mark
                    raise _Refused(
                        mark.line + 1 if mark is not None else 0,
                        f"YAML aliases (*{event.anchor}) are not allowed here ({allowed}): "
                        "write the value out",
                    )
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        if node is None:
            raise error(f"{name}: the file is empty")
        walk = _Walk()
        return walk(node, ()), walk.lines
    except _Refused as exc:
        raise error(f"{name}, line {exc.line}: {exc.why}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f", line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise error(f"{name}{where}: not valid YAML: {problem}") from None
    except RecursionError:
        raise error(f"{name}: nested too deeply to read") from None


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
    max_aliases: int = 0,
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
    data, lines = load_with_lines(text, path.name, error, max_aliases)
    try:
        obj = model.model_validate(data)
    except ValidationError as exc:
        found = [_plain(model, e) for e in exc.errors()]
        raise error(_report(path.name, lines, found)) from None
    own = getattr(obj, "problems", None)
    found = (own() if own is not None else []) + (check(obj) if check is not None else [])
    if found:
        found.sort(key=lambda problem: line_of(lines, problem[0]) or 0)  # in reading order
        raise error(_report(path.name, lines, found))
    return obj


def _plain(model: type[BaseModel], err: ErrorDetails) -> tuple[Loc, str]:
    """A validation error in the words of whoever wrote the file: what is allowed there."""
    loc: Loc = _file_loc(model, tuple(err["loc"]))
    msg = err["msg"].removeprefix("Value error, ")
    kind = err["type"]
    if kind == "extra_forbidden":
        owner = _model_at(model, tuple(err["loc"])[:-1])
        if owner is not None:
            known = ", ".join(owner.model_fields)
            return loc, f"unknown key {loc[-1]!r} (keys here: {known})"
        return loc, f"unknown key {loc[-1]!r}"
    if kind == "union_tag_invalid":
        ctx = err.get("ctx") or {}
        tag, allowed = ctx.get("tag"), str(ctx.get("expected_tags", "")).replace("'", "")
        return loc, f"unknown type {tag!r} (types: {allowed})"
    field = _field_at(model, tuple(err["loc"]))
    example = None
    if field is not None and field.examples:
        example = field.examples[0]
    if kind in ("list_type", "string_type", "float_parsing", "int_parsing", "bool_parsing"):
        what = {
            "list_type": "a list",
            "string_type": "text",
            "float_parsing": "a number",
            "int_parsing": "a whole number",
            "bool_parsing": "true or false",
        }[kind]
        shown = f", e.g. {_yaml_inline(example)}" if example is not None else ""
        return loc, f"use {what}{shown}"
    return loc, msg


def _file_loc(model: type[BaseModel], loc: Loc) -> Loc:
    """The location as the file has it: without the tags pydantic adds for a tagged union's
    member (`incidents[0].fall.room` is `incidents[0].room` in the file)."""
    out: list[int | str] = []
    current: Any = model
    for i, part in enumerate(loc):
        if current is None:
            out.extend(loc[i:])
            break
        if not (isinstance(part, str) and _is_tag(current, part)):
            out.append(part)
        current = _inner(current, part)
    return tuple(out)


def _is_tag(annotation: Any, part: str) -> bool:
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _is_tag(typing.get_args(annotation)[0], part)
    if origin in (types.UnionType, typing.Union):
        for member in typing.get_args(annotation):
            tag = getattr(member, "model_fields", {}).get("type")
            if tag is not None and part in typing.get_args(tag.annotation):
                return True
    return False


def _yaml_inline(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_yaml_inline(v) for v in value) + "]"
    return str(value)


def _model_at(model: type[BaseModel], loc: Loc) -> type[BaseModel] | None:
    """The model whose fields are at `loc` (through lists, dicts and tagged unions)."""
    current: Any = model
    for part in loc:
        current = _inner(current, part)
        if current is None:
            return None
    current = _inner(current, None)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _field_at(model: type[BaseModel], loc: Loc) -> FieldInfo | None:
    owner = _model_at(model, loc[:-1]) if loc else None
    if owner is None or not isinstance(loc[-1], str):
        return None
    return owner.model_fields.get(loc[-1])


def _inner(annotation: Any, part: int | str | None) -> Any:
    """One step into a type: a model's field, a list's item, a dict's value, a union's member
    (by its tag, as pydantic's locations name it); `part` None: the type itself."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _inner(typing.get_args(annotation)[0], part)
    if origin in (types.UnionType, typing.Union):
        members = [a for a in typing.get_args(annotation) if a is not type(None)]
        if isinstance(part, str):  # a tagged union's member, by its tag
            for member in members:
                tag = getattr(member, "model_fields", {}).get("type")
                if tag is not None and part in typing.get_args(tag.annotation):
                    return member
        for member in members:
            found = _inner(member, part)
            if found is not None:
                return found
        return None
    if part is None:
        return annotation
    if origin in (list, tuple) and isinstance(part, int):
        return typing.get_args(annotation)[0]
    if origin is dict:
        return typing.get_args(annotation)[1]
    if isinstance(annotation, type) and issubclass(annotation, BaseModel) and isinstance(part, str):
        field = annotation.model_fields.get(part)
        return None if field is None else field.annotation
    return None


def _report(name: str, lines: dict[Loc, int], found: list[tuple[Loc, str]]) -> str:
    out = []
    for loc, msg in found:
        line = line_of(lines, loc)
        where = f", line {line}" if line else ""
        field = describe(loc)
        out.append(f"{name}{where}: {field + ': ' if field else ''}{msg}")
    return "\n".join(out)
