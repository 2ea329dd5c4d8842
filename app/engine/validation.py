"""Checks a BPMN file and its forms before they are deployed (and on a dry run).

`check_bundle` runs every rule and returns ALL problems, each naming the element and saying what
to change, so a designer fixes a file in one round:

- every formKey/formRef names a form of the bundle;
- every phase named in a call (`deadline('x')`, `mark_overdue('x')`: any registered function's
  `phase` argument) exists (the time-limit table's phases, app/timelimits/limits.phase_codes);
- every candidate role (camunda:candidateGroups: one role) exists (app/accounts/roles.role_codes);
- every called function is registered, and each call binds to its signature;
- sequence flow conditions, `notBy` (four-eyes) and `assignee` (the handler who keeps the case)
  read only variables a form field, a script or the start data writes, and both properties sit on
  user tasks;
- `allowedActions` values are options of the task form's `action` field, none listed twice;
- a camunda:property is given once per element;
- meanings (app/engine/meanings.py) use known values, sit on user tasks, and each meaning the
  product needs from the process is present.
"""
import ast
import inspect
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from flask_babel import gettext

from app.engine import meanings
from app.engine.scripting import SAFE_BUILTINS, registered_functions
from app.i18n import N_

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
NS = {"bpmn": BPMN_NS, "camunda": CAMUNDA_NS}

#: What a process starts with: the case process (cases/service.start_variables) and the appeal
#: process (assessment/appeals.file). tests/test_process_validation.py keeps them in step.
START_VARIABLES = frozenset({
    "case_id", "unit_id", "territory_id", "category_id", "klass", "request_type", "level", "restart",
    "appeal_id", "rating_id", "appeal_reason",
})
#: element tag -> (what the text is called in a message, ast mode); the names are English msgids,
#: translated with gettext when a message is built (`_what`)
_CODE_TAGS = {"conditionExpression": (N_("condition"), "eval"), "timeDate": (N_("timer date"), "eval"),
              "timeDuration": (N_("timer duration"), "eval"), "timeCycle": (N_("timer cycle"), "eval"),
              "loopCardinality": (N_("loop cardinality"), "eval"),
              "completionCondition": (N_("completion condition"), "eval"), "script": (N_("script"), "exec")}
_CODE_PROPERTIES = ("candidateUnit", "allowedActions", "notBy", "assignee")
#: Properties naming a user of a user task, evaluated when the task is created.
_USER_PROPERTIES = ("notBy", "assignee")


def _what(what: str) -> str:
    """What a checked text is called, in the current locale ("candidateUnit"/"allowedActions",
    property names, stay as they are)."""
    return what if what in _CODE_PROPERTIES else gettext(what)


@dataclass(frozen=True)
class Problem:
    """A problem of a bundle; `message` is in the locale of the request that built it (Chinese by
    default, English when asked; outside an app context English)."""

    element_id: str | None
    message: str


@dataclass
class _Code:
    """One expression or script of the file, parsed."""

    element_id: str
    what: str
    tree: ast.AST
    tag: str


@dataclass
class _Task:
    element_id: str
    form_key: str | None
    groups: str | None
    allowed_actions: str | None


@dataclass
class _Bundle:
    root: object
    parsed: dict
    forms: dict
    code: list[_Code] = field(default_factory=list)
    tasks: list[_Task] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def _element_id(node) -> str:
    """The id of the flow element a node belongs to (an event, not its eventDefinition)."""
    while node is not None and (node.get("id") is None or str(node.tag).endswith("EventDefinition")):
        node = node.getparent()
    return node.get("id") if node is not None else "?"


