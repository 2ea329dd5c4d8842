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
            text = visible_text(response.get_data(as_text=True))
            words = english_words(text, allow=("Everyone", "deadline"))
            if words:
                found[(signed_in_as, path)] = sorted(set(words))[:12]
    assert not found, "\n".join(f"{who} {path}: {words}" for (who, path), words in found.items())


def test_a_task_forms_labels_and_options_arrive_in_the_pages_language(client, city):
    """Given the first-contact task, whose form file is written in English, when the handler
    opens it in zh-CN, then the schema handed to the form viewer is Chinese; in English, English."""
    task = city["desk"].task("handler_village", "first_contact")
    signed_in(client, "handler_village")
    chinese = client.get(f"/tasks/{task}", headers=ZH).get_data(as_text=True)
    english = client.get(f"/tasks/{task}", headers=EN).get_data(as_text=True)
    assert '"label": "接单办理"' in chinese and '"label": "联系情况"' in chinese
    assert '"label": "Take on the case"' not in chinese
    assert '"label": "Take on the case"' in english and '"label": "Contact note"' in english
    # and the viewer's own messages come with it: "Field is required." becomes Chinese
    assert '["Field is required.", "此项必填。"]' in chinese
    assert '"select": "请选择"' in chinese and '["Field is required.", "This field is required."]' in english


def test_a_refused_task_answer_names_its_problems_in_chinese_by_default(client, city):
    """Given a handler who replies without the reply's fields, when the page sends the answer,
    then each field's problem comes back in Chinese (English when the browser asks for it)."""
    desk = city["desk"]
    desk.sign_for("handler_village")
    task = desk.task("handler_village", "handle")
    signed_in(client, "handler_village")
    token = csrf_token(client, f"/tasks/{task}")
    answer = {"data": {"action": "reply", "result": "x" * 2001}}
    chinese = client.post(f"/tasks/{task}/complete", json=answer, headers={"X-CSRFToken": token, **ZH})
    english = client.post(f"/tasks/{task}/complete", json=answer, headers={"X-CSRFToken": token, **EN})
    assert chinese.status_code == 422
    assert chinese.json["errors"]["policy_basis"] == ["必填"]
    assert chinese.json["errors"]["result"] == ["最多 2000 个字"]
    assert english.json["errors"]["result"] == ["at most 2000 characters"]
    assert desk.holders() == [("handle", "V-XINGLONG", "handler")]


def test_the_timeline_names_steps_and_actions_in_chinese(client, city):
    """Given a case accepted at triage, dispatched and signed for, when a supervisor reads its
    timeline in zh-CN, then each step and action is named in Chinese, the same code "accept"
    after the label its own form gives it (受理 at triage, 接单办理 at first contact), and no code shows."""
    desk = city["desk"]
    desk.sign_for("handler_village")
    signed_in(client, "supervisor")
    page = client.get(f"/cases/{desk.number}", headers=ZH).get_data(as_text=True)
    timeline = " ".join(visible_text(page[page.index('<ol class="timeline"'):]).split())
    assert "生成任务 · 受理审查" in timeline and "完成任务 · 受理 · Registrar" in timeline
    assert "完成任务 · 交办 · Dispatcher" in timeline and "完成任务 · 接单办理 · Handler_Village" in timeline
    assert "已回电诉求人 · 已联系" in timeline and "村（社区）层级的通用交办规则" in timeline
    assert english_words(timeline) == []
    english = client.get(f"/cases/{desk.number}", headers=EN).get_data(as_text=True)
    english = " ".join(visible_text(english).split())
    assert "Task created · Triage" in english and "Task completed · Accept · Registrar" in english
    assert "Task completed · Take on the case · Handler_Village" in english


def test_the_case_diagram_is_labelled_in_the_pages_language(client, city):
    signed_in(client, "supervisor")
    number = city["desk"].number
    assert 'name="受理审查"' in client.get(f"/cases/{number}/diagram.json", headers=ZH).json["xml"]
    assert 'name="Triage"' in client.get(f"/cases/{number}/diagram.json", headers=EN).json["xml"]


def test_notifications_and_the_citizens_sms_are_chinese_whoever_caused_them(client, city):
    """Given a supervisor whose browser is English, when they send a reminder note, then the
    handlers' notification is Chinese (recipients read the default language); and when the
    reply is released the citizen's SMS is Chinese too."""
    desk = city["desk"]
    signed_in(client, "supervisor")
    token = csrf_token(client, f"/cases/{desk.number}")
    sent = client.post(f"/cases/{desk.number}/directives", headers=EN,
                       data={"csrf_token": token, "kind": "reminder_note", "text": "请今日联系"})
    assert sent.status_code == 302
    bodies = set(db.session.scalars(select_bodies(desk, "reminder_note")))
    assert bodies == {f"催办单（{desk.number}）：请今日联系"}
    desk.village_answers()
    sms = set(db.session.scalars(select_bodies(desk, "reply")))
    assert sms and all(body.startswith(f"您的诉求 {desk.number} 已答复，请对办理结果评价") for body in sms)


def select_bodies(desk, kind: str):
    from sqlalchemy import select

    from app.cases.models import Case

    case_id = select(Case.id).where(Case.number == desk.number).scalar_subquery()
    return select(OutboxMessage.body).where(OutboxMessage.case_id == case_id, OutboxMessage.kind == kind)
