"""The designer's workbench: what the workbench shows and does beyond the engine's services.

Listing versions, deploying, releases and migration are the repository's and the migration
service's (the pages call them directly, as the JSON API does); here are the workbench's own
parts: submitting an edited bundle with its problems as data, a version's download, and the
heatmap (where open cases wait on a version's diagram).
"""
from dataclasses import asdict, is_dataclass

from flask import Response
from sqlalchemy import func, select

from app.engine import repository
from app.engine.errors import EngineError
from app.engine.models import HumanTask, ProcessInstance
from app.extensions import db
from app.forms import FormError


def bpmn_download(definition) -> Response:
    """A version's BPMN file as an attachment named after the process and version."""
    name = f"{definition.process_id}-v{definition.version}.bpmn"
    return Response(definition.bpmn_xml, mimetype="application/xml",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


def as_dict(value) -> dict:
    """A service's result (a dataclass, or a dict already) as a plain dict for JSON."""
    return asdict(value) if is_dataclass(value) else dict(value)


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
    try:
        result = repository.deploy_bundle(bpmn, filename, forms, deployed_by_id=actor_id, dry_run=dry_run)
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
