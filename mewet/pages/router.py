"""The pages: sign-in and join, the teacher's library and console, a student's role view,
the debrief, a company's devices. Each is a template; its script talks to the API."""

from __future__ import annotations

import json
import re
from importlib import resources
from typing import Annotated

from fastapi import APIRouter, Cookie, Header, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape

from mewet.texts import LANGUAGES, catalogue, choose

router = APIRouter(include_in_schema=False)
_env = Environment(
    loader=PackageLoader("mewet.pages", "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
PAGES = {
    "index": "index.html",
    "join": "join.html",
    "play": "play.html",
    "teach": "teach.html",
    "console": "console.html",
    "debrief": "debrief.html",
    "devices": "devices.html",
    "classroom": "classroom.html",
    "editor": "editor.html",
    "explore": "explore.html",
    "study": "study.html",
    "certificate": "certificate.html",
    "course": "course.html",
    "courses": "courses.html",
}
STATIC = resources.files("mewet.pages") / "static"
TYPES = {".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml"}
# a path of this lab for the language switch to return to: never //host or /\host
SAME_SITE_PATH = re.compile(r"/(?![/\\])[A-Za-z0-9/_\-.?=&%]*")
Lang = Annotated[str | None, Cookie(alias="lang")]
Accept = Annotated[str | None, Header(alias="accept-language")]


def render(page: str, lang: str, **context: object) -> HTMLResponse:
    """A page in one language; its script gets the same messages (as JSON data, not code)."""
    messages = catalogue(lang)
    html = _env.get_template(PAGES[page]).render(
        t=messages,
        lang=lang,
        page=page,
        messages_json=json.dumps(messages, ensure_ascii=False),
        **context,
    )
    return HTMLResponse(html, headers={"Content-Language": lang, "Vary": "Accept-Language"})


@router.get("/", response_class=HTMLResponse)
async def index(lang: Lang = None, accept: Accept = None) -> HTMLResponse:
    """Sign-in for accounts, join for students."""
    return render("index", choose(lang, accept))


@router.get("/join", response_class=HTMLResponse)
async def join(lang: Lang = None, accept: Accept = None) -> HTMLResponse:
    """A student joins: the code, a name, then one of the open roles."""
    return render("join", choose(lang, accept))


@router.get("/study", response_class=HTMLResponse)
async def study(lang: Lang = None, accept: Accept = None) -> HTMLResponse:
    """A learner begins her own run of an assignment, or comes back to it with her key."""
    return render("study", choose(lang, accept))


@router.get("/course", response_class=HTMLResponse)
async def course(lang: Lang = None, accept: Accept = None) -> HTMLResponse:
    """A learner enrols on a course, or comes back to it with her key, and follows it."""
    return render("course", choose(lang, accept))


@router.get("/courses", response_class=HTMLResponse)
async def courses(lang: Lang = None, accept: Accept = None) -> HTMLResponse:
    """The teacher's courses: put one together, and follow every learner's progress."""
    return render("courses", choose(lang, accept))


@router.get("/certificate/{code}", response_class=HTMLResponse)
async def certificate(code: str, lang: Lang = None, accept: Accept = None) -> HTMLResponse:
    """A certificate as the lab issued it, by its code: to check it, print it, or take its
    PDF."""
    return render("certificate", choose(lang, accept))


@router.get("/play/{exercise_id}", response_class=HTMLResponse)
async def play(exercise_id: int, lang: Lang = None, accept: Accept = None) -> HTMLResponse:
    """A student's view of the exercise, in their role."""
    return render("play", choose(lang, accept), exercise_id=exercise_id)


@router.get("/explore", response_class=HTMLResponse)
async def explore(lang: Lang = None, accept: Accept = None) -> HTMLResponse:
    """A home of one's own to explore: what each device is for, and trying them."""
    chosen = choose(lang, accept)
    names = catalogue(next(x for x in LANGUAGES if x != chosen))["device_types"]
    return render("explore", chosen, other_names=names)


@router.get("/teach", response_class=HTMLResponse)
async def teach(lang: Lang = None, accept: Accept = None) -> HTMLResponse:
    """The teacher's scenarios and exercises."""
    return render("teach", choose(lang, accept))


@router.get("/classroom", response_class=HTMLResponse)
async def classroom(lang: Lang = None, accept: Accept = None) -> HTMLResponse:
    """All the teacher's running exercises side by side (ten groups in one class)."""
    return render("classroom", choose(lang, accept))


@router.get("/scenarios/edit", response_class=HTMLResponse)
async def editor(lang: Lang = None, accept: Accept = None) -> HTMLResponse:
    """The scenario editor: write, check, test-run, save and share a scenario."""
    return render("editor", choose(lang, accept))


@router.get("/teach/{exercise_id}", response_class=HTMLResponse)
async def console(exercise_id: int, lang: Lang = None, accept: Accept = None) -> HTMLResponse:
    """The teacher's live console of one exercise."""
    return render("console", choose(lang, accept), exercise_id=exercise_id)


@router.get("/debrief/{exercise_id}", response_class=HTMLResponse)
async def debrief(exercise_id: int, lang: Lang = None, accept: Accept = None) -> HTMLResponse:
    """The debrief: KPIs per case, the timeline, the charts, exports."""
    return render("debrief", choose(lang, accept), exercise_id=exercise_id)


@router.get("/devices", response_class=HTMLResponse)
async def devices(lang: Lang = None, accept: Accept = None) -> HTMLResponse:
    """A company's devices: what the lab received, and why it refused what it refused."""
    return render("devices", choose(lang, accept))


@router.get("/lang/{code}")
async def language(code: str, request: Request, next: str | None = None) -> Response:
    """Switch the pages' language (kept in a cookie) and go back where one was: `next`, a
    path of this lab only (never another site), else the front page."""
    back = request.headers.get("referer", "/")
    target = back if back.startswith(str(request.base_url)) else "/"
    if next and SAME_SITE_PATH.fullmatch(next):
        target = next
    answer = RedirectResponse(target, status_code=303)
    if code in LANGUAGES:
        answer.set_cookie("lang", code, max_age=365 * 86400, samesite="lax")
    return answer


@router.get("/static/{name}")
async def static(name: str) -> Response:
    """The pages' scripts and style, served by the lab itself (no other origin)."""
    suffix = name[name.rfind(".") :] if "." in name else ""
    path = STATIC / name
    if "/" in name or suffix not in TYPES or not path.is_file():
        return Response("not found", status_code=404, media_type="text/plain")
    return Response(
        path.read_bytes(),
        media_type=TYPES[suffix],
        headers={"Cache-Control": "public, max-age=300"},
    )
