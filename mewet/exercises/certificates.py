"""Certificates: a learner who passes her self-study assignment's knowledge check gets one,
with her name, the assignment, the date and the score, and a code. Whoever holds the code (an
employer, the school) checks it on the lab's page, where the lab shows what it issued; the
PDF carries the same code and the page's address.
"""

from __future__ import annotations

import io
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime

from mewet.exercises.db import AppDb
from mewet.exercises.study import new_code
from mewet.texts import catalogue

SCHEMA = """
CREATE TABLE IF NOT EXISTS certificates (
    code TEXT PRIMARY KEY,
    exercise INTEGER NOT NULL UNIQUE REFERENCES exercises(id),
    name TEXT NOT NULL,
    title TEXT NOT NULL,
    percent INTEGER NOT NULL,
    issued TEXT NOT NULL
);
"""
"""This module's table in the lab's database."""


@dataclass(frozen=True, slots=True)
class Certificate:
    """What the lab issued: to whom, for what, when, with what score."""

    code: str
    exercise: int
    name: str
    title: str
    percent: int
    issued: datetime


class Certificates:
    """The certificates the lab has issued."""

    def __init__(self, db: AppDb) -> None:
        self.db = db
        db.tables(SCHEMA)

    def issue(self, exercise: int, name: str, title: str, percent: int) -> Certificate:
        """The run's certificate: issued at its first pass, the same one after."""
        found = self.of(exercise)
        if found is not None:
            return found
        self.db.write(
            "INSERT INTO certificates (code, exercise, name, title, percent, issued) "
            "VALUES (?,?,?,?,?,?)",
            (new_code(12), exercise, name, title, percent, datetime.now(UTC).isoformat()),
        )
        made = self.of(exercise)
        assert made is not None
        return made

    def of(self, exercise: int) -> Certificate | None:
        row = self.db.one("SELECT * FROM certificates WHERE exercise = ?", (exercise,))
        return _certificate(row) if row is not None else None

    def by_code(self, code: str) -> Certificate | None:
        row = self.db.one("SELECT * FROM certificates WHERE code = ?", (code.strip().upper(),))
        return _certificate(row) if row is not None else None


def _certificate(r: sqlite3.Row) -> Certificate:
    return Certificate(
        r["code"],
        r["exercise"],
        r["name"],
        r["title"],
        r["percent"],
        datetime.fromisoformat(r["issued"]),
    )


def pdf(c: Certificate, lang: str, check_url: str) -> bytes:
    """The certificate as an A4 PDF in `lang` (matplotlib's PDF backend, fonts embedded)."""
    from matplotlib.figure import Figure

    t = catalogue(lang)
    fig = Figure(figsize=(8.27, 11.69))  # A4, inches
    date = c.issued.strftime("%d.%m.%Y" if lang == "fi" else "%Y-%m-%d")
    lines = [
        (0.80, t["certificate"], 30, "bold"),
        (0.68, c.name, 24, "bold"),
        (0.62, t["cert_body"], 13, "normal"),
        (0.56, c.title, 18, "bold"),
        (0.48, t["cert_score"].replace("{percent}", str(c.percent)), 14, "normal"),
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
