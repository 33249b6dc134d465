"""How to fix what a writer typed, from the text as written (before YAML read it as something
else): a time YAML took for a number, a Finnish date, a decimal comma, the typographic minus,
an id with letters ids do not take. Each hint says the fix with her own value in it."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from zoneinfo import ZoneInfo

from mewet.texts import Said, said

ZONE = ZoneInfo("Europe/Helsinki")
"""Where the lab's schools are: a date without a zone is shown with Finland's offset."""
TIME = re.compile(r"(\d{1,2})[:.](\d{2})")
FINNISH_DATE = re.compile(
    r"(\d{1,2})\.(\d{1,2})\.(\d{4})(?:\s+(?:klo\s+)?(\d{1,2})[:.](\d{2})(?:[:.](\d{2}))?)?"
)
MINUSES = "\u2212\u2013\u2014"  # minus sign, en dash, em dash: what word processors write
DECIMAL_COMMA = re.compile(rf"[-+{MINUSES}]?\d+,\d+")
TYPOGRAPHIC_NUMBER = re.compile(rf"[{MINUSES}]\d+(?:[.,]\d+)?")
WANTS_TEXT = {"string_type", "model_type", "dict_type", "model_attributes_type"}
"""Errors where a clock time written without quotes is the likely cause."""


def hint(raw: str, kind: str) -> Said | None:
    """The fix for a plain (unquoted) value `raw` that failed with the validator's `kind`, if
    the text shows what was meant."""
    text = raw.strip()
    found = FINNISH_DATE.fullmatch(text)
    if found:
        day, month, year, hour, minute, second = found.groups()
        try:
            when = datetime(
                int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0)
            )
        except ValueError:
            return said("fix_date", fixed="2027-01-10T18:00:00+02:00")
        return said("fix_date", fixed=zoned(when))
    if kind in WANTS_TEXT:
        found = TIME.fullmatch(text)
        if found and int(found[1]) < 24 and int(found[2]) < 60:
            return said("fix_time_quotes", fixed=f'"{int(found[1]):02d}:{found[2]}"')
    if TYPOGRAPHIC_NUMBER.fullmatch(text):
        fixed = "-" + text[1:].replace(",", ".")
        return said("fix_minus", fixed=fixed)
    if DECIMAL_COMMA.fullmatch(text):
        return said("fix_decimal_point", fixed=text.replace(",", "."))
    return None


def zoned(when: datetime) -> str:
    """A local time in Finland as a scenario writes it: 2027-01-10T18:00:00+02:00."""
    return when.replace(tzinfo=ZONE).isoformat()


def zone_hint(value: object) -> Said:
    """The fix for a start without its zone: the same time with Finland's offset."""
    if isinstance(value, datetime):
        return said("fix_timezone", fixed=zoned(value.replace(tzinfo=None)))
    return said("fix_timezone", fixed="2027-01-10T18:00:00+02:00")


def id_hint(value: object) -> Said:
    """The fix for an id with letters ids do not take: the same words as an id can write them
    (`Yö-kaatuminen 2` → `yo-kaatuminen-2`)."""
    plain = unicodedata.normalize("NFKD", str(value)).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-")[:63] or "my-scenario"
    return said("fix_id", fixed=slug)
