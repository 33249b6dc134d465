"""YAML files people write (homes, scenarios), read safely and checked with problems that say
how to fix them: each at its line, said by id in the reader's language.

`load` reads plain data only (a file may come from anyone: an upload); `validate` checks it
against a model; `hints` turns what was typed into the fix; `problems` carries what was found.
"""

from mewet.yamlfile.load import MAX_DEPTH, MAX_NODES, Read, read_yaml
from mewet.yamlfile.problems import FileError, Found, Loc, Problem
from mewet.yamlfile.validate import decode, describe, line_of, unknown_key, validate_yaml

__all__ = [
    "MAX_DEPTH",
    "MAX_NODES",
    "FileError",
    "Found",
    "Loc",
    "Problem",
    "Read",
    "decode",
    "describe",
    "line_of",
    "read_yaml",
    "unknown_key",
    "validate_yaml",
]
