"""A conformance run's report: JSON (the whole of it), JUnit XML (for a company's CI: one
test case per check, failures with their evidence) and HTML (for a person)."""

from __future__ import annotations

import json
from collections import Counter
from importlib import resources
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

from jinja2 import Environment, select_autoescape

from mewet.conformance.checks import Outcome, judge
from mewet.conformance.run import Record, stamp


def report(record: Record) -> dict[str, Any]:
    """The report of a run: the device, when, the verdict over all, and every check."""
    outcomes = judge(record)
    counts = Counter(o.verdict for o in outcomes)
    meta = record.meta()
    return {
        "device": f"{record.home}/{record.device}",
        "type": meta.type if meta else None,
        "model": meta.model if meta else None,
        "firmware": meta.firmware if meta else None,
        "started": stamp(record.started),
        "ended": stamp(record.ended or record.started),
        "watched_s": record.watch_s,
        "messages": sum(not s.retained for s in record.seen),
        "not_kept": record.not_kept,
        "verdict": "fail" if counts["fail"] else "pass",
        "counts": {v: counts[v] for v in ("pass", "fail", "not_applicable", "inconclusive")},
        "checks": [o.as_json() for o in outcomes],
    }


def junit(found: dict[str, Any]) -> str:
    """The report as JUnit XML: a suite per run, a case per check."""
    counts = found["counts"]
    suite = ET.Element(
        "testsuite",
        name=f"mewet conformance {found['device']}",
        tests=str(len(found["checks"])),
        failures=str(counts["fail"]),
        skipped=str(counts["not_applicable"] + counts["inconclusive"]),
        timestamp=found["started"],
    )
    for c in found["checks"]:
        case = ET.SubElement(suite, "testcase", classname="mewet.contract", name=c["id"])
        text = "\n".join(c["evidence"])
        if c["verdict"] == "fail":
            ET.SubElement(case, "failure", message=c["title"]).text = text
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


__all__ = ["Outcome", "html", "junit", "report", "write"]
