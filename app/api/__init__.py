"""REST API under /api/v1: flask-smorest blueprints with marshmallow schemas."""
from app.api.errors import HuiyinApi

api = HuiyinApi()


def init_app(app) -> None:
    from app.api import (
        admin,
        auth,
        cases,
        incidents,
        notifications,
        supervision,
        tasks,
        timelimits,
        workflows,
    )

    api.init_app(app)
    for module in (auth, cases, tasks, workflows, incidents, admin, notifications, supervision):
        api.register_blueprint(module.blp, url_prefix=f"/api/v1/{module.blp.name}")
    api.register_blueprint(timelimits.blp, url_prefix="/api/v1/admin")
