"""The handler workspace: the inbox (待办) with its filters and queues, signing for a task, the task
page with its form, the supervision list, the unsatisfied zone, and a case's process diagram.

Views parse the request, call app.workspace / app.engine / app.supervision and render. The task
form is a Camunda Form rendered in the browser by the vendored form-js viewer
(static/js/task-form.js); its submission comes back as JSON and is validated by the server
exactly like the API's (app/engine/tasks.complete).
"""
import json
from datetime import date

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import case as sql_case
from sqlalchemy import select

from app import forms
from app.attachments import service as attachments
from app.cases import duplicates
from app.cases.service import get_visible
from app.casework import context as case_context
from app.clock import utcnow
from app.engine import meanings, names, repository, tasks
from app.engine.errors import Conflict, EngineError, Forbidden, InvalidData
from app.engine.history import elements_passed
from app.engine.models import ProcessInstance
from app.extensions import db
from app.i18n import problems_text
from app.organisation.models import CLASSES, UNIT_LEVELS, Unit
from app.privacy.service import masked, may_reveal
from app.supervision import service as supervision
from app.timelimits.lights import basis, light, remaining
from app.timelimits.models import REQUEST_TYPES
from app.web.cases import page_number
from app.web.security import current_user, login_required
from app.workspace.inbox import LIGHTS, QUEUES, SCOPES, SORTS, InboxFilter, inbox

bp = Blueprint("web_workspace", __name__)

PAGE_SIZE = 50


def _choice(name: str, allowed) -> str | None:
    value = request.args.get(name) or None
    return value if value in allowed else None


def _day(name: str) -> date | None:
    try:
        return date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return None


def _filter() -> InboxFilter:
    """The inbox filter from the query string; unknown values are ignored, not errors."""
    text = (request.args.get("q") or "").strip()[:100] or None
    return InboxFilter(scope=_choice("scope", SCOPES) or "all", queue=_choice("queue", QUEUES),
                       request_type=_choice("type", REQUEST_TYPES), klass=_choice("class", CLASSES),
                       light=_choice("light", LIGHTS), territory_code=(request.args.get("territory") or None),
                       created_from=_day("from"), created_to=_day("to"), text=text,
                       sort=_choice("sort", SORTS) or "due")


@bp.get("/inbox")
@login_required("task:work")
def inbox_page():
    wanted, page, at = _filter(), page_number(), basis(utcnow())
    rows = inbox(current_user(), wanted, at, limit=PAGE_SIZE + 1, offset=(page - 1) * PAGE_SIZE)
    shown = rows[:PAGE_SIZE]
    lights = {row.id: light(row.created_at, row.due_at, at) for row in shown}
    time_left = {row.id: remaining(row.due_at, at) for row in shown}
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template("workspace/inbox.html", rows=shown, lights=lights, time_left=time_left,
                           wanted=wanted, page=page, has_next=len(rows) > PAGE_SIZE, args=args, scopes=SCOPES,
                           queues=QUEUES,
                           request_types=REQUEST_TYPES, classes=CLASSES, light_codes=LIGHTS, sorts=SORTS)


@bp.post("/tasks/<string:task_id>/claim")
@login_required("task:work")
def claim(task_id: str):
    """签收: one click; the row comes back signed for (htmx) or the task page opens."""
    tasks.claim(current_user(), task_id)
    if request.headers.get("HX-Request"):
        return render_template("workspace/_claimed.html", task_id=task_id)
    return redirect(url_for(".task_page", task_id=task_id))


_LEVEL_ORDER = sql_case({level: i for i, level in enumerate(UNIT_LEVELS)}, value=Unit.level,
                        else_=len(UNIT_LEVELS))


def _unit_choices() -> list[dict]:
    """Every unit for a unit field's options, village level first, ordered in SQL."""
    rows = db.session.execute(select(Unit.id, Unit.name, Unit.code).order_by(_LEVEL_ORDER, Unit.code))
    return [{"label": f"{r.name} ({r.code})", "value": r.id} for r in rows]