def _read(root, parsed: dict, forms: dict) -> _Bundle:
    bundle = _Bundle(root, parsed, forms)
    for tag, (what, mode) in _CODE_TAGS.items():
        for node in root.iter(f"{{{BPMN_NS}}}{tag}"):
            _add_code(bundle, _element_id(node), what, (node.text or "").strip(), mode, tag)
    for name in _CODE_PROPERTIES:
        for prop in root.iterfind(f".//camunda:property[@name='{name}']", NS):
            _add_code(bundle, _element_id(prop), name, (prop.get("value") or "").strip(), "eval", name)
    for node in root.iter(f"{{{BPMN_NS}}}userTask"):
        allowed = node.find(".//camunda:property[@name='allowedActions']", NS)
        form_key = node.get(f"{{{CAMUNDA_NS}}}formKey") or node.get(f"{{{CAMUNDA_NS}}}formRef")
        bundle.tasks.append(_Task(node.get("id"), form_key, node.get(f"{{{CAMUNDA_NS}}}candidateGroups"),
                                  allowed.get("value") if allowed is not None else None))
    return bundle


def _add_code(bundle: _Bundle, element_id: str, what: str, text: str, mode: str, tag: str) -> None:
    if not text:
        return
    try:
        bundle.code.append(_Code(element_id, what, ast.parse(text, mode=mode), tag))
    except SyntaxError as exc:
        bundle.problems.append(Problem(element_id, gettext(
            "the %(what)s of '%(element)s' is not valid Python (%(error)s); correct it",
            what=_what(what), element=element_id, error=exc.msg)))


def _calls(bundle: _Bundle) -> Iterator[tuple[_Code, ast.Call, str]]:
    for code in bundle.code:
        for node in ast.walk(code.tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                yield code, node, node.func.id


def _bound(fn: Callable, call: ast.Call) -> inspect.BoundArguments | None:
    """The call's arguments bound to the function's parameters (None: *args/**kwargs in the call)."""
    if any(isinstance(a, ast.Starred) for a in call.args) or any(k.arg is None for k in call.keywords):
        return None
    return inspect.signature(fn).bind(*call.args, **{k.arg: k.value for k in call.keywords})


# --- the rules ---------------------------------------------------------------------------------

def _forms_resolve(bundle: _Bundle) -> Iterator[Problem]:
    for task in bundle.tasks:
        if task.form_key and task.form_key not in bundle.forms:
            yield Problem(task.element_id, gettext(
                "user task '%(element)s' names the form '%(form)s', which is not in the bundle: add "
                "%(form)s.form to the deployment or correct formRef", element=task.element_id,
                form=task.form_key))


def _functions(bundle: _Bundle) -> Iterator[Problem]:
    """Registered functions exist and are called with arguments their signature accepts; a phase
    argument names an existing phase."""
    from app.timelimits.limits import phase_codes

    functions, phases = registered_functions(), None
    for code, call, name in _calls(bundle):
        where = gettext("the %(what)s of '%(element)s'", what=_what(code.what), element=code.element_id)
        if name in SAFE_BUILTINS:
            continue
        fn = functions.get(name)
        if fn is None:
            yield Problem(code.element_id, gettext(
                "%(where)s calls '%(name)s', which is not a registered function; use one of: %(names)s",
                where=where, name=name, names=", ".join(sorted(functions))))
            continue
        try:
            bound = _bound(fn, call)
        except TypeError as exc:
            yield Problem(code.element_id, gettext(
                "%(where)s calls %(name)s() with arguments it does not take (%(error)s); call it as "
                "%(name)s%(signature)s", where=where, name=name, error=exc, signature=inspect.signature(fn)))
            continue
        phase = bound.arguments.get("phase") if bound else None
        if isinstance(phase, ast.Constant) and isinstance(phase.value, str):
            phases = phase_codes() if phases is None else phases
            if phase.value not in phases:
                yield Problem(code.element_id, gettext(
                    "%(where)s names the phase '%(phase)s' in %(name)s(), which does not exist; add it with "
                    "its time limit under Administration → Phases and roles, or use one of: %(phases)s",
                    where=where, phase=phase.value, name=name, phases=", ".join(phases)))


def _roles(bundle: _Bundle) -> Iterator[Problem]:
    from app.accounts.roles import role_codes

    known = None
    for task in bundle.tasks:
        if task.groups and "," in task.groups:
            yield Problem(task.element_id, gettext(
                "user task '%(element)s' names several roles in candidateGroups ('%(groups)s'), which "
                "matches nobody; name one role", element=task.element_id, groups=task.groups))
            continue
        for role in meanings.values(task.groups):
            known = role_codes() if known is None else known
            if role not in known:
                yield Problem(task.element_id, gettext(
                    "user task '%(element)s' offers itself to the role '%(role)s' (candidateGroups), which "
                    "does not exist; add it under Administration → Phases and roles, or use one of: "
                    "%(roles)s", element=task.element_id, role=role, roles=", ".join(known)))


def _written_names(bundle: _Bundle) -> set[str]:
    """Variables the process data can hold: start data, fields of the tasks' forms, names scripts
    assign."""
    written = set(START_VARIABLES)
    for task in bundle.tasks:
        form = bundle.forms.get(task.form_key) if task.form_key else None
        written.update(form.keys if form is not None else ())
    for code in bundle.code:
        if code.tag == "script":
            written |= _names(code.tree, ast.Store)
    return written


def _names(tree: ast.AST, context: type) -> set[str]:
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, context)}


