"""Chinese throughout (issue 14): what designers write once in English (form texts, BPMN names)
and what the platform writes by itself (form checks, timeline values, notifications) reaches a
zh-CN user in Chinese, through the same catalogue as the pages; English on request.

The page check is the browser tests' `no_english` over each page's HTML (test client)."""
import re

import pytest

from app.extensions import db
from app.notifications.models import OutboxMessage
from tests import factories as f
from tests.browser_helpers import english_words, visible_text
from tests.complaint_city import Desk, build_city
from tests.web_helpers import csrf_token, signed_in

ZH = {"Accept-Language": "zh-CN"}
EN = {"Accept-Language": "en"}
#: GET routes without parameters that are not pages (files, JSON, feeds, redirects)
NOT_PAGES = re.compile(r"^/(api|static|open311|health)|\.(json|xlsx|csv|png|svg|xml|pdf)$|/export|/logout")


@pytest.fixture
def city(client, app):
    city = build_city()
    staff = [(city["centre"], role) for role in ("administrator", "platform_supervisor", "dispatcher",
                                                 "registrar", "leader", "process_designer", "auditor")]
    f.user("everyone", *staff)
    desk = Desk(client)
    desk.village_case(city["units"], title="路灯不亮")
    city["desk"] = desk
    return city


def staff_pages(app) -> list[str]:
    return sorted({rule.rule for rule in app.url_map.iter_rules()
                   if "GET" in rule.methods and not rule.arguments and not NOT_PAGES.search(rule.rule)})


def test_no_english_on_any_staff_or_public_page_in_chinese(client, app, city):
    """Given a city with a case on its way, when someone with every staff role opens each page
    (and the citizen's pages signed out) in zh-CN, then no page shows English words."""
    desk = city["desk"]
    task = desk.task("handler_village", "first_contact")
    pages = [*staff_pages(app), f"/cases/{desk.number}", f"/tasks/{task}"]
    found = {}
    for signed_in_as in (None, "everyone"):
        if signed_in_as:
            signed_in(client, signed_in_as)
        for path in pages:
            response = client.get(path, headers=ZH)
            if response.status_code != 200 or response.mimetype != "text/html":
                continue
            words = english_words(visible_text(response.get_data(as_text=True)), allow=("Everyone", "deadline"))
            if words:
                found[(signed_in_as, path)] = sorted(set(words))[:12]
    assert not found, "\n".join(f"{who} {path}: {words}" for (who, path), words in found.items())
