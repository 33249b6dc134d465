"""A conformance run's report: JSON (the whole of it), JUnit XML (for a company's CI: one
test case per check, failures with their evidence) and HTML (for a person)."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections import Counter
from importlib import resources
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

from jinja2 import Environment, select_autoescape

from mewet import __version__
from mewet.conformance.checks import Outcome, judge
from mewet.conformance.run import Record, stamp
from mewet.contract import VERSION


def report(record: Record, strict: bool = False) -> dict[str, Any]:
    """The report of a run: the device, when, the verdict over all, and every check, failures
    first. `strict` (for a company's CI): a check that saw too little to say fails the run
    too, as a failed check does."""
    outcomes = judge(record)
    counts = Counter(o.verdict for o in outcomes)
    meta = record.meta()
    failing = counts["fail"] + (counts["inconclusive"] if strict else 0)
    order = {"fail": 0, "inconclusive": 1 if strict else 2, "pass": 3, "not_applicable": 3}
    outcomes.sort(key=lambda o: order[o.verdict])
    return {
        "device": f"{record.home}/{record.device}",
        "lab_version": __version__,
        "contract_version": VERSION,
        "type": meta.type if meta else None,
        "model": meta.model if meta else None,
        "firmware": meta.firmware if meta else None,
        "started": stamp(record.started),
        "ended": stamp(record.ended or record.started),
        "watched_s": record.watch_s,
        "messages": sum(not s.retained for s in record.seen),
        "not_kept": record.not_kept,
        "verdict": "fail" if failing else "pass",
        "strict": strict,
        "counts": {v: counts[v] for v in ("pass", "fail", "not_applicable", "inconclusive")},
        "checks": [o.as_json() for o in outcomes],
    }


SIGNED = "HMAC-SHA256"


def _digest(found: dict[str, Any], key: str) -> str:
    """The report's digest under the lab's key: every field but the signature itself, as
    canonical JSON (keys sorted, no spaces)."""
    body = {k: v for k, v in found.items() if k != "signature"}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hmac.new(key.encode(), text.encode(), hashlib.sha256).hexdigest()


def sign(found: dict[str, Any], key: str) -> dict[str, Any]:
    """The report signed with the lab's key: a customer asks the lab whether a report they
    were shown is the one it wrote (`POST /api/conformance-verifications`)."""
    return {**found, "signature": {"alg": SIGNED, "digest": _digest(found, key)}}


def verify(found: dict[str, Any], key: str) -> bool:
    """Whether the report is as the lab signed it: not a field changed, added or left out."""
    signature = found.get("signature")
    if not isinstance(signature, dict) or signature.get("alg") != SIGNED:
        return False
    given = signature.get("digest")
    return isinstance(given, str) and hmac.compare_digest(given, _digest(found, key))


def junit(found: dict[str, Any]) -> str:
    """The report as JUnit XML: a suite per run, a case per check; a failed check is a
    `<failure>` (and, strict, an inconclusive one too), and the suite's properties count
    every verdict, so a CI that shows only failures and skips still says how many checks
    could not decide."""
    counts = found["counts"]
    strict = bool(found.get("strict"))
    failed = counts["fail"] + (counts["inconclusive"] if strict else 0)
    suite = ET.Element(
        "testsuite",
        name=f"mewet conformance {found['device']}",
        tests=str(len(found["checks"])),
        failures=str(failed),
        skipped=str(len(found["checks"]) - failed - counts["pass"]),
        timestamp=found["started"],
    )
    properties = ET.SubElement(suite, "properties")
    for name, value in (
        *((verdict, str(n)) for verdict, n in counts.items()),
        ("strict", str(strict).lower()),
        ("lab_version", str(found.get("lab_version", ""))),
        ("contract_version", str(found.get("contract_version", ""))),
        ("firmware", str(found.get("firmware") or "")),
    ):
        ET.SubElement(properties, "property", name=name, value=value)
    for c in found["checks"]:
        case = ET.SubElement(suite, "testcase", classname="mewet.contract", name=c["id"])
        text = "\n".join(c["evidence"] + ([f"fix: {c['hint']}"] if c.get("hint") else []))
        if c["verdict"] == "fail" or (strict and c["verdict"] == "inconclusive"):
            ET.SubElement(case, "failure", message=f"{c['title']}: {c['verdict']}").text = text
        elif c["verdict"] != "pass":
            ET.SubElement(case, "skipped", message=c["verdict"]).text = text
        ET.SubElement(case, "system-out").text = f"{c['title']} ({c['clause']})\n{text}"
    return ET.tostring(suite, encoding="unicode", xml_declaration=True) + "\n"


def html(found: dict[str, Any]) -> str:
    """The report as a page of its own."""
    env = Environment(autoescape=select_autoescape(default=True))
    source = (
        resources.files("mewet.conformance").joinpath("templates", "report.html").read_text("utf-8")
    )
    return env.from_string(source).render(r=found)


def write(found: dict[str, Any], folder: Path) -> None:
    """`report.json`, `report.xml` (JUnit) and `report.html` into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "report.json").write_text(json.dumps(found, indent=2) + "\n", encoding="utf-8")
    (folder / "report.xml").write_text(junit(found), encoding="utf-8")
    (folder / "report.html").write_text(html(found), encoding="utf-8")


__all__ = ["Outcome", "html", "junit", "report", "sign", "verify", "write"]
