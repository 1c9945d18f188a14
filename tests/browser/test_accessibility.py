"""axe-core (vendored, tests/browser/vendor/axe-core) finds no WCAG 2.1 A/AA violation on
any main page of any role, on a desktop and on a phone."""

from pathlib import Path

import pytest

from .conftest import DESKTOP, PHONE
from .main_pages import PAGES, page_id, path_of

# The town is seeded once per module (see seeded_town); each test only reads it.
pytestmark = [pytest.mark.browser, pytest.mark.django_db]

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def axe_violations(page) -> list[str]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_21_AA
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at "
        + "; ".join(" ".join(node["target"]) for node in v["nodes"][:5])
        for v in result["violations"]
    ]


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["1280x800", "390x844"])
@pytest.mark.parametrize("entry", PAGES, ids=[page_id(entry) for entry in PAGES])
def test_no_wcag_violations(signed_in, seeded_town, entry, size):
    page = signed_in(entry[0], size)
    response = page.goto(seeded_town.url + path_of(entry))
    assert response.ok, f"{page.url} answered {response.status}"
    page.wait_for_load_state("load")
    assert axe_violations(page) == []
    # An empty choice says what it means ("Choose a category…"), never Django's dashes.
    assert page.locator("option", has_text="---------").count() == 0
