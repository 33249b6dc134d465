"""Checking a conformance report a company shows its customer: is it the one the lab wrote?"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from mewet.api.deps import Account, KnownQuery, Language, State
from mewet.api.models import ERRORS, RequestBody
from mewet.conformance.report import verify
from mewet.texts import said, say

router = APIRouter(prefix="/api", tags=["devices"], responses=ERRORS, dependencies=[KnownQuery])


class ReportToCheck(RequestBody):
    """A conformance report as the lab wrote it (`report.json`), signature included."""

    report: dict[str, Any] = Field(description="The whole of report.json.")


class ReportChecked(BaseModel):
    """Whether the lab signed the report as it is."""

    valid: bool
    detail: str


@router.post("/conformance-verifications")
async def verify_report(
    api: State, who: Account, lang: Language, body: ReportToCheck
) -> ReportChecked:
    """Whether a conformance report is the one this lab wrote and signed: not a verdict, a
    line of evidence or a count changed, added or left out since (any signed-in account may
    ask, a customer's too)."""
    valid = verify(body.report, api.key)
    return ReportChecked(
        valid=valid, detail=say(said("report_signed" if valid else "report_not_signed"), lang)
    )