def _form_for(task, data: dict, allowed: list | None) -> tuple[dict | None, dict]:
    """The form-js schema (only the allowed actions offered) and its initial data."""
    form = forms.for_definition(task.definition_id, task.form_key) if task.form_key else None
    if form is None:
        return None, {}
    schema = forms.translate(form.schema())
    if allowed is not None:
        for component in schema.get("components", []):
            if component.get("key") == "action" and isinstance(component.get("values"), list):
                component["values"] = [v for v in component["values"] if v.get("value") in allowed]
    initial = {key: data[key] for key in form.keys if key in data and key != "action"}
    if task.element_id in meanings.elements(meanings.MEANING, "dispatch"):  # the catalogue's proposal (R8)
        initial["unit_id"] = initial.get("unit_id") or data.get("proposed_unit_id")
        initial["level"] = initial.get("level") or data.get("proposed_level")
    if any(field.values_key == "unit_choices" for field in form.fields):
        initial["unit_choices"] = _unit_choices()
    return schema, {k: v for k, v in initial.items() if v is not None}


@bp.get("/tasks/<string:task_id>")
@login_required("task:work")
def task_page(task_id: str):
    user = current_user()
    task, data, allowed = tasks.form_context(user, task_id)
    case = get_visible(user, task.case_number)
    schema, initial = _form_for(task, data, allowed)
    at = basis(utcnow())
    why_not = tasks.why_not(user, task) if task.status == "open" else None
    mine = task.status == "open" and task.assignee_id == user.id
    calls_requester = meanings.has(task.definition_id, task.element_id, meanings.SHOWS, "requester_contact")
    return render_template("workspace/task.html", task=task, case=case, schema=schema, initial=initial,
                           light=light(task.created_at, task.due_at, at) if task.status == "open" else None,
                           time_left=remaining(task.due_at, at) if task.status == "open" else None,
                           directives=supervision.for_case(case.id), why_not=why_not,
                           may_act=task.status == "open" and why_not is None, mine=mine,
                           colleagues=tasks.colleagues(user, task_id) if mine else [],
                           attachments=attachments.for_case(case.id), viewer_texts=forms.texts.viewer_texts(),
                           duplicates=duplicates.for_task(user, task, case),
                           context=case_context.gather(case),
                           person=masked(case) if calls_requester else None, revealed=False,
                           may_reveal=calls_requester and may_reveal(user, case))


@bp.post("/tasks/<string:task_id>/unclaim")
@login_required("task:work")
def unclaim(task_id: str):
    """取消签收: back to every candidate."""
    try:
        tasks.unclaim(current_user(), task_id)
    except (Conflict, Forbidden) as error:
        flash(error.message, "error")
        return redirect(url_for(".task_page", task_id=task_id))
    flash(_("You gave the task back; every colleague it is offered to can sign for it again."), "success")
    return redirect(url_for(".task_page", task_id=task_id))


@bp.post("/tasks/<string:task_id>/hand-over")
@login_required("task:work")
def hand_over(task_id: str):
    """转交 to a colleague chosen from the task page."""
    try:
        colleague = tasks.hand_over(current_user(), task_id, _int(request.form.get("to_user_id")))[1]
    except InvalidData as error:
        flash(_("Nothing was handed over: %(problems)s", problems=_problems(error)), "error")
    except (Conflict, Forbidden) as error:
        flash(error.message, "error")
    else:
        flash(_("Handed over to %(name)s.", name=colleague.display_name), "success")
        return redirect(url_for(".inbox_page"))
    return redirect(url_for(".task_page", task_id=task_id))


def _int(value: str | None) -> int | None:
    try:
        return int(value or "")
    except ValueError:
        return None


def _problems(error: InvalidData) -> str:
    return "; ".join(", ".join(messages) for messages in problems_text(error.errors).values())


def _next_task_url() -> str:
    """After completing a task: the next one in my inbox, or the inbox itself."""
    rows = inbox(current_user(), InboxFilter(), basis(utcnow()), limit=1)
    return url_for(".task_page", task_id=rows[0].id) if rows else url_for(".inbox_page")


