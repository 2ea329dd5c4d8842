"""Deadlines you can read (issue 14, R14, R20) in a real browser: the working time left stands
beside every light, a 30-minute first-contact step is blue when it starts, and the case page's
process diagram zooms, pans and is centred on the current step. Screenshots go to
HUIYIN_ARTIFACTS (default test-artifacts/) as i14-deadlines-*.png."""
import re

import pytest

from tests.browser_helpers import accessible, no_english, shot
from tests.complaint_city import Desk, build_city
from tests.test_browser_workspace import sign_in

pytestmark = pytest.mark.browser
#: what the test's people typed or are called, in Latin letters
ALLOW = ("Colleague", "Reviewer", "Handler", "Village", "Township", "Author")

#: "剩 25 分钟", "剩 1 小时 5 分钟", "剩 1 工作日 3 小时", "超期 2 小时" …
TIME_LEFT = re.compile(r"^(剩|超期) \d+ (工作日|小时|分钟)( \d+ (小时|分钟))?$")


@pytest.fixture
def new_village_case(client, app):
    """A case just dispatched to the village committee: its first contact (30 minutes) begins."""
    city = build_city()
    desk = Desk(client)
    desk.village_case(city["units"], title="路灯不亮")
    return desk


def light_of(page, where: str):
    light = page.locator(f"{where} .light").first
    return light.get_attribute("class"), light.locator(".time-left").inner_text().strip()


def test_R20_time_left_beside_the_light_and_a_30_minute_step_starts_blue(
        browser, live_server, new_village_case):
    desk, base = new_village_case, live_server
    handler = sign_in(browser, base, "handler_village")

    # the inbox row: a blue light, and the time left beside it
    handler.goto(f"{base}/inbox")
    row = f"tr:has-text('{desk.number}')"
    colour, left = light_of(handler, row)
    assert "light-blue" in colour and TIME_LEFT.match(left) and left.startswith("剩"), (colour, left)
    shot(handler, "i14-deadlines-inbox")

    # the first-contact task page: born blue (a 30-minute limit is not yellow at birth), time left shown
    handler.goto(f"{base}/tasks/{desk.task('handler_village', 'first_contact')}")
    colour, left = light_of(handler, "main")
    assert "light-blue" in colour and "蓝灯" in handler.locator("main .light").first.inner_text()
    assert TIME_LEFT.match(left) and left.startswith("剩"), left
    accessible(handler)
    no_english(handler, allow=ALLOW)
    shot(handler, "i14-deadlines-task")

    # the case page: the case's light with its time left
    handler.goto(f"{base}/cases/{desk.number}")
    colour, left = light_of(handler, ".facts")
    assert "light-blue" in colour and TIME_LEFT.match(left) and left.startswith("剩"), (colour, left)
    handler.context.close()


def viewport_matrix(page) -> list[float]:
    """The diagram's zoom and pan: the SVG viewport's transform (a, b, c, d, e, f)."""
    return page.evaluate("""() => {
        const viewport = document.querySelector('#case-diagram svg .viewport');
        const m = viewport.transform.baseVal.consolidate().matrix;
        return [m.a, m.b, m.c, m.d, m.e, m.f];
    }""")


def centre(box) -> tuple[float, float]:
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def test_the_process_diagram_is_centred_on_the_current_step_and_zooms_and_pans(
        browser, live_server, new_village_case):
    desk, base = new_village_case, live_server
    supervisor = sign_in(browser, base, "supervisor")
    supervisor.goto(f"{base}/cases/{desk.number}")
    supervisor.wait_for_selector("#case-diagram[data-ready=true]")
    canvas = supervisor.locator("#case-diagram")
    current = supervisor.locator(".djs-element.huiyin-current")
    assert current.get_attribute("data-element-id") == "first_contact"

    # centred on the current step when the page opens
    (cx, cy), (ex, ey) = centre(canvas.bounding_box()), centre(current.bounding_box())
    assert abs(cx - ex) < 5 and abs(cy - ey) < 5, ((cx, cy), (ex, ey))
    supervisor.locator("#diagram-heading").scroll_into_view_if_needed()
    shot(supervisor, "i14-deadlines-diagram")

    # + zooms in (by keyboard too), − zooms out, "whole process" fits it all
    scale = viewport_matrix(supervisor)[0]
    supervisor.get_by_role("button", name="放大").click()
    zoomed = viewport_matrix(supervisor)[0]
    assert zoomed > scale
    supervisor.get_by_role("button", name="放大").focus()
    supervisor.keyboard.press("Enter")
    twice = viewport_matrix(supervisor)[0]
    assert twice > zoomed
    supervisor.get_by_role("button", name="缩小").click()
    assert viewport_matrix(supervisor)[0] < twice
    supervisor.get_by_role("button", name="全图").click()
    fitted = viewport_matrix(supervisor)[0]
    every = supervisor.locator(".djs-element.djs-shape")
    inside = canvas.bounding_box()
    for index in range(every.count()):
        box = every.nth(index).bounding_box()
        assert box["x"] >= inside["x"] - 1 and box["x"] + box["width"] <= inside["x"] + inside["width"] + 1

    # the mouse wheel zooms around the pointer; dragging pans
    cx, cy = centre(canvas.bounding_box())  # the page has scrolled to the diagram
    supervisor.mouse.move(cx, cy)
    supervisor.mouse.wheel(0, -400)
    supervisor.wait_for_function(f"() => document.querySelector('#case-diagram svg .viewport')"
                                 f".transform.baseVal.consolidate().matrix.a > {fitted}")
    before = viewport_matrix(supervisor)
    supervisor.mouse.move(cx, cy)
    supervisor.mouse.down()
    supervisor.mouse.move(cx + 60, cy + 30, steps=5)
    supervisor.mouse.up()
    after = viewport_matrix(supervisor)
    assert after[0] == before[0] and abs(after[4] - before[4] - 60) < 2 and abs(after[5] - before[5] - 30) < 2

    # "current step" (当前环节) brings it back to the middle
    supervisor.get_by_role("button", name="当前环节").click()
    (ex, ey) = centre(current.bounding_box())
    assert abs(cx - ex) < 5 and abs(cy - ey) < 5
    accessible(supervisor)
    no_english(supervisor, allow=ALLOW)
    shot(supervisor, "i14-deadlines-diagram-zoomed")
    supervisor.context.close()
