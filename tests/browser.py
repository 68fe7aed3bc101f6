"""Helpers for the browser tests: a screenshot and an accessibility check of each step."""

from axe_playwright_python.sync_playwright import Axe

from tests.conftest import SCREENSHOTS


def look(page, step):
    """Screenshot the page and check it with axe-core: no serious or critical violation."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    width = page.viewport_size["width"]
    page.screenshot(path=SCREENSHOTS / f"{step}-{width}.png", full_page=True)
    violations = page.evaluate("window.__cspViolations || []")
    assert not violations, f"{step}: Content-Security-Policy violations {violations}"
    results = Axe().run(page)
    serious = [
        f"{v['id']}: {v['help']} ({len(v['nodes'])})"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert not serious, f"{step}: {serious}"
