"""The project's own rule on its code (docs/architecture.md, Wiring): a module that grows past
450 lines is split before it lands."""

from __future__ import annotations

from tests.support.helpers import REPO

MOST_LINES = 450


def test_every_module_of_the_lab_stays_at_450_lines_or_fewer() -> None:
    sizes = {
        str(path.relative_to(REPO)): len(path.read_text().splitlines())
        for path in (REPO / "mewet").rglob("*.py")
    }
    over = {path: n for path, n in sizes.items() if n > MOST_LINES}
    assert len(sizes) > 100  # the whole package was read
    assert over == {}, f"split these modules (docs/architecture.md, Wiring): {over}"
