"""A student's page on a phone, through the deployment's proxy in front of two servers: the
server running her class is killed, and her page reconnects by itself to the other, where the
class goes on."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

from tests.api.test_several_servers import two_servers
from tests.cli.test_supervision import children
from tests.pages.browser import CHROMIUM, NEEDS_CHROMIUM, join
from tests.support.apiserver import Api, control, create

pytestmark = NEEDS_CHROMIUM
__all__ = ["two_servers"]  # the fixture, used here too

if Path(CHROMIUM).exists():
    from playwright.sync_api import Browser, expect


def test_her_page_reconnects_by_itself_when_the_server_of_her_class_is_killed(
    browser: Browser, two_servers: tuple[Api, Api, subprocess.Popen[bytes], Api]
) -> None:
    on_a, _, server_a, on_proxy = two_servers
    ex = create(on_a)  # the teacher's browser reached server A, which runs the class
    control(on_a, ex["id"], "start")
    page = join(browser, on_proxy.base, str(ex["join_code"]), "Ada", "Alarm centre")
    status, clock = page.locator("#status"), page.locator("#clock")
    expect(status).to_have_text("Live")
    expect(clock).not_to_be_empty()

    for pid in [*children(server_a.pid, "mewet worker"), server_a.pid]:
        os.kill(pid, signal.SIGKILL)
    server_a.wait(10)
    expect(status).to_contain_text("reconnecting")
    # nobody reloads: the page finds the class again on B, running on from where it was
    expect(status).to_have_text("Live", timeout=60_000)
    then = clock.text_content()
    expect(clock).not_to_have_text(then or "", timeout=20_000)
