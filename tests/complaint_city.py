"""A small city for the complaint-process scenarios: one village under one township under one
county, units at every level with routing rules, an enforcement department with two cooperating
units, and the platform's staff. Tests drive it over HTTP through `Desk`."""
from dataclasses import dataclass, field

from app.extensions import db
from tests import factories as f
from tests.web_helpers import csrf_token

LEVEL_UNITS = {"village": "V-XINGLONG", "township": "T-ZHANGWU", "county": "K-FUXIN-COUNTY",
               "city": "D-CITY-HOUSING"}


def build_city() -> dict:
    f.deploy("complaint.bpmn")
    city = f.territory("210900", "city", name="阜新市")
    county = f.territory("210921", "county", city, name="阜新县")
    township = f.territory("210921001", "township", county, name="彰武镇")
    village = f.territory("210921001001", "village", township, name="兴隆村")
    centre = f.unit("C-CITY", "city", territory=city, kind="centre")
    units = {
        "village": f.unit(LEVEL_UNITS["village"], "village", territory=village, kind="committee"),
        "township": f.unit(LEVEL_UNITS["township"], "township", territory=township),
        "county": f.unit(LEVEL_UNITS["county"], "county", territory=county),
        "city": f.unit(LEVEL_UNITS["city"], "city", territory=city, kind="department"),
    }
    for level, territory in zip(LEVEL_UNITS, (village, township, county, city), strict=True):
        f.routing_rule(territory, level, units[level])
    market = f.category("market", klass="enforcement", name="无证经营 Unlicensed trading")
    f.category("lamp", name="路灯 Street lamps")
    units["lead"] = f.unit("E-MARKET", "county", territory=county, kind="department")
    units["police"] = f.unit("P-POLICE", "county", territory=county, kind="department")
    units["urban"] = f.unit("U-URBAN", "county", territory=county, kind="department")
    f.routing_rule(county, "county", units["lead"], market)
    for name in ("registrar", "dispatcher", "leader"):
        f.user(name, (centre, name))
    f.user("supervisor", (centre, "platform_supervisor"))
    for key, unit in units.items():
        f.user(f"handler_{key}", (unit, "handler"))
        f.user(f"reviewer_{key}", (unit, "unit_reviewer"))
    f.user("leader_village", (units["village"], "leader"))
    return {"centre": centre, "units": units, "village": village, "township": township}


#: the names a 12345 worker reads instead of codes (tests of task pages and case pages)
UNIT_NAMES = {"village": "兴隆村村民委员会", "township": "彰武镇人民政府", "county": "阜新县人民政府"}
CENTRE_NAME = "阜新市12345热线中心"


def named_city() -> dict:
    """build_city() with the units' real names."""
    built = build_city()
    for key, name in UNIT_NAMES.items():
        built["units"][key].name = name
    built["centre"].name = CENTRE_NAME
    db.session.commit()
    return built


def assessment_city(tokens: dict, appeals: bool = False) -> dict:
    """The city with an administrator (and the appeal process), for the assessment scenarios;
    `tokens` is the module's token cache of its `Desk`s, emptied for the new test."""
    tokens.clear()
    built = build_city()
    if appeals:
        f.deploy("appeal.bpmn")
    f.user("admin", (built["centre"], "administrator"))
    return built


