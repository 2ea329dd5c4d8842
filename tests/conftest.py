"""Test harness: every test that uses `app` runs on SQLite, and on PostgreSQL as well when
TEST_DATABASE_URL is set. Migrations run once per backend; each test starts from empty tables."""
import os
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
from argon2 import PasswordHasher, profiles
from flask_migrate import upgrade
from sqlalchemy import create_engine, inspect, make_url, text
from werkzeug.serving import make_server

from app import create_app
from app.accounts import security
from app.engine import repository, scripting
from app.extensions import db
from app.timelimits.limits import seed_defaults

BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else [])
BPMN_DIR = Path(__file__).parent / "bpmn"


def pytest_collection_modifyitems(config, items):
    """Browser tests, and tests marked `sqlite_only`, run on SQLite alone: a browser proves what the
    pages show and do, which the same services give on both databases (every service and API test
    runs on PostgreSQL too). Running them twice doubled the suite's slowest part for nothing."""
    kept, dropped = [], []
    for item in items:
        params = item.callspec.params if hasattr(item, "callspec") else {}
        on_postgresql = params.get("database_url") == "postgresql"
        one_backend = item.get_closest_marker("browser") or item.get_closest_marker("sqlite_only")
        (dropped if on_postgresql and one_backend else kept).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


def _worker_database(url: str) -> str:
    """Under pytest-xdist each worker gets its own PostgreSQL database (`test_gw0`, …), created
    on first use next to the configured one."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return url
    configured = make_url(url)
    name = f"{configured.database}_{worker}"
    engine = create_engine(configured, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        if not conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}):
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return configured.set(database=name).render_as_string(hide_password=False)


def _drop_everything(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(autouse=True, scope="session")
def cheap_password_hashing():
    """Hash and verify passwords with argon2's cheapest parameters: at full cost every sign-in
    takes 0.1–0.4 s on this machine, and most tests sign several users in. The rule that a weak
    hash is upgraded to full cost is tested with the real parameters (`full_cost_password_hashing`)."""
    real, security._hasher = security._hasher, PasswordHasher.from_parameters(profiles.CHEAPEST)
    yield
    security._hasher = real


@pytest.fixture
def full_cost_password_hashing(monkeypatch):
    monkeypatch.setattr(security, "_hasher", PasswordHasher())


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request, tmp_path_factory):
    """A migrated, empty database of one backend for the whole session."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
    else:
        url = _worker_database(os.environ["TEST_DATABASE_URL"])
        _drop_everything(url)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return url


def _empty_tables() -> None:
    """Delete every row and restart the ids. DELETE, not TRUNCATE, on PostgreSQL too: a test
    leaves a few rows, and TRUNCATE's new files for ~80 tables cost 0.3 s before every test."""
    for table in reversed(db.metadata.sorted_tables):
        db.session.execute(table.delete())
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("SELECT setval(c.oid, 1, false) FROM pg_class c WHERE c.relkind = 'S'"))
    elif inspect(db.engine).has_table("sqlite_sequence"):
        db.session.execute(text("DELETE FROM sqlite_sequence"))
    db.session.commit()


@pytest.fixture
def make_app(database_url, tmp_path):
    """Build an app on the session database; extra settings override the defaults."""
    apps = []

    def build(**overrides):
        settings = {"SQLALCHEMY_DATABASE_URI": database_url, "TESTING": True,
                    "SCHEDULER_POLL_SECONDS": 0.2, **overrides}
        app = create_app(settings)
        apps.append(app)
        return app

    yield build
    for app in apps:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


_apps: dict[str, object] = {}


@pytest.fixture
def app(database_url):
    """The app with default test settings, built once per backend (building one registers the
    whole OpenAPI document, 0.1 s); each test starts from empty tables and the settings restored.
    Tests that need other settings from the start use `make_app`."""
    app = _apps.get(database_url)
    if app is None:
        app = _apps[database_url] = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "TESTING": True,
                                                "SCHEDULER_POLL_SECONDS": 0.2})
    settings = dict(app.config)
    with app.app_context():
        _empty_tables()
        seed_defaults()  # as `flask timelimits seed-defaults` does at installation
        db.session.commit()
        repository.clear_cache()
        yield app
        db.session.remove()
    app.config.clear()
    app.config.update(settings)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def live_server(app):
    """The app served over real HTTP on a free port (for browsers and HTTP clients)."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)


@pytest.fixture
def receiver():
    """A real HTTP server on loopback recording each POST as (path, headers, body);
    `state["answer"]` is the (status, headers) it answers with. Sending webhooks to it needs
    WEBHOOK_ALLOW_PRIVATE (as for a receiver inside one's own network)."""
    received, state = [], {"answer": (200, {})}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((self.path, dict(self.headers), body))
            status, headers = state["answer"]
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield {"port": server.server_port, "url": f"http://127.0.0.1:{server.server_port}/hook",
           "received": received, "state": state, "server": server}
    server.shutdown()


@pytest.fixture
def flaky_lookup(monkeypatch):
    """A registered function `flaky_lookup()` that fails on its first call, as an outside system
    being down would, and answers "found" afterwards; yields the list of its calls."""
    calls = []

    def lookup():
        calls.append(1)
        if len(calls) == 1:
            raise ConnectionError("lookup service unavailable")
        return "found"

    monkeypatch.setitem(scripting._globals, "flaky_lookup", lookup)
    yield calls


CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="module")
def browser():
    """Debian's headless chromium driven by Playwright (never a downloaded browser). Missing, it
    skips the test — or fails it when HUIYIN_REQUIRE_BROWSER is set, as .ci/run does."""
    if not CHROMIUM.exists():
        if os.environ.get("HUIYIN_REQUIRE_BROWSER"):
            pytest.fail(f"{CHROMIUM} is missing; .ci/run installs Debian's chromium")
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium chromium-driver)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM))
        yield browser
        browser.close()
