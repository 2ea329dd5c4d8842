"""Likely duplicates are bounded (issue 15; docs/process-design.md, "Likely duplicates"): the text
is compared with the 100 newest cases of the same place within the window only, and at most 10
are shown — the same phone first, then the most similar texts — with a note saying how many were
found when there were more."""
import pytest
from sqlalchemy import select

from app.accounts.models import User
from app.cases.duplicates import possible_duplicates
from app.cases.service import NewCase, create_case
from app.extensions import db
from app.organisation.models import Territory
from tests.complaint_city import build_city
from tests.web_helpers import csrf_token, signed_in

PLACE = "210921001001"
LAMP = ("兴隆村村口路灯不亮", "兴隆村村口的路灯坏了三天，晚上很黑")
PHONE = "13800000000"


@pytest.fixture
def registrar(app) -> User:
    build_city()
    return db.session.scalar(select(User).where(User.username == "registrar"))


def register(registrar: User, title: str, description: str, phone: str | None = None) -> str:
    case, _ = create_case(NewCase(title=title, description=description, territory_code=PLACE,
                                  requester_phone=phone, channel="hotline"), registrar)
    return case.number


def other_problems(registrar: User, count: int) -> None:
    for i in range(count):
        register(registrar, f"垃圾桶满了{i}", f"第{i}组的垃圾没人清运")


def lamp_duplicates(registrar: User, phone: str | None = None):
    """What the desk finds for another call about the lamp."""
    place = db.session.scalar(select(Territory.id).where(Territory.code == PLACE))
    return possible_duplicates(registrar, phone, place, " ".join(LAMP))


def test_only_the_100_newest_cases_of_the_same_place_are_compared(registrar):
    lamp = register(registrar, *LAMP)
    other_problems(registrar, 99)
    assert [d.number for d in lamp_duplicates(registrar)] == [lamp]  # the 100th newest: compared

    other_problems(registrar, 1)

    found = lamp_duplicates(registrar)
    assert list(found) == [] and found.found == 0  # now the 101st newest: not compared


def test_at_most_10_are_shown_the_same_phone_first_then_the_most_similar(registrar):
    same_phone = register(registrar, "社保卡补办", "社保卡丢了怎么补办", phone=PHONE)
    for days in range(2, 14):
        register(registrar, f"村口路灯不亮{days}天", f"兴隆村的路灯坏了{days}天，请尽快修理")
    same_text = register(registrar, *LAMP)

    found = lamp_duplicates(registrar, phone=PHONE)

    assert len(found) == 10 and found.found == 14 and found.more
    assert [d.why for d in found] == ["phone"] + ["place"] * 9
    assert [d.number for d in found][:2] == [same_phone, same_text]  # then the most similar text


def test_the_desk_says_how_many_were_found_when_it_shows_only_the_likeliest(client, registrar):
    for days in range(2, 14):
        register(registrar, f"村口路灯不亮{days}天", f"兴隆村的路灯坏了{days}天，请尽快修理")
    signed_in(client, "registrar")

    page = client.post("/desk", data={
        "csrf_token": csrf_token(client, "/desk"), "phone": PHONE, "request_type": "complaint",
        "category_code": "lamp", "territory_code": PLACE, "title": LAMP[0], "description": LAMP[1],
        "decision": "accept"}).get_data(as_text=True)

    assert page.count('name="duplicate_of" value="HY') == 10
    assert 'id="duplicates-more"' in page and "12" in page.split('id="duplicates-more"')[1].split("</p>")[0]