@dataclass
class Desk:
    """Acts for the city's staff over the HTTP API, one login each."""

    client: object
    number: str = ""
    tokens: dict = field(default_factory=dict)

    def headers(self, user: str) -> dict:
        if user not in self.tokens:
            self.tokens[user] = f.auth(self.client, user)
        return self.tokens[user]

    def call(self, method: str, path: str, user: str, expected: int = 200, **kwargs):
        """An API call as `user` that must answer `expected`; its JSON."""
        response = self.client.open(path, method=method, headers=self.headers(user), **kwargs)
        assert response.status_code == expected, response.json
        return response.json

    def register(self, **fields) -> dict:
        body = {"title": "路灯不亮 Street lamp out", "territory_code": "210921001001",
                "category_code": "lamp", "request_type": "complaint", "requester_phone": "13812345678",
                **fields}
        response = self.client.post("/api/v1/cases", json=body, headers=self.headers("registrar"))
        assert response.status_code == 201, response.json
        self.number = response.json["number"]
        return response.json

    def case(self) -> dict:
        response = self.client.get(f"/api/v1/cases/{self.number}", headers=self.headers("supervisor"))
        assert response.status_code == 200, response.json
        return response.json

    def holders(self) -> list[tuple]:
        """(element, unit code, role) of each open task: who holds the case now."""
        return sorted((h["element_id"], h["unit_code"], h["role"]) for h in self.case()["holders"])

    def task(self, user: str, element: str) -> str:
        inbox = self.client.get("/api/v1/tasks?limit=200", headers=self.headers(user)).json
        mine = [t["id"] for t in inbox if t["case_number"] == self.number and t["element_id"] == element]
        assert mine, f"{user} has no {element} task for {self.number}: {inbox}"
        return mine[0]

    def submit(self, user: str, element: str, claim: bool = False, **data):
        task_id = self.task(user, element)
        if claim:
            claimed = self.client.post(f"/api/v1/tasks/{task_id}/claim", headers=self.headers(user))
            assert claimed.status_code == 200, claimed.json
        return self.client.post(f"/api/v1/tasks/{task_id}/complete", json={"data": data},
                                headers=self.headers(user))

    def do(self, user: str, element: str, claim: bool = False, **data) -> dict:
        response = self.submit(user, element, claim, **data)
        assert response.status_code == 200, response.json
        return response.json

    def events(self) -> list[str]:
        """The case's timeline, without task bookkeeping: what happened to the case."""
        skip = {"task_created", "task_completed", "task_claimed", "task_cancelled", "process_started"}
        return [e["kind"] for e in self.case()["timeline"] if e["kind"] not in skip]

    def path(self) -> list[str]:
        """The user tasks completed, in order."""
        return [e["element_id"] for e in self.case()["timeline"] if e["kind"] == "task_completed"]

    # The common steps -------------------------------------------------------------------------
    def accept_and_dispatch(self, unit_key: str, units: dict, level: str, **extra) -> None:
        self.do("registrar", "triage", action="accept")
        self.do("dispatcher", "dispatch", action="assign", unit_id=units[unit_key].id, level=level,
                complexity="simple", **extra)

    def village_case(self, units: dict, **fields) -> None:
        """Register a case and dispatch it to the village committee."""
        self.register(**fields)
        self.accept_and_dispatch("village", units, "village")

    def village_answers(self) -> None:
        """The village signs for it, replies, and the reply passes both reviews."""
        self.sign_for("handler_village")
        self.reply("handler_village")
        self.approve_reply("reviewer_village")

    def cooperation_under_way(self, units: dict) -> None:
        """An unlicensed-stall report with the county's market department leading, police and
        urban management cooperating at the same time (R12), signed for by the lead."""
        self.register(title="无证经营 Unlicensed stall", category_code="market", request_type="report")
        self.do("registrar", "triage", action="accept")
        self.do("dispatcher", "dispatch", action="assign", unit_id=units["lead"].id, level="county",
                complexity="complex", cooperating_unit_ids=[units["police"].id, units["urban"].id])
        self.sign_for("handler_lead")

    def sign_for(self, handler: str) -> None:
        self.do(handler, "first_contact", claim=True, action="accept", contact_result="reached")

    def reply(self, handler: str) -> None:
        self.do(handler, "handle", action="reply", policy_basis="《城市道路照明设施管理规定》",
                result="已更换灯泡，恢复照明 Lamp replaced", responsible_person="王主任",
                contact_phone="13900001111")

    def approve_reply(self, reviewer: str) -> None:
        self.do(reviewer, "unit_review", action="approve")
        self.do("supervisor", "platform_review", action="approve")

    def rate(self, satisfaction: str, resolution: str) -> None:
        self.do("supervisor", "rating", satisfaction=satisfaction, resolution=resolution,
                rating_channel="phone")

    def rate_online(self, satisfaction: str, resolution: str, comment: str = "") -> None:
        """The requester rates on the tracking page, found by number and phone (R25)."""
        with self.client.session_transaction() as session:
            session.clear()
        link = self.client.post("/track", data={"csrf_token": csrf_token(self.client, "/track"),
                                                "number": self.number, "phone": "13812345678"}).location
        rated = self.client.post(f"{link}/rate", data={
            "csrf_token": csrf_token(self.client, link), "satisfaction": satisfaction,
            "resolution": resolution, "comment": comment})
        assert rated.status_code == 302, rated.status_code

    def village_fails_twice(self, units: dict, result: str = "not_completed") -> None:
        """A case the village handles twice and the requester rejects twice; the platform assesses
        the village (R26) and the case closes unsatisfied."""
        self.village_case(units)
        for _ in range(2):
            self.village_answers()
            self.rate("unsatisfied", "unresolved")
            if self.holders() == [("second_handling", "C-CITY", "platform_supervisor")]:
                self.do("supervisor", "second_handling", action="same_unit")
        assert self.holders() == [("assess", "C-CITY", "platform_supervisor")]
        self.do("supervisor", "assess", assessment=result, assessment_note="未按承诺时间整改")
