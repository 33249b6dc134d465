"""Certificates: a learner who passes her self-study assignment's knowledge check, or her
course's final test, gets one, with her name, the assignment or course, the date and the
score, and a code. Whoever holds the code (an employer, the school) checks it on the lab's
page, where the lab shows what it issued; the PDF carries the same code and the page's
address.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from mewet.exercises.db import AppDb, Row
from mewet.exercises.study import new_code
from mewet.texts import catalogue

Kind = Literal["run", "course"]
_TABLES: dict[Kind, tuple[str, str]] = {
    "run": ("certificates", "exercise"),
    "course": ("course_certificates", "learner"),
}


@dataclass(frozen=True, slots=True)
class Certificate:
    """What the lab issued: to whom, for what, when, with what score."""

    code: str
    name: str
    title: str
    percent: float
    issued: datetime
    kind: Kind = "run"
    """For a self-study assignment (its run) or a course."""


class Certificates:
    """The certificates the lab has issued."""

    def __init__(self, db: AppDb) -> None:
        self.db = db

    def issue(self, kind: Kind, holder: int, name: str, title: str, percent: float) -> Certificate:
        """The certificate of a run (`holder`: its exercise) or of a course (the course
        learner): issued at the first pass, the same one after."""
        found = self.of(kind, holder)
        if found is not None:
            return found
        table, key = _TABLES[kind]
        self.db.write(
            f"INSERT INTO {table} (code, {key}, name, title, percent, issued) VALUES (?,?,?,?,?,?)",
            (new_code(12), holder, name, title, percent, datetime.now(UTC).isoformat()),
        )
        made = self.of(kind, holder)
        assert made is not None
        return made

    def of(self, kind: Kind, holder: int) -> Certificate | None:
        table, key = _TABLES[kind]
        row = self.db.one(f"SELECT * FROM {table} WHERE {key} = ?", (holder,))
        return _certificate(row, kind) if row is not None else None

    def by_code(self, code: str) -> Certificate | None:
        for kind, (table, _) in _TABLES.items():
            row = self.db.one(f"SELECT * FROM {table} WHERE code = ?", (code.strip().upper(),))
            if row is not None:
                return _certificate(row, kind)
        return None


def _certificate(r: Row, kind: Kind) -> Certificate:
    return Certificate(
        r["code"], r["name"], r["title"], r["percent"], datetime.fromisoformat(r["issued"]), kind
    )


def shown_percent(value: float, lang: str) -> str:
    """A score as the page says it: 67.5 (English), 67,5 (Finnish), 70 (no tenth)."""
    text = f"{value:.1f}".removesuffix(".0")
    return text.replace(".", ",") if lang == "fi" else text


def pdf(c: Certificate, lang: str, check_url: str) -> bytes:
    """The certificate as an A4 PDF in `lang` (matplotlib's PDF backend, fonts embedded)."""
    from matplotlib.figure import Figure

    t = catalogue(lang)
    fig = Figure(figsize=(8.27, 11.69))  # A4, inches
    date = c.issued.strftime("%d.%m.%Y" if lang == "fi" else "%Y-%m-%d")
    lines = [
        (0.80, t["certificate"], 30, "bold"),
        (0.68, c.name, 24, "bold"),
        (0.62, t["cert_body" if c.kind == "run" else "cert_body_course"], 13, "normal"),
        (0.56, c.title, 18, "bold"),
        (0.48, t["cert_score"].replace("{percent}", shown_percent(c.percent, lang)), 14, "normal"),
        (0.43, f"{t['cert_date']}: {date}", 12, "normal"),
        (0.20, t["cert_check"].replace("{url}", check_url), 9, "normal"),
        (0.17, f"{t['cert_code']}: {c.code}", 11, "bold"),
        (0.08, "MeWeT", 10, "normal"),
    ]
    for y, text, size, weight in lines:
        fig.text(
            0.5, y, text, ha="center", va="center", fontsize=size, fontweight=weight, wrap=True
        )
    out = io.BytesIO()
    fig.savefig(out, format="pdf", metadata={"Title": f"{t['certificate']}: {c.title}"})
    return out.getvalue()