def _conditions_read_written(bundle: _Bundle) -> Iterator[Problem]:
    """Conditions, notBy and assignee read what the process writes: a misspelt name would silently
    be false (a condition), exclude nobody (notBy) or give the task to nobody (assignee) — or stop
    the case with an incident."""
    written = _written_names(bundle) | set(SAFE_BUILTINS) | set(registered_functions())
    for code in bundle.code:
        if code.tag not in ("conditionExpression", *_USER_PROPERTIES):
            continue
        local, read = _names(code.tree, ast.Store), _names(code.tree, ast.Load)
        for name in sorted(read - written - local):
            if code.tag == "notBy":
                yield Problem(code.element_id, gettext(
                    "notBy of '%(element)s' reads '%(name)s', which no form field, script or start data "
                    "sets; set it in a script of an earlier step (e.g. reply_author_id = "
                    "reply_author(reply_id)), or correct the name", element=code.element_id, name=name))
                continue
            if code.tag == "assignee":
                yield Problem(code.element_id, gettext(
                    "assignee of '%(element)s' reads '%(name)s', which no form field, script or start "
                    "data sets; set it in a script of an earlier step (e.g. case_handler_id = "
                    "current_user_id()), or correct the name", element=code.element_id, name=name))
                continue
            yield Problem(code.element_id, gettext(
                "the condition of '%(element)s' reads '%(name)s', which no form field, script or start "
                "data sets; set it in a script or a form of an earlier task, or correct the name",
                element=code.element_id, name=name))


def _user_properties_on_user_tasks(bundle: _Bundle) -> Iterator[Problem]:
    user_tasks = {t.element_id for t in bundle.tasks}
    for code in bundle.code:
        if code.tag in _USER_PROPERTIES and code.element_id not in user_tasks:
            yield Problem(code.element_id, gettext(
                "'%(element)s' has %(property)s, but only user tasks can have it (nobody completes any "
                "other element); move the property to a user task", element=code.element_id,
                property=code.tag))


def _literal_lists(tree: ast.AST) -> Iterator[list[str]]:
    for node in ast.walk(tree):
        if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
            yield [e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]


def _allowed_actions(bundle: _Bundle) -> Iterator[Problem]:
    for task in bundle.tasks:
        if not task.allowed_actions:
            continue
        try:
            tree = ast.parse(task.allowed_actions, mode="eval")
        except SyntaxError:
            continue  # reported with the other code
        form = bundle.forms.get(task.form_key) if task.form_key else None
        action = form.field("action") if form is not None else None
        where = gettext("allowedActions of user task '%(element)s'", element=task.element_id)
        if form is not None and action is None:
            yield Problem(task.element_id, gettext(
                "%(where)s: the form '%(form)s' has no 'action' field; add one with these actions as its "
                "options, or remove allowedActions", where=where, form=task.form_key))
        for listed in _literal_lists(tree):
            for value in sorted({v for v in listed if listed.count(v) > 1}):
                yield Problem(task.element_id, gettext(
                    "%(where)s lists '%(value)s' twice; list each action once", where=where, value=value))
            options = action.options if action is not None else None
            for value in dict.fromkeys(listed):
                if options is not None and value not in options:
                    yield Problem(task.element_id, gettext(
                        "%(where)s offers '%(value)s', which is not an option of the action field of the "
                        "form '%(form)s' (options: %(options)s); add the option to the form or correct the "
                        "value", where=where, value=value, form=task.form_key,
                        options=", ".join(map(str, options))))


