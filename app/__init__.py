"""Huiyin (回音): case management for citizens' requests, driven by BPMN."""
import logging
from pathlib import Path

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

from app import column_limits, connections, guards  # noqa: F401  (both listen on every engine)
from app.config import load_config
from app.extensions import db, migrate


def create_app(overrides: dict | None = None) -> Flask:
    """Application factory: configuration, extensions, API, health check and CLI."""
    app = Flask(__name__, instance_relative_config=True)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.update(load_config(Path(app.instance_path)))
    if overrides:
        app.config.update(overrides)
    _configure_database(app)
    if app.config["PROXY_COUNT"]:  # the client's address, not the proxy's (rate limits, logs)
        from werkzeug.middleware.proxy_fix import ProxyFix

        proxies = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)
    guards.install_converters(app)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(__file__).resolve().parent.parent / "migrations"))

    from app import cli, health, models  # noqa: F401  (models registers every table)
    from app.api import init_app as init_api
    from app.assessment import process_functions as assessment_functions  # noqa: F401  (registers them)
    from app.cases import service  # noqa: F401  (closes a case when its process ends)
    from app.casework import process_functions as casework_functions  # noqa: F401  (registers them)
    from app.timelimits import process_functions  # noqa: F401  (registers deadline() & co.)

    guards.init_app(app)
    init_api(app)
    app.register_blueprint(health.bp)
    from app.open311.views import bp as open311

    app.register_blueprint(open311)
    from app.web import init_app as init_web

    init_web(app)
    cli.init_app(app)
    logging.basicConfig(level=logging.INFO)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # it logs every poll at INFO
    logging.getLogger("spiff").setLevel(logging.WARNING)  # ~30 "State changed" lines per step
    return app


def _configure_database(app: Flask) -> None:
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("sqlite"):
        # Wait for the write lock instead of failing at once; conflicts still surface as 409s.
        app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {"connect_args": {"timeout": 15}})
    else:
        app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", connections.engine_options(app.config))


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record) -> None:
    """SQLite: write-ahead log (readers never block the writer; one fsync per checkpoint, not per
    commit) and enforced foreign keys. synchronous=NORMAL keeps the database consistent on power
    loss; the last commits before it may be lost, which is why production runs PostgreSQL."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()
