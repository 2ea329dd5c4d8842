"""Stand-ins for the services issue 13's other parts add, so the workbench works on its own
branch: `app.engine.workbench` uses a name from here only when the real service is missing
(repository.processes_overview/get_version/bundle_forms/deploy_bundle/set_release from the
bundles part, validation.check_bundle, migration.preview/migrate/revert). Delete this module
once those parts are merged; nothing else imports it.
"""
import json
from dataclasses import dataclass, field

from lxml import etree
from sqlalchemy import func, select

from app import forms as form_files
from app.accounts.models import User
from app.engine import repository
from app.engine.errors import DeploymentError, EngineError, NotFound
from app.engine.models import ProcessDefinition, ProcessInstance
from app.extensions import db


class NotAvailable(EngineError):
    """The service belongs to a part of issue 13 not merged into this branch."""

    status = 501
    code = "not_available"


@dataclass
class DeployResult:
    definitions: list = field(default_factory=list)
    problems: list = field(default_factory=list)
    dry_run: bool = False


def processes_overview() -> list[dict]:
    """Every process with its versions newest first; the newest is the release (no pointer yet)."""
    open_cases = (select(ProcessInstance.definition_id, func.count().label("n"))
                  .where(ProcessInstance.status == "running").group_by(ProcessInstance.definition_id)
                  .subquery())
    rows = db.session.execute(
        select(ProcessDefinition.id, ProcessDefinition.process_id, ProcessDefinition.name,
               ProcessDefinition.version, ProcessDefinition.deployed_at, ProcessDefinition.sha256,
               User.display_name, func.coalesce(open_cases.c.n, 0))
        .outerjoin(User, User.id == ProcessDefinition.deployed_by_id)
        .outerjoin(open_cases, open_cases.c.definition_id == ProcessDefinition.id)
        .order_by(ProcessDefinition.process_id, ProcessDefinition.version.desc())).all()
    overview: dict[str, dict] = {}
    for id_, pid, name, version, at, sha, by, n in rows:
        process = overview.setdefault(pid, {"process_id": pid, "name": name, "release_version": version,
                                            "versions": []})
        process["versions"].append({"id": id_, "version": version, "deployed_at": at, "deployed_by": by,
                                    "bundle_sha256": sha, "open_cases": n,
                                    "is_release": version == process["release_version"]})
    return list(overview.values())


def get_version(process_id: str, version: int) -> ProcessDefinition:
    found = db.session.scalars(select(ProcessDefinition).where(
        ProcessDefinition.process_id == process_id, ProcessDefinition.version == version)).first()
    if found is None:
        raise NotFound(f"process '{process_id}' has no version {version}")
    return found


def bundle_forms(definition_id: int) -> dict[str, str]:
    """The forms a version's user tasks name, read from forms/ (no per-version forms yet)."""
    parsed = repository.parsed_by_id(definition_id)
    found = {}
    for meta in parsed.user_tasks.values():
        form = form_files.get(meta.form_key) if meta.form_key else None
        if form is not None:
            found[form.id] = form.source
    return found


@dataclass(frozen=True)
class Problem:
    element_id: str | None
    message: str


def check_bundle(root, parsed: dict, forms: dict) -> list[Problem]:
    """The one rule known before the validation part: every form a user task names is there."""
    meta = next(iter(parsed.values())).user_tasks
    return [Problem(element, f"user task '{element}' names the form '{task.form_key}', which is "
                             f"not in the bundle: add the form or correct formRef")
            for element, task in meta.items() if task.form_key and task.form_key not in forms]


def deploy_bundle(bpmn: bytes, filename: str, forms: dict[str, bytes], deployed_by_id=None,
                  dry_run: bool = False, activate: bool = True) -> DeployResult:
    parsed = repository.parse(bpmn, filename)
    known = {}
    for name, text in forms.items():
        try:
            known[json.loads(text)["id"]] = text
        except (ValueError, KeyError, TypeError):
            raise DeploymentError(f"{name}: not a form (a JSON object with an 'id')") from None
    for meta in next(iter(parsed.values())).user_tasks.values():
        if meta.form_key and meta.form_key not in known and form_files.get(meta.form_key):
            known[meta.form_key] = form_files.get(meta.form_key).source
    root = etree.fromstring(bpmn, parser=etree.XMLParser(resolve_entities=False, no_network=True))
    problems = check_bundle(root, parsed, known)
    if problems:
        error = DeploymentError(problems[0].message, element_id=problems[0].element_id)
        error.problems = problems
        raise error
    if dry_run:
        return DeployResult(dry_run=True)
    if any(form_files.get(form_id) is None for form_id in known):
        raise NotAvailable("storing new forms with a version needs the bundles part of issue 13")
    return DeployResult(definitions=repository.deploy(bpmn, filename, deployed_by_id=deployed_by_id))


def set_release(process_id: str, version: int, actor_id: int | None) -> None:
    raise NotAvailable("choosing the release needs the bundles part of issue 13")


def preview(target_definition_id: int) -> list:
    raise NotAvailable("migration needs the migration part of issue 13")


def migrate(target_definition_id: int, instance_ids: list[int], actor_id: int | None, dry_run: bool = False):
    raise NotAvailable("migration needs the migration part of issue 13")


def revert(migration_id: int, actor_id: int | None):
    raise NotAvailable("migration needs the migration part of issue 13")
