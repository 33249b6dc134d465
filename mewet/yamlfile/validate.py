"""Validating a YAML file against a model: every problem at its line, in words that say how to
fix it (the allowed keys, options and types; a hint from the text as written), by id."""

from __future__ import annotations

import difflib
import json
import re
import types
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails

from mewet.texts import Arg, Said, problem, said
from mewet.yamlfile.hints import hint, id_hint, zone_hint
from mewet.yamlfile.load import Read, read_yaml
from mewet.yamlfile.problems import FileError, Found, Loc, Problem

M = TypeVar("M", bound=BaseModel)
E = TypeVar("E", bound=FileError)
KEY = "[key]"  # pydantic's mark of a mapping's key (roles.kotihoito.[key])
WITH_EXAMPLE = {"list_type", "string_type", "float_parsing", "int_parsing", "bool_parsing"}


def read_text(path: Path, error: type[FileError]) -> str:
    """A file's text: UTF-8 (with or without the byte-order mark Windows editors write)."""
    try:
        data = path.read_bytes()
    except OSError:
        raise error.of(path.name, said("file_unreadable")) from None
    return decode(data, path.name, error)


def decode(data: bytes, name: str, error: type[FileError]) -> str:
    """Bytes as UTF-8 text; any other encoding is refused at its line, with how to save it."""
    try:
        return data.removeprefix(b"\xef\xbb\xbf").decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise error.of(name, said("file_not_utf8"), line) from None


def validate_yaml(
    model: type[M],
    path: Path | str,
    error: type[E],
    text: str | None = None,
    check: Callable[[M], Found] | None = None,
    max_aliases: int = 0,
) -> M:
    """Read and validate a YAML file; an `error` lists every problem with its line.

    The model's own `problems()` (cross-references) and `check` (those of the layers above)
    run once the fields are valid."""
    path = Path(path)
    if text is None:
        text = read_text(path, error)
    read = read_yaml(text, path.name, max_aliases, error)
    try:
        obj = model.model_validate(read.data)
    except ValidationError as exc:
        found = _once([_plain(model, e, read) for e in exc.errors()])
        raise error(path.name, _located(read, found)) from None
    own: Callable[[], Found] | None = getattr(obj, "problems", None)
    found = (own() if own is not None else []) + (check(obj) if check is not None else [])
    if found:
        raise error(path.name, _located(read, found))
    return obj


def _once(found: Found) -> Found:
    """One problem per place: a union's members each fail, and only the first is news."""
    seen: set[Loc] = set()
    out: Found = []
    for loc, message in found:
        if loc not in seen:
            seen.add(loc)
            out.append((loc, message))
    return out


def _located(read: Read, found: Found) -> list[Problem]:
    """The problems with their lines, in reading order; a validator's problem with a value
    whose text shows what was meant (a layer's check of a device's options) gets the hint."""
    out = []
    for loc, message in found:
        written = read.plain.get(loc)
        fix = None
        if written is not None and message.id.startswith("problem_"):
            fix = hint(written, message.id.removeprefix("problem_"))
        out.append(Problem(line_of(read.lines, loc), describe(loc), fix or message))
    return sorted(out, key=lambda p: p.line or 0)


def unknown_key(key: str, known: list[str], what: str = "unknown_key", **args: Arg) -> Said:
    """A key that is not one of `known` (message `what`, with `_near` when one is close: a
    typo), with the allowed keys."""
    near = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    allowed = ", ".join(known)
    if near:
        return said(f"{what}_near", key=key, near=near[0], keys=allowed, **args)
    return said(what, key=key, keys=allowed, **args)


def _plain(model: type[BaseModel], err: ErrorDetails, read: Read) -> tuple[Loc, Said]:
    """A validation error in the words of whoever wrote the file: how to fix it."""
    loc: Loc = _file_loc(model, tuple(err["loc"]))
    kind = err["type"]
    ctx = err.get("ctx") or {}
    if loc and loc[-1] == KEY:
        loc = loc[:-1]
        allowed = ", ".join(re.findall(r"'([^']*)'", str(ctx.get("expected", ""))))
        return loc, said("unknown_name", name=str(loc[-1]), allowed=allowed)
    written = read.plain.get(loc)
    fix = hint(written, kind) if written is not None else None
    if fix is not None:
        return loc, fix
    if kind == "timezone_aware":
        return loc, zone_hint(err.get("input"))
    if kind == "string_pattern_mismatch" and "[a-z0-9]" in str(ctx.get("pattern", "")):
        return loc, id_hint(err.get("input"))
    if kind == "extra_forbidden":
        owner = _model_at(model, tuple(err["loc"])[:-1])
        known = list(owner.model_fields) if owner is not None else []
        return loc, unknown_key(str(loc[-1]), known)
    if kind == "union_tag_not_found":
        return loc, said("missing_type", types=", ".join(_tags(model, tuple(err["loc"]))))
    if kind == "union_tag_invalid":
        allowed = str(ctx.get("expected_tags", "")).replace("'", "")
        return loc, said("unknown_type", type=str(ctx.get("tag")), types=allowed)
    field = _field_at(model, tuple(err["loc"]))
    if kind in WITH_EXAMPLE and field is not None and field.examples:
        return loc, said("with_example", problem=problem(err), example=_inline(field.examples[0]))
    return loc, problem(err)


def _tags(model: type[BaseModel], loc: Loc) -> list[str]:
    """The kinds a tagged union at `loc` takes (an incident's types)."""
    current: Any = model
    for part in loc:
        current = _inner(current, part)
    while typing.get_origin(current) is typing.Annotated:
        current = typing.get_args(current)[0]
    found = []
    for member in typing.get_args(current):
        tag = getattr(member, "model_fields", {}).get("type")
        if tag is not None:
            found += [str(t) for t in typing.get_args(tag.annotation)]
    return found


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


def _inline(value: Any) -> str:
    """An example as YAML on one line, quoted where YAML would read it as something else
    (a clock time: "08:00")."""
    if isinstance(value, list):
        return "[" + ", ".join(_inline(v) for v in value) + "]"
    if isinstance(value, str) and (":" in value or yaml.safe_load(value) != value):
        return json.dumps(value, ensure_ascii=False)
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
