"""Issue 15: the pool asks PostgreSQL nothing before lending a connection (no pre-ping round
trip), yet a connection the server closed while it sat in the pool — PostgreSQL restarted, or
`pg_terminate_backend` — is never handed to a request: the next request succeeds and its work is
stored (app/connections.py)."""
import time

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.pool import NullPool

from app.cases.models import Case
from app.engine.models import HumanTask
from app.extensions import db
from tests import factories as f


@pytest.fixture
def village(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no server to close connections")
    f.deploy("simple_complaint.bpmn")
    unit = f.unit("210902001001", "village")
    f.user("registrar", (f.unit("210900-CENTER", "city", kind="centre"), "registrar"))
    f.user("handler", (unit, "handler"))
    return unit


def terminate_every_connection(database_url: str) -> int:
    """What a PostgreSQL restart does to the app's pooled connections: the server ends them all.
    Returns how many it ended, once they are gone."""
    admin = create_engine(database_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        with admin.connect() as conn:
            ended = conn.execute(text("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                                      "AND pid <> pg_backend_pid()")).scalars().all()
            conn.execute(text("SELECT pg_terminate_backend(pid) "
                              "FROM unnest(CAST(:ended AS integer[])) AS pid"), {"ended": list(ended)})
            deadline = time.monotonic() + 10
            while conn.scalar(text("SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(:ended)"),
                              {"ended": list(ended)}) and time.monotonic() < deadline:
                time.sleep(0.02)
    finally:
        admin.dispose()
    return len(ended)


def test_pool_does_not_ping_before_every_checkout(village):
    assert db.engine.pool._pre_ping is False
    assert db.engine.pool._recycle == 1800


def test_connections_do_not_compile_queries_just_in_time(village):
    # given the app's pool on PostgreSQL, whose server compiles costly queries by default
    # when a request's connection asks for the setting
    # then JIT is off for the app's sessions (app/connections.py)
    assert db.session.scalar(text("SHOW jit")) == "off"


def test_requests_after_the_server_closed_every_pooled_connection_succeed(client, village, database_url):
    # given a registrar and a handler signed in, a case registered, its task in the inbox: the
    # pool holds connections the requests used
    registrar, handler = f.auth(client, "registrar"), f.auth(client, "handler")
    number = client.post("/api/v1/cases", json={"title": "路灯不亮", "unit_code": village.code},
                         headers=registrar).json["number"]
    task_id = client.get("/api/v1/tasks", headers=handler).json[0]["id"]
    db.session.remove()  # every connection back in the pool

    # when PostgreSQL ends them all, as a restart does
    assert terminate_every_connection(database_url) >= 1

    # then the next requests get new connections: the handler's answer is taken and stored, and
    # a new case is registered
    done = client.post(f"/api/v1/tasks/{task_id}/complete", json={"data": {"action": "reply"}},
                       headers=handler)
    assert done.status_code == 200, done.json
    again = client.post("/api/v1/cases", json={"title": "井盖缺失"}, headers=registrar)
    assert again.status_code == 201, again.json
    assert db.session.scalar(select(HumanTask.status).where(HumanTask.id == task_id)) == "completed"
    assert db.session.scalar(select(Case.status).where(Case.number == number)) == "closed"
    assert db.session.scalar(select(Case.title).where(Case.number == again.json["number"])) == "井盖缺失"