@bp.post("/tasks/<string:task_id>/complete")
@login_required("task:work")
def complete(task_id: str):
    """JSON in ({"data": {...}}), JSON out: 200 {next}, 422 {errors}, 409/403/404 {message}.
    A second submission of the same task (double click, back button) gets 409, never a second
    completion: the engine refuses a task that is no longer open."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("data"), dict):
        return jsonify(message=_("The form data could not be read."), errors={}), 400
    try:
        done = tasks.complete(current_user(), task_id, body["data"])
    except InvalidData as error:
        return jsonify(message=_("Nothing was saved; please correct the marked fields."),
                       errors=problems_text(error.errors)), 422
    except Conflict:
        return jsonify(message=_("This task has already been completed or changed; reload the page."),
                       next=url_for(".inbox_page")), 409
    except EngineError as error:
        return jsonify(message=str(error)), error.status
    went = case_context.where_it_went(done["case_id"])
    flash(went, "success")
    return jsonify(next=_next_task_url(), message=went)


@bp.get("/supervision")
@login_required("case:read")
def supervision_page():
    page = page_number()
    rows = supervision.supervision_list(current_user(), limit=PAGE_SIZE + 1, offset=(page - 1) * PAGE_SIZE)
    instructed, counts = supervision.instructed_cases(current_user(), limit=20)
    return render_template("workspace/supervision.html", rows=rows[:PAGE_SIZE], page=page,
                           has_next=len(rows) > PAGE_SIZE, instructed=instructed, counts=counts)


@bp.get("/unsatisfied")
@login_required("case:read")
def unsatisfied_page():
    page = page_number()
    rows = supervision.unsatisfied_zone(current_user(), limit=PAGE_SIZE + 1, offset=(page - 1) * PAGE_SIZE)
    return render_template("workspace/unsatisfied.html", rows=rows[:PAGE_SIZE], page=page,
                           has_next=len(rows) > PAGE_SIZE)


@bp.post("/cases/<string:number>/directives")
@login_required("case:direct")
def write_directive(number: str):
    try:
        issued = supervision.issue(current_user(), number, request.form.get("kind", ""),
                                   request.form.get("text", ""))
    except InvalidData as error:
        flash(_("Nothing was sent: %(problems)s", problems="; ".join(
            f"{field}: {', '.join(messages)}" for field, messages in (error.errors or {}).items())), "error")
    else:
        flash(_("Sent to: %(recipients)s", recipients=_recipients_text(issued.recipients)), "success")
    return redirect(url_for("web_cases.case_detail", number=number) + "#directives")


def _recipients_text(recipients) -> str:
    """张三、李四（和平街道办事处）: names grouped by the unit they hold the case in."""
    by_unit: dict[str | None, list[str]] = {}
    for person in recipients:
        by_unit.setdefault(person.unit, []).append(person.name)
    groups = [_("%(names)s (%(unit)s)", names=_(", ").join(names), unit=unit) if unit else _(", ").join(names)
              for unit, names in by_unit.items()]
    return _("; ").join(groups)


@bp.get("/cases/<string:number>/diagram.json")
@login_required("case:read")
def case_diagram(number: str):
    """The BPMN of the case's own process version, and which elements are done and current. A
    process run beside it (an appeal of a rating: its BPMN says it does not close the case) is
    not the case's own."""
    case = get_visible(current_user(), number)
    definition_ids = db.session.scalars(select(ProcessInstance.definition_id)
                                        .where(ProcessInstance.case_id == case.id)
                                        .order_by(ProcessInstance.id.desc())).all()
    definition_id = next((d for d in definition_ids if repository.parsed_by_id(d).closes_case), None)
    if definition_id is None:
        abort(404)
    current = {holder.element_id for holder in tasks.open_for_case(case.id)}
    return jsonify(xml=names.translate_xml(repository.definition_xml(definition_id)), current=sorted(current),
                   done=sorted(elements_passed(case.id) - current))


@bp.app_template_filter("task_json")
def task_json(value) -> str:
    """JSON for a <script type="application/json"> block (no `</script>` can close it early)."""
    return json.dumps(value, ensure_ascii=False).replace("<", "\\u003c")
