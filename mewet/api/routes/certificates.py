"""Certificates, as the lab issued them: anyone with a certificate's code checks it here (the
page `/certificate/CODE` shows it), and downloads it as a PDF."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from mewet.api.deps import Address, KnownQuery, State
from mewet.api.models import ERRORS
from mewet.api.public import join_base
from mewet.api.refusals import Refusal, within
from mewet.exercises.certificates import Certificate, pdf
from mewet.texts import said

router = APIRouter(
    prefix="/api/certificates", tags=["certificates"], responses=ERRORS, dependencies=[KnownQuery]
)


class CertificateSeen(BaseModel):
    """A certificate the lab issued: whose, for what, the score, when."""

    code: str
    name: str
    title: str
    percent: float
    issued: datetime
    kind: Literal["run", "course"] = Field(
        description="For a self-study assignment (its run) or a course."
    )


def _found(api: State, code: str, address: str) -> Certificate:
    within(api.joins, address, said("too_many_joins"))  # codes are not to be guessed
    found = api.certificates.by_code(code[:32])
    if found is None:
        raise Refusal(404, said("no_certificate"))
    return found


@router.get("/{code}", responses={429: ERRORS[429]})
async def certificate(api: State, address: Address, code: str) -> CertificateSeen:
    """Check a certificate by its code: what the lab issued, or 404."""
    c = _found(api, code, address)
    return CertificateSeen(
        code=c.code,
        name=c.name,
        title=c.title,
        percent=c.percent,
        issued=c.issued,
        kind=c.kind,
    )


@router.get(
    "/{code}/pdf",
    responses={200: {"description": "The certificate.", "content": {"application/pdf": {}}}},
)
async def certificate_pdf(
    api: State, address: Address, request: Request, code: str, lang: Literal["fi", "en"] = "fi"
) -> Response:
    """The certificate as a PDF, in Finnish or English."""
    c = _found(api, code, address)
    base, _ = join_base(request, api.public_url, api.listen_host)
    body = await asyncio.to_thread(pdf, c, lang, f"{base}/certificate/{c.code}")
    name = f"certificate-{c.code}.pdf" if lang == "en" else f"todistus-{c.code}.pdf"
    return Response(
        body,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
