"""The time-limit table (R18, R23): seeded defaults, most-specific lookup with fall-back,
deadlines, and the administrators' all-or-nothing, audited changes."""
from datetime import datetime

import pytest
from sqlalchemy import delete, func, select

from app.audit.models import AdminChange
from app.extensions import db
from app.timelimits import calendar, limits
from app.timelimits.models import TimeLimit
from tests import factories as f

URL = "/api/v1/admin/time-limits"
MONDAY = datetime(2025, 3, 10, 2, 0)  # 10:00 in Beijing, an ordinary working week


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def table() -> list[dict]:
    return [limits.as_dict(r) for r in limits.all_limits()]


@pytest.fixture
def seeded(app):
    limits.seed_defaults()
    db.session.commit()


@pytest.fixture
def people(app):
    centre = f.unit("210900-CENTER", "city", territory=f.territory("210900", "city"), kind="centre")
    f.user("admin", (centre, "administrator"))
    f.user("registrar", (centre, "registrar"))


@pytest.fixture
def admin(client, people, seeded):
    return f.auth(client, "admin")


def amount(phase, **dims):
    row = limits.find_limit(phase, **dims)
    return (row.amount, row.unit) if row else None


# --- defaults and lookup -----------------------------------------------------------------------

def test_seed_defaults_is_idempotent(app):
    # given an empty table (the harness seeds every test's database, as installation does)
    db.session.execute(TimeLimit.__table__.delete())
    assert limits.seed_defaults() == len(limits.DEFAULTS)
    assert limits.seed_defaults() == 0
    db.session.commit()
    assert count(TimeLimit) == len(limits.DEFAULTS)


def test_seeded_defaults(seeded):
    wd = "working_days"
    assert amount("dispatch") == (1, wd)
    assert amount("sign_for") == (1, wd)
    assert amount("first_contact") == (30, "minutes")
    assert amount("handling", request_type="consultation") == (1, wd)
    assert amount("handling", request_type="suggestion") == (1, wd)
    assert amount("handling", request_type="complaint", complexity="simple") == (2, wd)
    assert amount("handling", request_type="complaint", complexity="complex") == (5, wd)
    assert amount("handling", request_type="help", klass="development") == (10, wd)
    assert amount("handling", request_type="report", klass="enforcement") == (10, wd)
    assert amount("handling", request_type="complaint", complexity="especially_complex") == (20, wd)
    assert amount("handling", request_type="help") == (5, wd)  # the general row
    assert amount("unit_review") == (1, wd)
    assert amount("platform_review") == (1, wd)
    assert amount("rating_window") == (5, wd)
    assert amount("extension_max") == (20, wd)


def test_tie_break_by_dimension_priority(seeded):
    # one dimension each: klass beats request_type, complexity beats klass
    assert amount("handling", request_type="consultation", klass="development")[0] == 10
    assert amount("handling", klass="enforcement", complexity="especially_complex")[0] == 20
    # more dimensions beat priority: complaint+simple (2 dims) beats klass (1 dim)
    assert amount("handling", request_type="complaint", complexity="simple", klass="development")[0] == 2


def test_missing_specific_row_falls_back_to_the_general_one(seeded):
    db.session.execute(delete(TimeLimit).where(TimeLimit.request_type == "complaint",
                                               TimeLimit.complexity == "simple"))
    db.session.commit()
    assert amount("handling", request_type="complaint", complexity="simple")[0] == 5
    db.session.execute(delete(TimeLimit).where(TimeLimit.phase == "handling"))
    db.session.commit()
    assert limits.find_limit("handling", request_type="complaint") is None
    assert limits.deadline_for("handling", MONDAY, request_type="complaint") is None


def test_most_specific_row_wins(seeded):
    limits.update_limits([{"phase": "handling", "request_type": "complaint", "complexity": "simple",
                           "level": "village", "amount": 3, "unit": "working_days"}])
    db.session.commit()
    assert amount("handling", request_type="complaint", complexity="simple", level="village")[0] == 3
    assert amount("handling", request_type="complaint", complexity="simple", level="county")[0] == 2
    assert amount("handling", request_type="complaint", level="village")[0] == 5


def test_a_row_never_matches_a_missing_dimension(seeded):
    # the complaint/simple row needs both values; with only one, the general row applies
    assert amount("handling", complexity="simple")[0] == 5


def test_deadline_uses_the_calendar(seeded):
    due = limits.deadline_for("handling", MONDAY, request_type="complaint", complexity="simple")
    assert due == calendar.add(MONDAY, 2, "working_days")
    assert due > MONDAY
    assert limits.deadline_for("first_contact", MONDAY) == calendar.add(MONDAY, 30, "minutes")


def test_find_limit_is_one_query(app, seeded):
    from sqlalchemy import event
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        limits.find_limit("handling", request_type="complaint", complexity="simple", level="village")
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert len(statements) == 1


# --- API ---------------------------------------------------------------------------------------

def test_list(client, admin):
    response = client.get(URL, headers=admin)
    assert response.status_code == 200
    assert len(response.json) == len(limits.DEFAULTS)
    assert response.json[0]["phase"] == "dispatch"


