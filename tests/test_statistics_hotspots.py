"""Hot spots (R35, 按图索骥、找寻病根) over the API: similar requests in one place and window are
found, flagged as repeated or group requests, seen within the viewer's jurisdiction, and turned
into a supervision order (督办单) for a lead unit. Definitions: docs/statistics.md."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.clock import utcnow
from app.extensions import db
from app.notifications.models import OutboxMessage
from app.organisation.models import Territory
from app.statistics import hotspots
from app.statistics.links import local_day
from app.timelimits import calendar
from tests import factories as f
from tests.complaint_city import Desk, build_city

API = "/api/v1/statistics"
VILLAGE = "210921001001"
LAMP_OUT = ("兴隆村东头路灯不亮好几天了，晚上出行不便",
            "市民来电反映：兴隆村东头路灯不亮，夜里一片漆黑，希望尽快维修",
            "兴隆村东头几盏路灯不亮，老人孩子走夜路很危险",
            "网格员上报：兴隆村东头路灯不亮，夜间行人摔倒")
LAMP_ON = "村委会门口的路灯大白天一直开着，太浪费电了"
GARBAGE = ("兴隆村三组垃圾没人清运，堆了一个多星期，气味难闻",
           "兴隆村三组垃圾没人清运，垃圾箱满了，苍蝇很多",
           "市民来电反映：兴隆村三组垃圾没人清运，臭味很大",
           "兴隆村三组垃圾没人清运，堆成了小山，夏天发臭",
           "兴隆村三组垃圾长期没人清运，气味难闻")
_TOKENS: dict = {}


@pytest.fixture
def city(app):
    _TOKENS.clear()
    made = build_city()
    f.category("garbage", name="环境卫生 Sanitation")
    return made


def id_number(body: str) -> str:
    """An 18-character ID number with its GB 11643 check character."""
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]


def register(client, text: str, category: str = "lamp", territory: str = VILLAGE,
             phone: str = "13812345678", **fields) -> str:
    desk = Desk(client, tokens=_TOKENS)
    title, _, description = text.partition("，")
    desk.register(title=title, description=description, category_code=category, territory_code=territory,
                  requester_phone=phone, **fields)
    return desk.number


def get(client, path, user="leader", status=200, **params):
    headers = Desk(client, tokens=_TOKENS).headers(user)
    response = client.get(f"{API}{path}", query_string=params, headers=headers)
    assert response.status_code == status, response.json
    return response.json


def phones(n: int) -> list[str]:
    return [f"1390000{i:04d}" for i in range(n)]


def test_R35_similar_requests_in_one_village_are_a_hot_spot_and_another_matter_is_not_in_it(client, city):
    # given four requests about the lamps out at the village's east end (one registered at a grid of
    # the village), one about a lamp on all day in the same village and category, and one similar
    # text of another category
    grid = f.territory("210921001001001", "grid", city["village"], name="兴隆村一网格")
    out = [register(client, text, phone=phone) for text, phone in zip(LAMP_OUT[:3], phones(3), strict=True)]
    out.append(register(client, LAMP_OUT[3], territory=grid.code, phone="13900009999"))
    always_on = register(client, LAMP_ON)
    register(client, LAMP_OUT[0], category="garbage")
    # when the city's leader asks for hot spots of three or more
    spots = get(client, "/hotspots", min_count=3)
    # then the four are one hot spot of the village, without the lamp that is on all day
    assert [(s["territory_code"], s["territory_name"], s["category_code"], s["count"]) for s in spots] == [
        (VILLAGE, "兴隆村", "lamp", 4)]
    assert sorted(spots[0]["cases"]) == sorted(out) and always_on not in spots[0]["cases"]
    assert "东头" in spots[0]["keywords"]
    assert (spots[0]["group"], spots[0]["repeated"], spots[0]["requesters"]) == (False, False, 4)
    # and its drill-down lists the requests of its place and category
    listed = get(client, "/cases", **spots[0]["drill_down"])
    assert listed["total"] == 5
    # and with five or more it is not a hot spot
    assert get(client, "/hotspots", min_count=5) == []


def test_R35_repeated_requests_and_group_requests_are_flagged(client, city):
    # given the lamps reported three times by two people (the second and third by the same ID number
    # from two phones), and the rubbish reported by five people, two of them for the same address
    person = id_number("21092119800101123")
    lamps = [register(client, LAMP_OUT[0], phone="13900000001"),
             register(client, LAMP_OUT[1], phone="13900000002", id_number=person),
             register(client, LAMP_OUT[2], phone="13900000003", id_number=person)]
    addresses = ["兴隆村三组20号", "兴隆村三组12号", "兴隆村三组22号", "兴隆村 三组 12 号", "兴隆村三组24号"]
    rubbish = [register(client, text, category="garbage", phone=phone, address=address)
               for text, phone, address in zip(GARBAGE, phones(5), addresses, strict=True)]
    # when the leader asks
    spots = {s["category_code"]: s for s in get(client, "/hotspots", min_count=3)}
    # then the lamps are repeated requests of two requesters, not a group request
    lamp = spots["lamp"]
    assert (lamp["requesters"], lamp["repeated"], lamp["group"]) == (2, True, False)
    assert sorted(spots["lamp"]["repeated_cases"]) == sorted(lamps[1:])
    # and the rubbish is a group request of five, repeated for one address
    assert (spots["garbage"]["requesters"], spots["garbage"]["group"]) == (5, True)
    assert sorted(spots["garbage"]["repeated_cases"]) == sorted([rubbish[1], rubbish[3]])


def second_county(city):
    whole_city = db.session.scalar(select(Territory).where(Territory.code == "210900"))
    county = f.territory("210922", "county", whole_city, name="彰武县")
    village = f.territory("210922001001", "village", county, name="前进村")
    unit = f.unit("V-QIANJIN", "village", territory=village, kind="committee")
    f.routing_rule(village, "village", unit)
    centre = f.unit("C-ZHANGWU", "county", territory=county, kind="centre")
    f.user("leader_b", (centre, "leader"))
    return unit


def test_a_district_leader_sees_only_the_districts_hot_spots(client, city):
    # given a hot spot in each of two counties
    second_county(city)
    for text in LAMP_OUT[:3]:
        register(client, text)
        register(client, text.replace("兴隆村", "前进村"), territory="210922001001")
    # then the second county's leader sees its own, the city's leader both
    assert [s["territory_code"] for s in get(client, "/hotspots", user="leader_b")] == ["210922001001"]
    assert sorted(s["territory_code"] for s in get(client, "/hotspots")) == ["210921001001", "210922001001"]
    # and asking for the other county changes nothing
    assert get(client, "/hotspots", user="leader_b", territory="210921") == []


def test_hot_spots_refuse_a_bad_min_count_or_a_period_longer_than_a_quarter(client, city):
    assert "min_count" in get(client, "/hotspots", status=422, min_count=1)["errors"]
    today = local_day(utcnow())
    refused = get(client, "/hotspots", status=422, **{"from": (today - timedelta(days=200)).isoformat()})
    assert "to" in refused["errors"]


def order(client, key, user="leader", **body):
    payload = {"hotspot": key, "lead_unit": "T-ZHANGWU", "working_days": 5,
               "text": "请镇政府牵头，排查路灯线路", **body}
    headers = Desk(client, tokens=_TOKENS).headers(user)
    return client.post(f"{API}/hotspots/orders", json=payload, headers=headers)


def test_R35_a_leader_turns_a_hot_spot_into_a_supervision_order_for_a_lead_unit(client, city, monkeypatch):
    # given a hot spot of three requests in the village, whose case ids are read two at a time
    # (a city-month's hot spots hold more cases than one statement may bind)
    monkeypatch.setattr(hotspots, "ID_CHUNK", 2)
    numbers = [register(client, text, phone=phone)
               for text, phone in zip(LAMP_OUT[:3], phones(3), strict=True)]
    key = get(client, "/hotspots")[0]["key"]
    # when the city's leader orders the township to settle it within 5 working days
    made = order(client, key)
    # then the order is recorded with the calendar's deadline and the hot spot's cases
    assert made.status_code == 201, made.json
    assert made.json["lead_unit_code"] == "T-ZHANGWU" and made.json["working_days"] == 5
    assert made.json["due_at"][:16] == calendar.add(utcnow(), 5, "working_days").isoformat()[:16]
    assert sorted(c["number"] for c in made.json["cases"]) == sorted(numbers)
    # and each case shows it
    for number in numbers:
        headers = Desk(client, tokens=_TOKENS).headers("supervisor")
        case = client.get(f"/api/v1/cases/{number}", headers=headers).json
        assert [d["kind"] for d in case["directives"]] == ["supervision_order"]
        assert "请镇政府牵头" in case["directives"][0]["text"]
    # and the township's people are told, nobody else
    told = set(db.session.scalars(select(OutboxMessage.user_id).where(OutboxMessage.kind == "hotspot_order")))
    assert told == {f.user_id(name) for name in ("handler_township", "reviewer_township")}
    # and the hot spot names its order, which the lead unit may read and the village may not
    assert get(client, "/hotspots")[0]["orders"] == [made.json["id"]]
    assert get(client, f"/hotspots/orders/{made.json['id']}", user="handler_township")["cases"]
    get(client, f"/hotspots/orders/{made.json['id']}", user="handler_village", status=404)
    # and ordering it again is refused: it is recorded once
    again = order(client, key)
    assert again.status_code == 409, again.json


def test_a_hot_spot_order_keeps_the_lead_units_jurisdiction(client, city):
    other_village = second_county(city)
    for text, phone in zip(LAMP_OUT[:3], phones(3), strict=True):
        register(client, text, phone=phone)
    key = get(client, "/hotspots")[0]["key"]
    # a unit of another county, or of another village, cannot lead; a handler cannot order
    assert "lead_unit" in order(client, key, lead_unit=other_village.code).json["errors"]
    assert "lead_unit" in order(client, key, lead_unit="C-ZHANGWU").json["errors"]
    assert order(client, key, user="handler_village").status_code == 403
    # a county's leader cannot make a city department lead, the city's leader can
    f.user("leader_county", (city["units"]["county"], "leader"))
    assert "lead_unit" in order(client, key, user="leader_county", lead_unit="D-CITY-HOUSING").json["errors"]
    # bad input is refused per field and records nothing
    refused = order(client, "nonsense", working_days=0, text=" ")
    assert refused.status_code == 422 and set(refused.json["errors"]) >= {"hotspot", "working_days", "text"}
    assert db.session.scalar(select(OutboxMessage.id).where(OutboxMessage.kind == "hotspot_order")) is None
