"""The designer's workbench: one place the web pages call for what the workbench shows and does.

Its own parts are the pickers' catalogue and the heatmap (where open cases wait on a version's
diagram). Deploying, releases and migration belong to the bundles, validation and migration
services (issue 13); they are reached through `_service` so the pages and the API see one
vocabulary, and a missing part falls back to `workbench_interim` (removed on merge).
"""
import importlib
import inspect
from dataclasses import asdict, is_dataclass
from types import ModuleType

from flask_babel import gettext
from sqlalchemy import func, select

from app.accounts.models import ROLES
from app.engine import scripting, workbench_interim
from app.engine.errors import EngineError
from app.engine.models import HumanTask, ProcessInstance
from app.extensions import db
from app.forms import FormError
from app.timelimits.models import PHASES
from app.web import labels


def _module(name: str) -> ModuleType | None:
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError:
        return None


def _service(module_name: str, name: str):
    """The named function of a sibling service, or the interim stand-in while it is missing."""
    module = _module(module_name)
    return getattr(module, name, None) or getattr(workbench_interim, name)


def overview() -> list[dict]:
    return _service("app.engine.repository", "processes_overview")()


def version(process_id: str, number: int):
    return _service("app.engine.repository", "get_version")(process_id, number)


def forms_of(definition_id: int) -> dict[str, str]:
    return _service("app.engine.repository", "bundle_forms")(definition_id)


def set_release(process_id: str, number: int, actor_id: int | None) -> None:
    _service("app.engine.repository", "set_release")(process_id, number, actor_id)


def preview(target_definition_id: int) -> list:
    return _service("app.engine.migration", "preview")(target_definition_id)


def migrate(target_definition_id: int, instance_ids: list[int], actor_id: int | None, dry_run: bool):
    return _service("app.engine.migration", "migrate")(target_definition_id, instance_ids, actor_id,
                                                        dry_run=dry_run)


def revert(migration_id: int, actor_id: int | None):
    return _service("app.engine.migration", "revert")(migration_id, actor_id)


def as_dict(value) -> dict:
    """A service's result row (dataclass, dict or ORM-free object) as a plain dict for JSON."""
    if is_dataclass(value):
        return asdict(value)
    return dict(value) if isinstance(value, dict) else dict(vars(value))


def problems_of(error: Exception) -> list[dict]:
    """Every problem a refused deployment names (the validation part collects them all)."""
    found = getattr(error, "problems", None)
    if found:
        return [{"element_id": p.get("element_id"), "message": p.get("message")} for p in map(as_dict, found)]
    return [{"element_id": getattr(error, "element_id", None), "message": str(error)}]


def submit(bpmn: bytes, filename: str, forms: dict[str, bytes], actor_id: int | None,
           dry_run: bool) -> dict:
    """Validate (dry run) or deploy a bundle edited in the workbench; refusals come back as
    problems naming the element, never as an error page. Runs in the caller's transaction."""
    deploy_bundle = _service("app.engine.repository", "deploy_bundle")
    try:
        result = deploy_bundle(bpmn, filename, forms, deployed_by_id=actor_id, dry_run=dry_run)
    except (EngineError, FormError) as refused:
        return {"ok": False, "dry_run": dry_run, "problems": problems_of(refused)}
    return {"ok": True, "dry_run": result.dry_run, "problems": [],
            "definitions": [{"process_id": d.process_id, "version": d.version} for d in result.definitions]}


def waiting_counts(definition_id: int) -> dict[str, int]:
    """How many open tasks wait on each element of one version: one GROUP BY over the open
    task mirror joined to its instance (the heatmap's numbers)."""
    rows = db.session.execute(
        select(HumanTask.element_id, func.count())
        .join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
        .where(HumanTask.status == "open", ProcessInstance.definition_id == definition_id)
        .group_by(HumanTask.element_id)).all()
    return {element: count for element, count in rows}


def _first_line(text: str | None) -> str:
    return (text or "").strip().split("\n", 1)[0]


def catalogue() -> dict:
    """What the pickers offer: phases (for deadline()), roles (candidate groups) and the
    registered functions with their signature, and the meaning properties with their values. The
    validation part's `catalogue()` wins when present (it reads the phase and role tables
    administrators extend, and knows the meanings)."""
    provided = getattr(_module("app.engine.validation"), "catalogue", None)
    if provided is not None:
        return provided()
    functions = []
    for name in sorted(scripting.registered_names()):
        fn = scripting._globals[name]
        try:
            params = str(inspect.signature(fn))
        except (TypeError, ValueError):
            params = "(...)"
        functions.append({"name": name, "params": params, "doc": _first_line(inspect.getdoc(fn))})
    return {"phases": [{"code": code, "name": gettext(labels.PHASES.get(code, code))} for code in PHASES],
            "roles": [{"code": code, "name": gettext(labels.ROLES.get(code, code))} for code in ROLES],
            "functions": functions, "meanings": {}}

