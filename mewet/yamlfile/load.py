"""Reading YAML safely into plain data, with the line and the text as written of every value.

Refused, each with the line and what to write instead: aliases beyond `max_aliases` (a
"billion laughs" file expands a few hundred bytes into gigabytes), tags other than YAML's own
(`!!python/name:...`, `!custom`), merge keys (`<<`), keys that are not plain values, a key
written twice in one mapping, and files nested or sized beyond what a scenario needs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from mewet.texts import Said, said
from mewet.yamlfile.problems import FileError, Loc

YAML_TAGS = {
    f"tag:yaml.org,2002:{t}"
    for t in ("str", "int", "float", "bool", "null", "seq", "map", "timestamp")
}
MAX_NODES = 20_000  # a scenario has a few hundred; an alias-expanded file would have millions
MAX_DEPTH = 32


@dataclass
class Read:
    """A file as read: its data, the line of every key and value, and the text of every plain
    (unquoted) value as written, for hints that quote it back."""

    data: Any
    lines: dict[Loc, int] = field(default_factory=dict)
    plain: dict[Loc, str] = field(default_factory=dict)
    text: str = ""


class _Refused(Exception):  # noqa: N818 - carries a line and a reason to `read_yaml`
    def __init__(self, line: int, why: Said) -> None:
        super().__init__(why.id)
        self.line = line
        self.why = why


class _Walk:
    """Turns a composed node tree into plain data, with the line of every key."""

    def __init__(self) -> None:
        self.read = Read(None)
        self.nodes = 0
        self.constructor = yaml.SafeLoader(" ")

    def __call__(self, node: yaml.Node, loc: Loc, depth: int = 0) -> Any:
        line = node.start_mark.line + 1
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise _Refused(line, said("yaml_too_many_values", max=MAX_NODES))
        if depth > MAX_DEPTH:
            raise _Refused(line, said("yaml_too_deep", max=MAX_DEPTH))
        if node.tag not in YAML_TAGS:
            raise _Refused(line, said("yaml_tag", tag=node.tag))
        self.read.lines[loc] = line
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, loc, depth)
        if isinstance(node, yaml.SequenceNode):
            return [self(item, (*loc, i), depth + 1) for i, item in enumerate(node.value)]
        if isinstance(node, yaml.ScalarNode) and node.style is None:
            self.read.plain[loc] = str(node.value)
        return self.constructor.construct_object(node)

    def _mapping(self, node: yaml.MappingNode, loc: Loc, depth: int) -> dict[Any, Any]:
        out: dict[Any, Any] = {}
        first: dict[Any, int] = {}
        before: yaml.Node | None = None
        for key_node, value_node in node.value:
            key_line = key_node.start_mark.line + 1
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise _Refused(key_line, said("yaml_merge"))
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag not in YAML_TAGS:
                raise _Refused(key_line, said("yaml_key_plain"))
            if node.flow_style and _decimal_comma(before, key_node, value_node):
                assert before is not None
                fixed = f"{before.value}.{key_node.value}"
                raise _Refused(key_line, said("fix_decimal_point", fixed=fixed))
            key = self.constructor.construct_object(key_node)
            if key in first:
                raise _Refused(
                    key_line, said("yaml_key_twice", key=str(key), first=first[key], again=key_line)
                )
            first[key] = key_line
            out[key] = self(value_node, (*loc, key), depth + 1)
            self.read.lines[(*loc, key)] = key_line
            before = value_node
        return out


def _decimal_comma(before: yaml.Node | None, key: yaml.ScalarNode, value: yaml.Node) -> bool:
    """`{outdoor_c: 0,5}`: in a mapping written on one line, YAML reads a decimal comma as
    the end of one entry (0) and a key of its own (5) with no value."""
    return (
        isinstance(before, yaml.ScalarNode)
        and before.style is None
        and str(before.value).lstrip("-").isdigit()
        and key.style is None
        and str(key.value).isdigit()
        and isinstance(value, yaml.ScalarNode)
        and value.value == ""
    )


def read_yaml(
    text: str, name: str, max_aliases: int = 0, error: type[FileError] = FileError
) -> Read:
    """Parse YAML into plain data, the line of each key path and each plain value's text;
    `error` (a kind of FileError) says what is wrong."""
    try:
        aliases = 0
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            if isinstance(event, yaml.AliasEvent):
                aliases += 1
                if aliases > max_aliases:
                    mark = event.start_mark
                    raise _Refused(
                        mark.line + 1 if mark is not None else 0,
                        said("yaml_alias", anchor=str(event.anchor), allowed=max_aliases),
                    )
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        if node is None:
            raise error.of(name, said("file_empty"))
        walk = _Walk()
        walk.read.data = walk(node, ())
        walk.read.text = text
        return walk.read
    except _Refused as exc:
        raise error.of(name, exc.why, exc.line) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        raise error.of(name, _syntax(exc, text, line), line) from None
    except yaml.YAMLError:
        raise error.of(name, said("yaml_syntax")) from None
    except RecursionError:
        raise error.of(name, said("yaml_too_deep", max=MAX_DEPTH)) from None


def _syntax(exc: yaml.MarkedYAMLError, text: str, line: int | None) -> Said:
    """What a YAML syntax error means for whoever wrote the file, and how to fix it."""
    problem = f"{exc.problem or ''} {exc.context or ''}"
    if "mapping values are not allowed" in problem and line is not None:
        written = text.splitlines()[line - 1] if line <= len(text.splitlines()) else ""
        key, _, value = written.partition(": ")
        fixed = f'{key.strip()}: "{value.strip()}"' if value else 'title: "Ilta: kaatuminen"'
        return said("yaml_colon_in_text", fixed=fixed)
    if "'\\t'" in problem:
        return said("yaml_tab")
    if "quoted scalar" in problem:
        return said("yaml_quote_unclosed")
    if "flow" in problem or "expected ','" in problem:
        return said("yaml_bracket")
    if any(
        words in problem
        for words in ("expected <block end>", "expected key", "expected ':'", "'-' indicator")
    ):
        return said("yaml_indent")
    return said("yaml_syntax")
