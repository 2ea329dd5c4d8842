"""The handler workspace pages over HTTP (the browser test drives the same pages in Chromium):
the inbox filters and queues, completing a task as JSON with per-field errors, double
submission, CSRF, jurisdiction, directives from the case page."""
import io
import json
import re

import pytest

from tests.complaint_city import Desk, build_city
from tests.web_helpers import csrf_token, post_form, signed_in


@pytest.fixture
def desk(client, app):
    city = build_city()
    desk = Desk(client)
    desk.village_case(city["units"], title="路灯不亮 Street lamp out")
    desk.city = city
    return desk


def task_id(desk, user, element):
    return desk.task(user, element)


def complete(client, task, data, token):
    return client.post(f"/tasks/{task}/complete", json={"data": data}, headers={"X-CSRFToken": token})


def test_the_inbox_lists_filters_and_queues_the_users_tasks(client, desk):
    signed_in(client, "handler_village")
    page = client.get("/inbox").get_data(as_text=True)
    assert desk.number in page and "Street lamp out" in page
    assert desk.number not in client.get("/inbox?q=nothing-like-it").get_data(as_text=True)
    assert desk.number not in client.get("/inbox?queue=review").get_data(as_text=True)
    # a first contact that has just begun is blue: its 30 minutes are not yet in their last quarter (R20)
    filtered = client.get("/inbox?scope=unclaimed&light=blue&type=complaint").get_data(as_text=True)
    assert desk.number in filtered
    assert desk.number not in client.get("/inbox?light=yellow").get_data(as_text=True)
    assert client.get("/inbox?scope=bogus&light=purple&from=not-a-date").status_code == 200  # ignored
    signed_in(client, "handler_township")
    assert desk.number not in client.get("/inbox").get_data(as_text=True)


def test_a_task_completed_from_its_page_moves_on_and_a_second_submission_is_refused(client, desk):
    first = task_id(desk, "handler_village", "first_contact")
    signed_in(client, "handler_village")
    page = client.get(f"/tasks/{first}").get_data(as_text=True)
    assert 'id="task-form-schema"' in page and "first-contact" in page
    token = csrf_token(client, f"/tasks/{first}")
    done = complete(client, first, {"action": "accept", "contact_result": "reached"}, token)
    assert done.status_code == 200
    handle = task_id(desk, "handler_village", "handle")
    assert done.json["next"] == f"/tasks/{handle}"  # the next task in my inbox
    again = complete(client, first, {"action": "accept", "contact_result": "reached"}, token)
    assert again.status_code == 409 and desk.path().count("first_contact") == 1


def test_bad_answers_come_back_by_field_and_change_nothing(client, desk):
    first = task_id(desk, "handler_village", "first_contact")
    signed_in(client, "handler_village")
    token = csrf_token(client, f"/tasks/{first}")
    refused = complete(client, first, {"action": "return", "return_reason": "短"}, token)
    assert refused.status_code == 422 and set(refused.json["errors"]) == {"return_reason"}
    assert desk.holders() == [("first_contact", "V-XINGLONG", "handler")]
    no_csrf = client.post(f"/tasks/{first}/complete", json={"data": {"action": "accept"}})
    assert no_csrf.status_code == 400
    assert complete(client, first, ["not", "an", "object"], token).status_code == 400


def test_only_the_allowed_actions_are_offered_on_the_task_page(client, desk):
    units = desk.city["units"]
    desk.do("handler_village", "first_contact", claim=True, action="return", return_reason="不属于本村职责")
    desk.do("dispatcher", "review_return", action="overrule")
    task = task_id(desk, "handler_village", "first_contact")
    signed_in(client, "handler_village")
    page = client.get(f"/tasks/{task}").get_data(as_text=True)
    assert '"value": "accept"' in page and '"value": "return"' not in page
    assert desk.holders() == [("first_contact", units["village"].code, "handler")]


def test_a_supervisor_sends_a_reminder_note_from_the_case_page(client, desk):
    signed_in(client, "supervisor")
    sent = post_form(client, f"/cases/{desk.number}/directives",
                     {"kind": "reminder_note", "text": "请今日联系"}, page=f"/cases/{desk.number}")
    assert sent.status_code == 302
    assert "请今日联系" in client.get(f"/cases/{desk.number}").get_data(as_text=True)
    signed_in(client, "handler_village")  # handlers may not write directives
    assert post_form(client, f"/cases/{desk.number}/directives", {"kind": "reminder_note", "text": "x"},
                     page=f"/cases/{desk.number}").status_code == 403


def test_the_case_diagram_is_the_cases_own_version_with_its_position(client, desk):
    signed_in(client, "supervisor")
    diagram = client.get(f"/cases/{desk.number}/diagram.json").json
    assert diagram["current"] == ["first_contact"] and {"triage", "dispatch"} <= set(diagram["done"])
    assert diagram["xml"].startswith("<?xml") and 'id="first_contact"' in diagram["xml"]
    signed_in(client, "handler_county")
    assert client.get(f"/cases/{desk.number}/diagram.json").status_code == 404


def test_attachments_show_on_the_task_page_and_case_page(client, desk):
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
    added = client.post(f"/api/v1/cases/{desk.number}/attachments", headers=desk.headers("registrar"),
                        data={"file": (io.BytesIO(png), "现场.png")}, content_type="multipart/form-data")
    assert added.status_code == 201
    src = f"/cases/{desk.number}/attachments/{added.json['id']}"
    task = task_id(desk, "handler_village", "first_contact")
    signed_in(client, "handler_village")
    assert f'src="{src}"' in client.get(f"/tasks/{task}").get_data(as_text=True)
    assert f'src="{src}"' in client.get(f"/cases/{desk.number}").get_data(as_text=True)
    served = client.get(src)
    assert served.status_code == 200 and served.data == png
    assert served.headers["X-Content-Type-Options"] == "nosniff"


def test_R30_a_leaders_instruction_heads_the_case_and_the_handlers_task(client, desk):
    written = client.post(f"/api/v1/cases/{desk.number}/directives", headers=desk.headers("leader"),
                          json={"kind": "instruction", "text": "务必三日内办结并回访"})
    assert written.status_code == 201
    task = task_id(desk, "handler_village", "first_contact")
    signed_in(client, "handler_village")
    for page in (f"/tasks/{task}", f"/cases/{desk.number}"):
        html = client.get(page).get_data(as_text=True)
        aside = html.index('class="instruction"')
        assert "务必三日内办结并回访" in html[aside:aside + 400] and aside < html.index("<section")


def test_R8_the_dispatch_form_comes_with_the_catalogues_proposal_and_the_units_by_level(client, app):
    city = build_city()
    desk = Desk(client)
    desk.register()
    desk.do("registrar", "triage", action="accept")
    task = task_id(desk, "dispatcher", "dispatch")
    signed_in(client, "dispatcher")
    page = client.get(f"/tasks/{task}").get_data(as_text=True)
    initial = json.loads(re.search(r'id="task-form-data">(.*?)</script>', page, re.S).group(1))
    assert (initial["unit_id"], initial["level"]) == (city["units"]["village"].id, "village")
    levels = [choice["label"].split("(")[-1].rstrip(")") for choice in initial["unit_choices"]]
    assert levels[0] == "V-XINGLONG" and levels.index("T-ZHANGWU") < levels.index("K-FUXIN-COUNTY")
    assert levels.index("K-FUXIN-COUNTY") < levels.index("D-CITY-HOUSING")