@pytest.mark.parametrize("row, field, message", [
    ({"amount": -1}, "amount", "must be > 0"),
    ({"amount": 0}, "amount", "must be > 0"),
    ({"amount": 61}, "amount", "must be at most 60 working_days"),
    ({"amount": 10081, "unit": "minutes"}, "amount", "must be at most 10080 minutes"),
    ({"amount": 481, "unit": "hours"}, "amount", "must be at most 480 hours"),
    ({"amount": "2"}, "amount", "must be a number"),
    ({"amount": True}, "amount", "must be a number"),
    ({"amount": 1.5}, "amount", "must be a whole number of working_days (use working_hours)"),
    ({"unit": "fortnights"}, "unit", None),
    ({"phase": "lunch"}, "phase", None),
    ({"request_type": "praise"}, "request_type", None),
    ({"klass": "culture"}, "klass", None),
    ({"complexity": "trivial"}, "complexity", None),
    ({"level": "galaxy"}, "level", None),
    ({"auto_escalate": "yes"}, "auto_escalate", None),
    ({"colour": "red"}, "colour", "unknown field"),
])
def test_invalid_rows_change_nothing(client, admin, row, field, message):
    before = table()
    good = {"phase": "dispatch", "amount": 2, "unit": "working_days"}
    bad = {"phase": "handling", "request_type": "complaint", "complexity": "simple", "amount": 3,
           "unit": "working_days", **row}
    response = client.put(URL, json={"limits": [good, good | {"phase": "sign_for"}, bad]}, headers=admin)
    assert response.status_code == 422, response.json
    assert response.json["code"] == "invalid_data"
    assert list(response.json["errors"]) == [f"limits.2.{field}"]
    if message:
        assert response.json["errors"][f"limits.2.{field}"] == [message]
    db.session.expire_all()
    assert table() == before
    assert count(AdminChange) == 0


def test_every_bad_row_is_named(client, admin):
    response = client.put(URL, json={"limits": [
        {"phase": "dispatch", "amount": 0, "unit": "days"}, "nonsense",
        {"phase": "dispatch", "amount": 1, "unit": "hours"},
        {"phase": "dispatch", "amount": 2, "unit": "hours"}]},
        headers=admin)
    assert response.status_code == 422
    assert set(response.json["errors"]) == {"limits.0.amount", "limits.0.unit", "limits.1", "limits.3.phase"}


def test_missing_limits_is_refused(client, admin):
    assert client.put(URL, json={}, headers=admin).status_code == 422
    assert client.put(URL, json={"limits": "all"}, headers=admin).status_code == 422


def test_change_is_audited(client, admin):
    admin_id = f.user_id("admin")
    row = {"phase": "handling", "request_type": "complaint", "complexity": "simple", "amount": 3,
           "unit": "working_days", "auto_escalate": True}
    response = client.put(URL, json={"limits": [row]}, headers=admin)
    assert response.status_code == 200, response.json
    assert len(response.json) == len(limits.DEFAULTS)
    db.session.expire_all()
    assert amount("handling", request_type="complaint", complexity="simple")[0] == 3
    changed = limits.find_limit("handling", request_type="complaint", complexity="simple")
    assert changed.auto_escalate is True and changed.updated_by_id == admin_id

    # unchanged values write no audit row; a new row is audited with old = None
    new = {"phase": "first_contact", "level": "village", "amount": 1, "unit": "hours"}
    assert client.put(URL, json={"limits": [row, new]}, headers=admin).status_code == 200

    changes = client.get(URL + "/changes", headers=admin)
    assert changes.status_code == 200
    assert len(changes.json) == 2
    latest, first = changes.json
    assert latest["old"] is None and latest["new"]["level"] == "village" and latest["new"]["unit"] == "hours"
    assert first["user_id"] == admin_id
    assert first["old"]["amount"] == 2 and first["old"]["auto_escalate"] is False
    assert first["new"]["amount"] == 3 and first["new"]["auto_escalate"] is True
    assert first["new"]["complexity"] == "simple"
    assert count(TimeLimit) == len(limits.DEFAULTS) + 1


def test_omitted_auto_escalate_keeps_the_row_value(client, admin):
    row = {"phase": "dispatch", "amount": 1, "unit": "working_days"}
    client.put(URL, json={"limits": [row | {"auto_escalate": True}]}, headers=admin)
    client.put(URL, json={"limits": [row | {"amount": 2}]}, headers=admin)
    db.session.expire_all()
    dispatch = limits.find_limit("dispatch")
    assert (dispatch.amount, dispatch.auto_escalate) == (2, True)


def test_yellow_share_setting(client, admin):
    assert limits.yellow_share() == 0.25
    assert client.get("/api/v1/admin/settings/yellow-share", headers=admin).json == {"value": 0.25}
    bad = client.put("/api/v1/admin/settings/yellow-share", json={"value": 1.5}, headers=admin)
    assert bad.status_code == 422 and "value" in bad.json["errors"]
    ok = client.put("/api/v1/admin/settings/yellow-share", json={"value": 0.4}, headers=admin)
    assert ok.status_code == 200 and ok.json == {"value": 0.4}
    db.session.expire_all()
    assert limits.yellow_share() == 0.4


@pytest.mark.parametrize("method, path", [("get", URL), ("put", URL), ("get", URL + "/changes"),
                                          ("get", "/api/v1/admin/settings/yellow-share"),
                                          ("put", "/api/v1/admin/settings/yellow-share")])
def test_administrators_only(client, people, seeded, method, path):
    body = {"limits": [{"phase": "dispatch", "amount": 9, "unit": "working_days"}]}
    assert getattr(client, method)(path, json=body).status_code == 401
    registrar = f.auth(client, "registrar")
    assert getattr(client, method)(path, json=body, headers=registrar).status_code == 403
    db.session.expire_all()
    assert amount("dispatch")[0] == 1
    assert count(AdminChange) == 0
