"""Repository service: deploy bundles (a BPMN file and its forms) as numbered versions, point
each process's release at the version new cases start on, and hand out parsed specs.

A deployed version is immutable: its XML and forms are stored with it, so tasks render and
validate with their own version's forms and deploying never depends on a worker's disk.
Parsing is the expensive part of SpiffWorkflow, so a version is parsed once per process and
kept in `_parsed` (immutable data keyed by definition id, safe to share between threads).
"""
import ast
import hashlib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from threading import Lock

from flask_babel import gettext
from lxml import etree
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnValidator
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.camunda.parser import CamundaParser
from SpiffWorkflow.exceptions import SpiffWorkflowException
from sqlalchemy import bindparam, func, select
from sqlalchemy.exc import IntegrityError

from app import forms
from app.accounts.models import User
from app.audit import service as audit
from app.clock import utcnow
from app.engine import validation
from app.engine.errors import DeploymentError, InvalidData, NotFound
from app.engine.models import (
    ProcessChoice,
    ProcessDefinition,
    ProcessForm,
    ProcessInstance,
    ProcessRelease,
)
from app.engine.scripting import ScriptRejected, check_source
from app.extensions import db
from app.forms.registry import FormDefinition, FormError
from app.guards import MAX_ID
from app.organisation.models import CLASSES
from app.timelimits.models import REQUEST_TYPES

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
NS = {"bpmn": BPMN_NS, "camunda": CAMUNDA_NS}

# Elements whose text is a Python expression (eval) or script (exec) run by the script engine.
_EXPRESSION_TAGS = ("conditionExpression", "timeDate", "timeDuration", "timeCycle",
                    "loopCardinality", "completionCondition")
_SCRIPT_TAGS = ("script",)
#: camunda:property values that are expressions over the task data.
_EXPRESSION_PROPERTIES = ("candidateUnit", "allowedActions", "notBy", "assignee")


@dataclass(frozen=True)
class UserTaskMeta:
    """What the task mirror needs from the XML that SpiffWorkflow's parser does not keep."""

    form_key: str | None
    candidate_role: str | None
    candidate_unit_expr: str | None
    #: Expression giving the `action` values a submission may use now (None: any).
    allowed_actions_expr: str | None = None
    #: Expression giving the id of the user who may not act on the task (four-eyes; None: anyone).
    not_by_expr: str | None = None
    #: Expression giving the id of the user the task is signed for by when it is created (the
    #: handler who keeps the case; None: offered to every candidate).
    assignee_expr: str | None = None


@dataclass
class ParsedProcess:
    spec: object
    subprocess_specs: dict
    user_tasks: dict[str, UserTaskMeta] = field(default_factory=dict)
    sha256: str = ""
    process_id: str = ""
    version: int = 0
    #: timer element id -> (phase, part) for timers whose timeDate is deadline('phase'[, 'part'])
    deadline_timers: dict[str, tuple[str, str]] = field(default_factory=dict)
    #: Whether the case closes when this process ends: the process's camunda:property
    #: `closesCase` (absent: true). A case's own process closes it; a process run beside it
    #: (an appeal of its rating) does not.
    closes_case: bool = True

    @property
    def due_timer_elements(self) -> frozenset[str]:
        """Timers that mark a task's deadline (its due date and its light come from them)."""
        return frozenset(e for e, (_, part) in self.deadline_timers.items() if part == "due")


_parsed: dict[int, ParsedProcess] = {}
_parse_lock = Lock()


def _element_id(node) -> str:
    while node is not None and node.get("id") is None:
        node = node.getparent()
    return node.get("id") if node is not None else "?"


def _check_scripts(root) -> None:
    for tag in _EXPRESSION_TAGS + _SCRIPT_TAGS:
        for node in root.iter(f"{{{BPMN_NS}}}{tag}"):
            text = (node.text or "").strip()
            if not text:
                continue
            try:
                check_source(text, "exec" if tag in _SCRIPT_TAGS else "eval")
            except ScriptRejected as exc:
                raise DeploymentError(gettext("%(what)s of element '%(element)s': %(error)s", what=tag,
                                              element=_element_id(node), error=exc),
                                      element_id=_element_id(node)) from None
    for name in _EXPRESSION_PROPERTIES:
        for prop in root.iterfind(f".//camunda:property[@name='{name}']", NS):
            try:
                check_source(prop.get("value") or "", "eval")
            except ScriptRejected as exc:
                element = _element_id(prop)
                raise DeploymentError(gettext("%(what)s of element '%(element)s': %(error)s", what=name,
                                              element=element, error=exc), element_id=element) from None


