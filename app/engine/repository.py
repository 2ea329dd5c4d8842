"""Repository service: deploy BPMN files as numbered versions and hand out parsed specs.

Parsing is the expensive part of SpiffWorkflow, so a version is parsed once per process and
kept in `_parsed` (immutable data keyed by definition id, safe to share between threads).
"""
import ast
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from threading import Lock

from lxml import etree
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnValidator
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.camunda.parser import CamundaParser
from SpiffWorkflow.exceptions import SpiffWorkflowException
from sqlalchemy import bindparam, func, select
from sqlalchemy.exc import IntegrityError

from app.engine.errors import DeploymentError
from app.engine.models import ProcessDefinition
from app.engine.scripting import ScriptRejected, check_source
from app.extensions import db

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
NS = {"bpmn": BPMN_NS, "camunda": CAMUNDA_NS}

# Elements whose text is a Python expression (eval) or script (exec) run by the script engine.
_EXPRESSION_TAGS = ("conditionExpression", "timeDate", "timeDuration", "timeCycle",
                    "loopCardinality", "completionCondition")
_SCRIPT_TAGS = ("script",)
#: camunda:property values that are expressions over the task data.
_EXPRESSION_PROPERTIES = ("candidateUnit", "allowedActions")


@dataclass(frozen=True)
class UserTaskMeta:
    """What the task mirror needs from the XML that SpiffWorkflow's parser does not keep."""

    form_key: str | None
    candidate_role: str | None
    candidate_unit_expr: str | None
    #: Expression giving the `action` values a submission may use now (None: any).
    allowed_actions_expr: str | None = None


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
                raise DeploymentError(f"{tag} of element '{_element_id(node)}': {exc}",
                                      element_id=_element_id(node)) from None
    for name in _EXPRESSION_PROPERTIES:
        for prop in root.iterfind(f".//camunda:property[@name='{name}']", NS):
            try:
                check_source(prop.get("value") or "", "eval")
            except ScriptRejected as exc:
                element = _element_id(prop)
                raise DeploymentError(f"{name} of element '{element}': {exc}", element_id=element) from None


def _check_flow_references(root) -> None:
    """A flow to or from a missing element gets a message naming both (SpiffWorkflow's is cryptic)."""
    ids = {node.get("id") for node in root.iter() if node.get("id")}
    for flow in root.iter(f"{{{BPMN_NS}}}sequenceFlow"):
        for end in ("sourceRef", "targetRef"):
            ref = flow.get(end)
            if ref not in ids:
                raise DeploymentError(
                    f"sequence flow '{flow.get('id')}': its {end} '{ref}' is not an element of the file",
                    element_id=flow.get("id"))


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
        raise DeploymentError(f"process '{process_id}': closesCase is 'true' or 'false', not "
                              f"'{found.get('value')}'", element_id=process_id)
    return value == "true"


def _user_task_meta(root) -> dict[str, UserTaskMeta]:
    meta = {}
    for node in root.iter(f"{{{BPMN_NS}}}userTask"):
        meta[node.get("id")] = UserTaskMeta(
            form_key=node.get(f"{{{CAMUNDA_NS}}}formKey") or node.get(f"{{{CAMUNDA_NS}}}formRef"),
            candidate_role=node.get(f"{{{CAMUNDA_NS}}}candidateGroups"),
            candidate_unit_expr=_property(node, "candidateUnit"),
            allowed_actions_expr=_property(node, "allowedActions"),
        )
    return meta


def _check_forms(meta: dict[str, UserTaskMeta]) -> None:
    """A user task's form must exist in forms/, or nobody could ever complete the task."""
    from app import forms

    for element, task in meta.items():
        if task.form_key and forms.get(task.form_key) is None:
            raise DeploymentError(f"user task '{element}' names the form '{task.form_key}', "
                                  f"which is not in the forms directory", element_id=element)


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


