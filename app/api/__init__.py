"""REST API under /api/v1: flask-smorest blueprints with marshmallow schemas."""
from app.api.blueprint import Blueprint
from app.api.errors import HuiyinApi

api = HuiyinApi()


def init_app(app) -> None:
    from app.api import (
        admin,
        analysis,
        assessment,
        audit,
        auth,
        cases,
        channel_keys,
        incidents,
        migrations,
        notifications,
        phases_roles,
        process_choices,
        statistics,
        supervision,
        tasks,
        timelimits,
        workflows,
    )

    api.init_app(app)
    prefixes = {module: f"/api/v1/{module.blp.name}" for module in
                (auth, cases, tasks, workflows, incidents, admin, notifications, supervision, statistics)}
    prefixes |= dict.fromkeys((timelimits, channel_keys, audit, process_choices, phases_roles),
                              "/api/v1/admin")
    prefixes[migrations] = "/api/v1/workflows"  # /<process_id>/migrations, beside the versions
    prefixes[analysis] = "/api/v1/statistics"  # hot spots and the report, beside the figures
    prefixes[assessment] = "/api/v1/statistics"  # beside the figures it ranks
    for module, prefix in prefixes.items():
        if not isinstance(module.blp, Blueprint):  # its query parameters would go unchecked
            raise TypeError(f"{module.__name__}.blp must be app.api.blueprint.Blueprint")
        api.register_blueprint(module.blp, url_prefix=prefix)
    api.register_blueprint(incidents.repair_blp, url_prefix="/api/v1/cases")  # /<number>/repair