def _check_flow_references(root) -> None:
    """A flow to or from a missing element gets a message naming both (SpiffWorkflow's is cryptic)."""
    ids = {node.get("id") for node in root.iter() if node.get("id")}
    for flow in root.iter(f"{{{BPMN_NS}}}sequenceFlow"):
        for end in ("sourceRef", "targetRef"):
            ref = flow.get(end)
            if ref not in ids:
                raise DeploymentError(gettext(
                    "sequence flow '%(flow)s': its %(end)s '%(ref)s' is not an element of the file",
                    flow=flow.get("id"), end=end, ref=ref), element_id=flow.get("id"))


def _property(node, name: str) -> str | None:
    found = node.find(f".//camunda:property[@name='{name}']", NS)
    return found.get("value") if found is not None else None


def _closes_case(root, process_id: str) -> bool:
    """The process's own `closesCase` property (not one of its elements'): "true" or "false"."""
    process = root.find(f"bpmn:process[@id='{process_id}']", NS)
    found = None if process is None else process.find(
        "bpmn:extensionElements/camunda:properties/camunda:property[@name='closesCase']", NS)
    if found is None:
        return True
    value = (found.get("value") or "").strip().lower()
    if value not in ("true", "false"):
        raise DeploymentError(gettext(
            "process '%(process)s': closesCase is 'true' or 'false', not '%(value)s'", process=process_id,
            value=found.get("value")), element_id=process_id)
    return value == "true"


def _user_task_meta(root) -> dict[str, UserTaskMeta]:
    meta = {}
    for node in root.iter(f"{{{BPMN_NS}}}userTask"):
        meta[node.get("id")] = UserTaskMeta(
            form_key=node.get(f"{{{CAMUNDA_NS}}}formKey") or node.get(f"{{{CAMUNDA_NS}}}formRef"),
            candidate_role=node.get(f"{{{CAMUNDA_NS}}}candidateGroups"),
            candidate_unit_expr=_property(node, "candidateUnit"),
            allowed_actions_expr=_property(node, "allowedActions"),
            not_by_expr=_property(node, "notBy"),
            assignee_expr=_property(node, "assignee"),
        )
    return meta


def _deadline_timers(root) -> dict[str, tuple[str, str]]:
    """Timers whose timeDate is a literal call deadline('phase') or deadline('phase', 'part')."""
    found = {}
    for node in root.iter(f"{{{BPMN_NS}}}timeDate"):
        try:
            call = ast.parse((node.text or "").strip(), mode="eval").body
        except SyntaxError:
            continue
        if (isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == "deadline"
                and call.args and all(isinstance(a, ast.Constant) for a in call.args)):
            part = call.args[1].value if len(call.args) > 1 else "due"
            event = node.getparent().getparent()  # timeDate < timerEventDefinition < the event
            found[event.get("id")] = (call.args[0].value, part)
    return found


