"""Moodle's GIFT format, both ways, for multiple-choice questions: a bank out in one language
(Moodle keeps one language per question), and GIFT in (from Moodle or written by hand) as the
questions of a school's bank, every problem said with its line.

What is read: `//` comments, `$CATEGORY:` lines, `::title::`, the question text, and its
answers in `{...}`: `=right` and `~wrong`, or weights (`~%50%...`, `~%-100%...`: above zero is
right), each with `#feedback`; `\\` escapes `~ = # { } :`. Other kinds of GIFT question (true or
false, short answer, numeric, matching, essay) are not multiple choice: said, and left out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mewet.knowledge.bank import BANK_ID, Bank, Choice, Question, Words
from mewet.texts import Said, said

SPECIAL = "~=#{}:"
MAX_GIFT_BYTES = 512 * 1024


def escape(text: str) -> str:
    """Text as GIFT writes it: its special characters escaped, on one line."""
    out = text.replace("\\", "\\\\")
    for c in SPECIAL:
        out = out.replace(c, "\\" + c)
    return " ".join(out.split())


def export(bank: Bank, lang: str) -> str:
    """The bank in GIFT, in one language (its text where the language is missing)."""
    lines = [
        f"// {bank.title.in_(lang)}",
        "// from the MeWeT lab",
        f"$CATEGORY: mewet/{bank.id}",
        "",
    ]
    for q in bank.questions:
        right = sum(c.right for c in q.choices)
        lines.append(f"::{q.id}:: {escape(q.text.in_(lang))} {{")
        for c in q.choices:
            if q.several:
                mark = f"~%{100 / right:.5g}%" if c.right else "~%-100%"
            else:
                mark = "=" if c.right else "~"
            told = f"#{escape(c.feedback.in_(lang))}" if c.feedback is not None else ""
            lines.append(f"\t{mark}{escape(c.words.in_(lang))}{told}")
        lines += ["}", ""]
    return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class Parsed:
    """What a GIFT text gave: its multiple-choice questions, and each problem at its line."""

    questions: list[Question]
    problems: list[tuple[int, Said]]


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text).strip()


def _split(text: str, marks: str) -> list[tuple[str, str]]:
    """Pieces of `text` at unescaped `marks`: (the mark, what follows up to the next)."""
    out: list[tuple[str, str]] = []
    mark, piece, i = "", "", 0
    while i < len(text):
        c = text[i]
        if c == "\\" and i + 1 < len(text):
            piece += text[i : i + 2]
            i += 2
            continue
        if c in marks:
            out.append((mark, piece))
            mark, piece = c, ""
        else:
            piece += c
        i += 1
    out.append((mark, piece))
    return out


def _unescaped(text: str, char: str, start: int = 0) -> int:
    i = start
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text[i] == char:
            return i
        i += 1
    return -1


def parse(text: str, lang: str, prefix: str) -> Parsed:
    """The questions of a GIFT text, in `lang`; their ids from the titles (else
    `<prefix>-<n>`)."""
    blocks: list[tuple[int, str]] = []
    current: list[str] = []
    first = 0
    for n, raw in enumerate(text.splitlines(), start=1):
        kept = raw.strip()
        if kept.startswith("//") or kept.startswith("$CATEGORY"):
            continue
        if not kept:
            if current:
                blocks.append((first, "\n".join(current)))
                current = []
            continue
        if not current:
            first = n
        current.append(kept)
    if current:
        blocks.append((first, "\n".join(current)))
    questions: list[Question] = []
    problems: list[tuple[int, Said]] = []
    for line, block in blocks:
        found = _question(block, lang, f"{prefix}-{len(questions) + 1}")
        if isinstance(found, Question):
            if any(q.id == found.id for q in questions):
                found = found.model_copy(update={"id": f"{prefix}-{len(questions) + 1}"})
            questions.append(found)
        else:
            problems.append((line, found))
    return Parsed(questions, problems)


def _question(block: str, lang: str, fallback: str) -> Question | Said:
    title = ""
    if block.startswith("::"):
        end = _unescaped(block, ":", 2)
        while end != -1 and block[end : end + 2] != "::":
            end = _unescaped(block, ":", end + 1)
        if end == -1:
            return said("gift_title_open")
        title, block = _unescape(block[2:end]), block[end + 2 :]
    opened = _unescaped(block, "{")
    closed = _unescaped(block, "}", opened + 1) if opened != -1 else -1
    if opened == -1 or closed == -1:
        return said("gift_no_answers")
    asked = _unescape(re.sub(r"^\[(plain|markdown|html|moodle)\]", "", block[:opened].strip()))
    answers = block[opened + 1 : closed].strip()
    if not asked:
        return said("gift_no_text")
    pieces = [(m, p) for m, p in _split(answers, "=~") if m]
    if not pieces or "->" in answers or not any(m == "~" for m, _ in pieces):
        return said("gift_not_multiple_choice")
    choices = []
    for mark, piece in pieces:
        weight = re.match(r"\s*%(-?\d+(?:\.\d+)?)%", piece)
        body = piece[weight.end() :] if weight else piece
        right = mark == "=" or (weight is not None and float(weight.group(1)) > 0)
        parts = _split(body, "#")
        words = _unescape(parts[0][1])
        feedback = _unescape(parts[1][1]) if len(parts) > 1 else ""
        if not words:
            return said("gift_empty_answer")
        choices.append(
            Choice(
                **{lang: words[:1000]},
                right=right,
                feedback=Words(**{lang: feedback[:2000]}) if feedback else None,
            )
        )
    qid = re.sub(r"[^a-z0-9-]+", "-", title.lower()).strip("-")[:63]
    try:
        return Question(
            id=qid if re.match(BANK_ID, qid) else fallback,
            text=Words(**{lang: asked[:2000]}),
            choices=choices[:10],
        )
    except ValueError:
        return said("gift_right_answers")