def _properties_once(bundle: _Bundle) -> Iterator[Problem]:
    for properties in bundle.root.iterfind(".//camunda:properties", NS):
        names = [p.get("name") for p in properties.iterfind("camunda:property", NS)]
        for name in sorted({n for n in names if names.count(n) > 1}):
            element = _element_id(properties)
            yield Problem(element, gettext(
                "'%(element)s' has the property '%(name)s' more than once; keep one (several values go in "
                "one property, separated by commas)", element=element, name=name))


def _meanings(bundle: _Bundle) -> Iterator[Problem]:
    marked: set[str] = set()
    user_tasks = {t.element_id for t in bundle.tasks}
    for kind, allowed in meanings.VOCABULARY.items():
        for prop in bundle.root.iterfind(f".//camunda:property[@name='{kind}']", NS):
            element = _element_id(prop)
            if element not in user_tasks:
                yield Problem(element, gettext(
                    "'%(element)s' is marked %(kind)s, but only user tasks can have it; move the property "
                    "to a user task", element=element, kind=kind))
            for value in meanings.values(prop.get("value")):
                if value not in allowed:
                    yield Problem(element, gettext(
                        "'%(element)s' has %(kind)s '%(value)s', which the product does not know; use one "
                        "of: %(values)s", element=element, kind=kind, value=value, values=", ".join(allowed)))
                elif kind == meanings.MEANING and element in user_tasks:
                    marked.add(value)
    called = {name for _, _, name in _calls(bundle)}
    process = next(iter(bundle.parsed), None)
    for function, (meaning, why) in meanings.NEEDS.items():
        if function in called and meaning not in marked:
            yield Problem(process, gettext(
                "the process calls %(function)s() but no user task is marked with the meaning "
                "'%(meaning)s' (%(why)s); add <camunda:property name=\"meaning\" value=\"%(meaning)s\"/> "
                "to that task", function=function, meaning=meaning, why=gettext(why)))


RULES: tuple[Callable[[_Bundle], Iterator[Problem]], ...] = (
    _forms_resolve, _functions, _roles, _conditions_read_written, _user_properties_on_user_tasks,
    _allowed_actions, _properties_once, _meanings)


def catalogue() -> dict:
    """What a designer may name, for the workbench's pickers: phases and roles (built-in and added),
    registered functions with their parameters, and the meaning properties with their values."""
    from app.accounts.roles import all_roles
    from app.timelimits.limits import all_phases

    def named(row: dict) -> dict:
        return {"code": row["code"], "name": f"{row['name_zh']} {row['name_en']}",
                "name_zh": row["name_zh"], "name_en": row["name_en"]}

    functions = [{"name": name, "params": str(inspect.signature(fn)),
                  "doc": (inspect.getdoc(fn) or "").split("\n\n")[0]}
                 for name, fn in sorted(registered_functions().items())]
    return {"phases": [named(p) for p in all_phases()], "roles": [named(r) for r in all_roles()],
            "functions": functions, "meanings": {k: list(v) for k, v in meanings.VOCABULARY.items()}}


def check_bundle(root, parsed: dict, forms: dict) -> list[Problem]:
    """Every problem of a BPMN file (lxml root; `parsed` = repository.parse's result) with its forms
    ({form_id: FormDefinition}); empty when it may be deployed."""
    bundle = _read(root, parsed, forms)
    problems = list(bundle.problems)
    for rule in RULES:
        problems.extend(rule(bundle))
    return list(dict.fromkeys(problems))
