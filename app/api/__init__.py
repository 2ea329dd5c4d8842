"""REST API under /api/v1: flask-smorest blueprints with marshmallow schemas."""
from app.api.errors import HuiyinApi

api = HuiyinApi()


def init_app(app) -> None:
    from app.api import (
        admin,
        audit,
        auth,
        cases,
        channel_keys,
        guards,
        incidents,
        notifications,
        supervision,
        tasks,
        timelimits,
        workflows,
    )

    api.init_app(app)
    guards.init_app(app)
    for module in (auth, cases, tasks, workflows, incidents, admin, notifications, supervision):
        api.register_blueprint(module.blp, url_prefix=f"/api/v1/{module.blp.name}")
    for module in (timelimits, channel_keys, audit):
        api.register_blueprint(module.blp, url_prefix="/api/v1/admin")