def parse(xml: bytes, filename: str = "process.bpmn") -> dict[str, ParsedProcess]:
    """Validate and parse a BPMN file; return every executable process in it by process id."""
    try:
        xml.decode("utf-8")
    except UnicodeDecodeError:
        raise DeploymentError(f"{filename}: BPMN files must be UTF-8 encoded") from None
    try:
        root = etree.fromstring(xml, parser=etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError as exc:
        raise DeploymentError(f"{filename}: not well-formed XML: {exc}") from None
    _check_flow_references(root)
    parser = CamundaParser(validator=BpmnValidator())
    try:
        parser.add_bpmn_xml(etree.ElementTree(root), filename=filename)
        process_ids = parser.get_process_ids()
        if not process_ids:
            raise DeploymentError(f"{filename}: no executable process found")
        _check_scripts(root)
        meta, deadlines = _user_task_meta(root), _deadline_timers(root)
        digest = hashlib.sha256(xml).hexdigest()
        return {
            pid: ParsedProcess(parser.get_spec(pid), parser.get_subprocess_specs(pid), meta, digest,
                               deadline_timers=deadlines, closes_case=_closes_case(root, pid))
            for pid in process_ids
        }
    except ValidationException as exc:
        where = f"element '{exc.id}'" if getattr(exc, "id", "") else "the file"
        raise DeploymentError(f"{filename}: {where}: {exc}", element_id=exc.id or None) from None
    except SpiffWorkflowException as exc:
        raise DeploymentError(f"{filename}: {exc}") from None


def deploy(xml: bytes, filename: str, deployed_by_id: int | None = None) -> list[ProcessDefinition]:
    """Deploy a BPMN file: a new version per changed process, nothing for an identical file.

    Runs in the caller's transaction; a concurrent identical deployment loses on the unique
    (process_id, version) constraint and is answered with the winner's row.
    """
    parsed = parse(xml, filename)
    _check_forms(next(iter(parsed.values())).user_tasks)
    digest = next(iter(parsed.values())).sha256
    name_by_id = {pid: (p.spec.description or pid) for pid, p in parsed.items()}
    results = []
    for pid in parsed:
        latest = latest_definition(pid)
        if latest is not None and latest.sha256 == digest:
            results.append(latest)
            continue
        definition = ProcessDefinition(
            process_id=pid, name=name_by_id[pid], version=(latest.version + 1) if latest else 1,
            sha256=digest, filename=filename, bpmn_xml=xml.decode("utf-8"),
            deployed_by_id=deployed_by_id,
        )
        try:
            with db.session.begin_nested():
                db.session.add(definition)
        except IntegrityError:
            definition = latest_definition(pid)
        else:
            _remember(definition, parsed[pid])
        results.append(definition)
    return results


def deploy_directory(directory: str | Path) -> list[ProcessDefinition]:
    deployed = []
    for path in sorted(Path(directory).glob("*.bpmn")):
        deployed.extend(deploy(path.read_bytes(), path.name))
    return deployed


def latest_definition(process_id: str) -> ProcessDefinition | None:
    return db.session.scalars(
        select(ProcessDefinition)
        .where(ProcessDefinition.process_id == process_id)
        .order_by(ProcessDefinition.version.desc())
        .limit(1)
    ).first()


_LATEST_ID = (select(ProcessDefinition.__table__.c.id)
              .where(ProcessDefinition.__table__.c.process_id == bindparam("process_id"))
              .order_by(ProcessDefinition.__table__.c.version.desc()).limit(1))


def latest_definition_id(process_id: str) -> int | None:
    """Id of the newest version, the one new cases start on (one indexed lookup, no XML read)."""
    return db.session.connection().execute(_LATEST_ID, {"process_id": process_id}).scalar()


def list_latest() -> list[ProcessDefinition]:
    newest = (select(ProcessDefinition.process_id, func.max(ProcessDefinition.version).label("v"))
              .group_by(ProcessDefinition.process_id).subquery())
    return list(db.session.scalars(
        select(ProcessDefinition).join(newest, (ProcessDefinition.process_id == newest.c.process_id)
                                       & (ProcessDefinition.version == newest.c.v))
        .order_by(ProcessDefinition.process_id)
    ))


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
    """Forget parsed specs (tests reset the database between cases)."""
    _parsed.clear()