def _read(xml: bytes, filename: str):
    """The lxml root of a BPMN file that is UTF-8 and well-formed XML (entities never resolved)."""
    try:
        xml.decode("utf-8")
    except UnicodeDecodeError:
        raise DeploymentError(gettext("%(file)s: BPMN files must be UTF-8 encoded", file=filename)) from None
    try:
        return etree.fromstring(xml, parser=etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError as exc:
        raise DeploymentError(gettext("%(file)s: not well-formed XML: %(error)s", file=filename,
                                      error=exc)) from None


def parse(xml: bytes, filename: str = "process.bpmn") -> dict[str, ParsedProcess]:
    """Validate and parse a BPMN file; return every executable process in it by process id."""
    return _parse_root(_read(xml, filename), xml, filename)


def _parse_root(root, xml: bytes, filename: str) -> dict[str, ParsedProcess]:
    _check_flow_references(root)
    parser = CamundaParser(validator=BpmnValidator())
    try:
        parser.add_bpmn_xml(etree.ElementTree(root), filename=filename)
        process_ids = parser.get_process_ids()
        if not process_ids:
            raise DeploymentError(gettext("%(file)s: no executable process found", file=filename))
        _check_scripts(root)
        meta, deadlines = _user_task_meta(root), _deadline_timers(root)
        digest = hashlib.sha256(xml).hexdigest()
        return {
            pid: ParsedProcess(parser.get_spec(pid), parser.get_subprocess_specs(pid), meta, digest,
                               deadline_timers=deadlines, closes_case=_closes_case(root, pid))
            for pid in process_ids
        }
    except ValidationException as exc:
        where = (gettext("element '%(element)s'", element=exc.id) if getattr(exc, "id", "")
                 else gettext("the file"))
        raise DeploymentError(f"{filename}: {where}: {exc}", element_id=exc.id or None) from None
    except SpiffWorkflowException as exc:
        raise DeploymentError(f"{filename}: {exc}") from None


def bundle_digest(bpmn: bytes, form_sources: dict[str, str]) -> str:
    """The hash of a bundle: the BPMN bytes, then each form (by id) with its text.

    Migration 0017 computes it the same way for versions deployed before bundles existed.
    """
    digest = hashlib.sha256(bpmn)
    for form_id in sorted(form_sources):
        digest.update(b"\0" + form_id.encode("utf-8") + b"\0" + form_sources[form_id].encode("utf-8"))
    return digest.hexdigest()


@dataclass
class DeployResult:
    """The versions a deployment made or found (a dry run: what it would make, without ids)."""

    definitions: list[ProcessDefinition]
    problems: list[validation.Problem]
    dry_run: bool


def deploy_bundle(bpmn: bytes, filename: str, forms: dict[str, bytes], deployed_by_id: int | None = None,
                  dry_run: bool = False, activate: bool = True) -> DeployResult:
    """Deploy a BPMN file with uploaded form files (`forms`: file name -> bytes).

    Problems are worded in the request's locale (app/i18n.py: Chinese unless English was asked
    for); with no request, in the default locale (Chinese; English outside an app context).

    A form a user task names comes from the uploads, else from the process's current release.
    Any problem raises DeploymentError with all of them; `dry_run` only checks and never writes.
    A bundle identical to an existing version makes no new version; `activate` points the
    release at the version (new or existing), else new cases keep starting on the current one.
    Runs in the caller's transaction.
    """
    return _deploy(bpmn, filename, forms, deployed_by_id, dry_run=dry_run, activate=activate, from_disk=False)


def deploy(xml: bytes, filename: str, deployed_by_id: int | None = None) -> list[ProcessDefinition]:
    """Deploy a file of the repository's workflows/ (start-up, `flask workflows deploy`).

    Its forms come from forms/ on disk (FORMS_DIR), else from the release. A bundle that was ever
    deployed, as any version, is left alone: a restart or a release never reverts a designer's
    newer deployment.
    """
    return _deploy(xml, filename, {}, deployed_by_id, dry_run=False, activate=True,
                   from_disk=True).definitions


def deploy_directory(directory: str | Path) -> list[ProcessDefinition]:
    deployed = []
    for path in sorted(Path(directory).glob("*.bpmn")):
        deployed.extend(deploy(path.read_bytes(), path.name))
    return deployed


def _deploy(bpmn: bytes, filename: str, uploads: dict[str, bytes], deployed_by_id: int | None, *,
            dry_run: bool, activate: bool, from_disk: bool) -> DeployResult:
    root = _read(bpmn, filename)
    parsed = _parse_root(root, bpmn, filename)
    uploaded, problems = _uploaded_forms(uploads)
    bundle = _bundle_forms(parsed, uploaded, from_disk)
    problems += validation.check_bundle(root, parsed, bundle)
    if problems:
        found = [asdict(p) for p in problems]
        raise DeploymentError("; ".join(p.message for p in problems), problems[0].element_id, problems=found)
    digest = bundle_digest(bpmn, {form_id: form.source for form_id, form in bundle.items()})
    results = []
    for pid, process in parsed.items():
        known = db.session.scalars(
            select(ProcessDefinition).where(ProcessDefinition.process_id == pid,
                                            ProcessDefinition.bundle_sha256 == digest)
            .order_by(ProcessDefinition.version.desc()).limit(1)).first()
        if known is None:
            known = _new_version(pid, process, bpmn, filename, digest, bundle, deployed_by_id,
                                 dry_run=dry_run, activate=activate)
        elif activate and not from_disk and not dry_run:
            _point_release(pid, known.id, deployed_by_id)
        results.append(known)
    return DeployResult(results, [], dry_run)


def _new_version(pid: str, process: ParsedProcess, bpmn: bytes, filename: str, digest: str,
                 bundle: dict[str, FormDefinition], deployed_by_id: int | None, *, dry_run: bool,
                 activate: bool) -> ProcessDefinition:
    """Store the next version with its forms; a concurrent identical deployment loses on the
    unique (process_id, version) constraint and is answered with the winner's row. The first
    version of a process is its release even when not activated (new cases need one)."""
    latest = latest_definition(pid)
    definition = ProcessDefinition(
        process_id=pid, name=process.spec.description or pid, version=(latest.version + 1) if latest else 1,
        sha256=process.sha256, bundle_sha256=digest, filename=filename, bpmn_xml=bpmn.decode("utf-8"),
        deployed_by_id=deployed_by_id)
    if dry_run:
        return definition
    try:
        with db.session.begin_nested():
            db.session.add(definition)
            db.session.flush()
            db.session.add_all([ProcessForm(definition_id=definition.id, form_id=form_id,
                                            filename=form.filename, source=form.source)
                                for form_id, form in bundle.items()])
    except IntegrityError:
        return latest_definition(pid)
    _remember(definition, process)
    if activate or db.session.get(ProcessRelease, pid) is None:
        _point_release(pid, definition.id, deployed_by_id)
    return definition


def _uploaded_forms(uploads: dict[str, bytes]) -> tuple[dict[str, FormDefinition], list[validation.Problem]]:
    """The uploaded form files by form id, and a problem for each unreadable file or repeated id."""
    found: dict[str, FormDefinition] = {}
    problems = []
    for name, data in uploads.items():
        try:
            form = forms.load_source(data.decode("utf-8"), name)
        except UnicodeDecodeError:
            problems.append(validation.Problem(None, gettext("%(file)s: form files must be UTF-8 encoded",
                                                             file=name)))
            continue
        except FormError as exc:
            problems.append(validation.Problem(None, str(exc)))
            continue
        if form.id in found:
            problems.append(validation.Problem(None, gettext(
                "%(file)s: form id '%(form)s' is already used by %(other)s", file=name, form=form.id,
                other=found[form.id].filename)))
        found[form.id] = form
    return found, problems


def _bundle_forms(parsed: dict[str, ParsedProcess], uploaded: dict[str, FormDefinition],
                  from_disk: bool) -> dict[str, FormDefinition]:
    """The forms the file's user tasks name: uploaded (for workflows/: forms/ on disk, which is
    what the repository's release ships with the file), else the process release's. Uploads no
    task names are not part of the bundle."""
    named = {t.form_key for t in next(iter(parsed.values())).user_tasks.values() if t.form_key}
    releases = [r for r in (release_definition_id(pid) for pid in parsed) if r is not None]
    bundle = {}
    for form_id in sorted(named):
        form = uploaded.get(form_id) or (_disk_form(form_id) if from_disk else None)
        for release in releases:
            form = form or forms.for_definition(release, form_id)
        if form is not None:
            bundle[form_id] = form
    return bundle


def _disk_form(form_id: str) -> FormDefinition | None:
    try:
        return forms.get(form_id)
    except FormError as exc:
        raise DeploymentError(str(exc)) from None


def _point_release(process_id: str, definition_id: int, actor_id: int | None) -> int | None:
    """Point the process's release at a version; returns the definition id it pointed at before."""
    release = db.session.get(ProcessRelease, process_id)
    previous = release.definition_id if release else None
    if release is None:
        db.session.add(ProcessRelease(process_id=process_id, definition_id=definition_id,
                                      changed_by_id=actor_id))
    elif previous != definition_id:
        release.definition_id, release.changed_by_id, release.changed_at = definition_id, actor_id, utcnow()
    db.session.flush()
    return previous


def set_release(process_id: str, version: int, actor_id: int | None) -> ProcessDefinition:
    """Start new cases on `version` of the process (an older one: a roll back); audited."""
    definition = get_version(process_id, version)
    previous = _point_release(process_id, definition.id, actor_id)
    old_version = db.session.scalar(select(ProcessDefinition.version).where(ProcessDefinition.id == previous))
    actor = db.session.get(User, actor_id) if actor_id is not None else None
    audit.record(actor, "process_release", process_id, "update" if previous else "create",
                 {"version": old_version} if previous else None, {"version": version})
    return definition


def get_version(process_id: str, version: int) -> ProcessDefinition:
    if not 1 <= version <= MAX_ID:  # e.g. a web form's number: no such version, not a database error
        raise NotFound(f"process '{process_id}' has no version {version}")
    definition = db.session.scalars(select(ProcessDefinition).where(
        ProcessDefinition.process_id == process_id, ProcessDefinition.version == version)).first()
    if definition is None:
        raise NotFound(f"process '{process_id}' has no version {version}")
    return definition


def bundle_forms(definition_id: int) -> dict[str, str]:
    """The forms deployed with a version: form id -> the form's JSON text."""
    return dict(db.session.execute(select(ProcessForm.form_id, ProcessForm.source)
                                   .where(ProcessForm.definition_id == definition_id)
                                   .order_by(ProcessForm.form_id)).all())


def processes_overview() -> list[dict]:
    """Every process with its versions newest first, how many running instances each has, and
    which one is the release (one query; the counts are a grouped subquery)."""
    running = (select(ProcessInstance.definition_id, func.count().label("n"))
               .where(ProcessInstance.status == "running").group_by(ProcessInstance.definition_id).subquery())
    rows = db.session.execute(
        select(ProcessDefinition.id, ProcessDefinition.process_id, ProcessDefinition.name,
               ProcessDefinition.version, ProcessDefinition.deployed_at, ProcessDefinition.bundle_sha256,
               User.display_name, func.coalesce(running.c.n, 0).label("open_cases"),
               ProcessRelease.definition_id.label("release_id"))
        .outerjoin(User, User.id == ProcessDefinition.deployed_by_id)
        .outerjoin(running, running.c.definition_id == ProcessDefinition.id)
        .outerjoin(ProcessRelease, ProcessRelease.process_id == ProcessDefinition.process_id)
        .order_by(ProcessDefinition.process_id, ProcessDefinition.version.desc())).all()
    processes: dict[str, dict] = {}
    for row in rows:
        process = processes.setdefault(row.process_id, {
            "process_id": row.process_id, "name": row.name, "release_version": None, "versions": []})
        is_release = row.release_id == row.id
        if is_release:
            process["release_version"] = row.version
        process["versions"].append({
            "id": row.id, "version": row.version, "deployed_at": row.deployed_at,
            "deployed_by": row.display_name, "bundle_sha256": row.bundle_sha256,
            "open_cases": row.open_cases, "is_release": is_release})
    return list(processes.values())


def latest_definition(process_id: str) -> ProcessDefinition | None:
    return db.session.scalars(
        select(ProcessDefinition)
        .where(ProcessDefinition.process_id == process_id)
        .order_by(ProcessDefinition.version.desc())
        .limit(1)
    ).first()


_definitions, _releases = ProcessDefinition.__table__, ProcessRelease.__table__
_RELEASE_ID = select(func.coalesce(
    select(_releases.c.definition_id).where(_releases.c.process_id == bindparam("process_id"))
    .scalar_subquery(),
    select(_definitions.c.id).where(_definitions.c.process_id == bindparam("process_id"))
    .order_by(_definitions.c.version.desc()).limit(1).scalar_subquery()))


def release_definition_id(process_id: str) -> int | None:
    """Id of the version new cases start on: the release (the newest version where none was
    recorded, as for rows written by hand). Two indexed lookups in one statement, no XML read."""
    return db.session.connection().execute(_RELEASE_ID, {"process_id": process_id}).scalar()


def parsed_process(definition: ProcessDefinition) -> ParsedProcess:
    """The parsed spec of a deployed version, parsing it at most once per process.

    Keyed by definition id: deployed versions are never changed or deleted, so an id always
    means the same XML.
    """
    found = _parsed.get(definition.id)
    if found is None:
        with _parse_lock:
            found = _parsed.get(definition.id)
            if found is None:
                found = parse(definition.bpmn_xml.encode("utf-8"), definition.filename)[
                    definition.process_id]
                _remember(definition, found)
    return found


def parsed_by_id(definition_id: int) -> ParsedProcess:
    """The parsed spec for an instance's definition id; reads the XML only on a cache miss."""
    found = _parsed.get(definition_id)
    if found is not None:
        return found
    definition = db.session.get(ProcessDefinition, definition_id)
    if definition is None:
        raise LookupError(f"process definition {definition_id} does not exist")
    return parsed_process(definition)


def definition_xml(definition_id: int) -> str | None:
    """The BPMN text of one deployed version (for drawing a case's own diagram)."""
    return db.session.scalar(select(ProcessDefinition.bpmn_xml).where(ProcessDefinition.id == definition_id))


def _remember(definition: ProcessDefinition, parsed: ParsedProcess) -> None:
    parsed.sha256, parsed.process_id, parsed.version = (
        definition.sha256, definition.process_id, definition.version)
    _parsed[definition.id] = parsed


def clear_cache() -> None:
    """Forget parsed specs and forms (tests reset the database between cases)."""
    _parsed.clear()
    forms.registry.clear_cache()


def process_choices() -> list[ProcessChoice]:
    return list(db.session.scalars(select(ProcessChoice).order_by(
        ProcessChoice.request_type, ProcessChoice.klass.is_(None), ProcessChoice.klass)))


def chosen_process_id(request_type: str | None, klass: str | None) -> str | None:
    """The process an administrator chose for new cases of this request type and class (a
    choice for the class wins over one for any class); None: no choice, the default applies."""
    if request_type is None:
        return None
    return db.session.connection().execute(_CHOSEN, {"request_type": request_type, "klass": klass}).scalar()


_choices = ProcessChoice.__table__
_CHOSEN = (select(_choices.c.process_id)
           .where(_choices.c.request_type == bindparam("request_type"),
                  (_choices.c.klass == bindparam("klass")) | _choices.c.klass.is_(None))
           .order_by(_choices.c.klass.is_(None)).limit(1))


def _choice_problems(request_type: str, klass: str | None, process_id: str | None) -> dict[str, list[str]]:
    errors = {}
    if request_type not in REQUEST_TYPES:
        errors["request_type"] = ["must be one of: " + ", ".join(REQUEST_TYPES)]
    if klass is not None and klass not in CLASSES:
        errors["klass"] = ["must be one of: " + ", ".join(CLASSES) + " (or null: any class)"]
    if process_id is not None and release_definition_id(process_id) is None:
        errors["process_id"] = [f"process '{process_id}' is not deployed"]
    return errors


def _find_choice(request_type: str, klass: str | None) -> ProcessChoice | None:
    same_class = ProcessChoice.klass.is_(None) if klass is None else ProcessChoice.klass == klass
    return db.session.scalars(select(ProcessChoice).where(ProcessChoice.request_type == request_type,
                                                          same_class)).first()


def set_process_choice(request_type: str, klass: str | None, process_id: str, actor) -> ProcessChoice:
    """New cases of `request_type` (and `klass`; None: any class) start on `process_id`; audited."""
    errors = _choice_problems(request_type, klass, process_id)
    if errors:
        raise InvalidData("invalid process choice", errors)
    choice = _find_choice(request_type, klass)
    old = {"process_id": choice.process_id} if choice else None
    if choice is None:
        choice = ProcessChoice(request_type=request_type, klass=klass, process_id=process_id)
        db.session.add(choice)
    choice.process_id = process_id
    db.session.flush()
    audit.record(actor, "process_choice", f"{request_type}/{klass or '*'}", "update" if old else "create",
                 old, {"process_id": process_id})
    return choice


def delete_process_choice(request_type: str, klass: str | None, actor) -> None:
    """Cases of this request type and class start on the default process again; audited."""
    errors = _choice_problems(request_type, klass, None)
    if errors:
        raise InvalidData("invalid process choice", errors)
    choice = _find_choice(request_type, klass)
    if choice is None:
        raise NotFound(f"no process choice for {request_type} / {klass or 'any class'}")
    audit.record(actor, "process_choice", f"{request_type}/{klass or '*'}", "delete",
                 {"process_id": choice.process_id}, None)
    db.session.delete(choice)
    db.session.flush()


def version_detail(process_id: str, version: int) -> dict:
    """One version with whether it is the release and the ids of its forms."""
    definition = get_version(process_id, version)
    return {**{c.key: getattr(definition, c.key) for c in ProcessDefinition.__table__.c},
            "is_release": release_definition_id(process_id) == definition.id,
            "forms": list(bundle_forms(definition.id))}


def version_form(process_id: str, version: int, form_id: str) -> str:
    """The JSON text of one form deployed with a version."""
    found = bundle_forms(get_version(process_id, version).id).get(form_id)
    if found is None:
        raise NotFound(f"version {version} of process '{process_id}' has no form '{form_id}'")
    return found
