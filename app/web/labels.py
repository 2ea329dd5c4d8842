"""Display names for codes the pages show (the code itself stays visible in small print).

The tables hold English msgids marked with N_ (extracted by pybabel, translated later): the
template filters and `label`/`choices` translate them into the request's locale when a page renders.
Phases and roles an administrator added have no msgid: their stored Chinese or English name is
shown, by the request's locale (`role_label`, `phase_label`, `role_choices`, `phase_choices`).
"""
from flask import Flask, g, has_request_context
from flask_babel import get_locale
from sqlalchemy import select

from app.i18n import N_, locale_code, messages

gettext, ngettext, pgettext = messages.gettext, messages.ngettext, messages.pgettext

ROLES = {"registrar": N_("Registrar"), "dispatcher": N_("Dispatcher"), "handler": N_("Handler"),
         "unit_reviewer": N_("Unit reviewer"), "platform_supervisor": N_("Platform supervisor"),
         "leader": N_("Leader"), "administrator": N_("Administrator"),
         "process_designer": N_("Process designer"), "auditor": N_("Auditor")}
ROLE_SCOPES = {"territory": N_("Cases of the unit's territory and below"),
               "unit": N_("Cases the unit holds or has a task of"),
               "tasks": N_("Only cases they hold a task of")}
STATUSES = {"open": N_("In progress"), "closed": N_("Closed")}
EVENTS = {"case_created": N_("Case registered"), "case_corrected": N_("Case corrected"),
          "case_closed": N_("Case closed"),
          "route_proposed": N_("Unit proposed"), "assigned": N_("Assigned"), "escalated": N_("Escalated"),
          "reply_drafted": N_("Reply written"), "reply_sent_back": N_("Reply sent back"),
          "reply_released": N_("Reply released"), "rated": N_("Rated"), "not_accepted": N_("Not accepted"),
          "answered_at_intake": N_("Answered at intake"), "deadline_extended": N_("Deadline extended"),
          "reminder": N_("Reminder"), "overdue": N_("Overdue"), "not_rated": N_("Not rated"),
          "assessed": N_("Unit assessed"), "accountability_referral": N_("Referred for accountability"),
          "restarted": N_("Handling restarted"), "reminder_note": N_("Reminder note"),
          "supervision_order": N_("Supervision order"), "instruction": N_("Leader instruction"),
          "attachment_added": N_("File attached"), "duplicate_call": N_("Repeated call"),
          "case_unpublished": N_("Unpublished"), "appeal_filed": N_("Rating appealed"),
          "appeal_accepted": N_("Appeal accepted"), "appeal_rejected": N_("Appeal rejected"),
          "process_started": N_("Process started"), "process_completed": N_("Process completed"),
          "task_created": N_("Task created"), "task_claimed": N_("Task claimed"),
          "task_unclaimed": N_("Signing for cancelled"), "task_handed_over": N_("Task handed over"),
          "task_completed": N_("Task completed"), "task_cancelled": N_("Task cancelled"),
          "timer_fired": N_("Timer fired"), "migrated": N_("Moved to another process version"),
          "migration_reverted": N_("Process version migration reverted"),
          "repair_moved": N_("Moved to a step by an administrator"),
          "repair_closed": N_("Closed by an administrator"), "first_contact": N_("Requester called back"),
          "returned": N_("Returned by the unit"), "return_overruled": N_("Return overruled"),
          "deadline_changed": N_("Deadline recalculated"),
          "merged_into": N_("Merged into another case"), "merged_from": N_("A duplicate was merged into it"),
          "merged_answer": N_("Told the answer of the main case")}
LEVELS = {"city": N_("City"), "county": N_("County (district)"), "township": N_("Township (subdistrict)"),
          "village": N_("Village (community)"), "grid": N_("Grid"), "compound": N_("Residential compound"),
          "building": N_("Building"), "group": N_("Villagers' group"), "department": N_("Department")}
UNIT_KINDS = {"committee": N_("Village or residents' committee"), "office": N_("Government office"),
              "department": N_("Functional department"), "centre": N_("12345 centre")}
CLASSES = {"livelihood": N_("Livelihood"), "development": N_("Development"),
           "enforcement": N_("Enforcement")}
IMPORT_KINDS = {"users": N_("Users"), "territories": N_("Territories"), "units": N_("Units"),
                "categories": N_("Categories"), "routing-rules": N_("Routing rules")}
PHASES = {"dispatch": N_("Dispatch"), "sign_for": N_("Signing for"), "first_contact": N_("First contact"),
          "handling": N_("Handling"), "unit_review": N_("Unit review"),
          "platform_review": N_("Platform review"), "rating_window": N_("Rating window"),
          "extension_max": N_("Maximum extension"), "appeal_review": N_("Appeal review")}
REQUEST_TYPES = {"consultation": N_("Consultation"), "help": N_("Request for help"),
                 "complaint": N_("Complaint"), "report": N_("Report"), "suggestion": N_("Suggestion")}
COMPLEXITIES = {"simple": N_("Simple"), "complex": N_("Complex"),
                "especially_complex": N_("Especially complex")}
LIMIT_UNITS = {"working_days": N_("Working days"), "calendar_days": N_("Calendar days"),
               "working_hours": N_("Working hours"), "hours": N_("Hours"), "minutes": N_("Minutes")}
OVERRIDE_KINDS = {"holiday": N_("Holiday"), "workday": N_("Working day (make-up)")}
CALENDAR_REASONS = {"override": N_("Administrator override"), "official_holiday": N_("Official holiday"),
                    "official_workday": N_("Official make-up working day"), "weekday": N_("Weekday"),
                    "weekend": N_("Weekend")}
WEEKDAYS = {1: N_("Monday"), 2: N_("Tuesday"), 3: N_("Wednesday"), 4: N_("Thursday"), 5: N_("Friday"),
            6: N_("Saturday"), 7: N_("Sunday")}
AUDIT_ENTITIES = {"territory": N_("Territory"), "unit": N_("Unit"), "category": N_("Category"),
                  "routing_rule": N_("Routing rule"), "user": N_("User"), "import": N_("Import"),
                  "time_limit": N_("Time limit"), "setting": N_("Setting"),
                  "calendar_override": N_("Calendar override"), "channel_key": N_("Channel key"),
                  "assessment_scheme": N_("Assessment scheme"), "assessment_snapshot": N_("Frozen ranking"),
                  "process_release": N_("Process release"), "process_choice": N_("Process choice"),
                  "phase": N_("Phase"), "role": N_("Role"), "task": N_("Task")}
AUDIT_ACTIONS = {"create": N_("Created"), "update": N_("Changed"), "delete": N_("Deleted")}
LIGHTS = {"blue": N_("Blue light"), "yellow": N_("Yellow light"), "red": N_("Red light")}
DIRECTIVES = {"reminder_note": N_("Reminder note"), "supervision_order": N_("Supervision order"),
              "instruction": N_("Leader instruction")}
RATINGS = {"satisfied": N_("Satisfied"), "basically_satisfied": N_("Basically satisfied"),
           "unsatisfied": N_("Unsatisfied"), "resolved": N_("Resolved"),
           "basically_resolved": N_("Basically resolved"), "unresolved": N_("Unresolved")}
APPEAL_STATUSES = {"open": N_("Under review"), "accepted": N_("Accepted"), "rejected": N_("Rejected")}
ASSESSMENT_RESULTS = {"completed": N_("Duties fulfilled"), "not_completed": N_("Duties not fulfilled")}
CONTACT_RESULTS = {"reached": N_("Contacted"), "unreachable": N_("Could not reach")}
CHANNELS = {"hotline": N_("12345 hotline"), "web": N_("Citizen web form"), "api": N_("Case API")}
OUTCOMES = {"not_accepted": N_("Not accepted"), "satisfied": N_("Closed, satisfied"),
            "not_rated": N_("Closed, not rated"), "unsatisfied": N_("Closed, unsatisfied"),
            "merged": N_("Closed, merged into another case")}

_TABLES = {"status_label": STATUSES, "event_label": EVENTS, "level_label": LEVELS,
           "kind_label": UNIT_KINDS, "class_label": CLASSES, "import_kind_label": IMPORT_KINDS,
           "request_type_label": REQUEST_TYPES, "complexity_label": COMPLEXITIES,
           "limit_unit_label": LIMIT_UNITS, "override_kind_label": OVERRIDE_KINDS, "light_label": LIGHTS,
           "directive_label": DIRECTIVES, "rating_label": RATINGS, "outcome_label": OUTCOMES,
           "calendar_reason_label": CALENDAR_REASONS, "weekday_label": WEEKDAYS,
           "audit_entity_label": AUDIT_ENTITIES, "audit_action_label": AUDIT_ACTIONS,
           "appeal_status_label": APPEAL_STATUSES, "assessment_result_label": ASSESSMENT_RESULTS,
           "role_scope_label": ROLE_SCOPES, "channel_label": CHANNELS}


def label(code: str | None, table: dict) -> str:
    """The translated name of `code` in the request's locale (the code itself when it has none)."""
    return gettext(table[code]) if code in table else (code or "")


def choices(codes, table: dict) -> list[tuple[str, str]]:
    """(code, translated name) pairs for a <select>."""
    return [(code, label(code, table)) for code in codes]


def _added_names(kind: str) -> dict[str, tuple[str, str]]:
    """code -> (zh, en) of the phases or roles added as rows; read once per request."""
    from app.accounts.roles import names as role_names
    from app.timelimits.limits import phase_names

    cache = g.setdefault("_added_names", {}) if has_request_context() else {}
    if kind not in cache:
        cache[kind] = role_names() if kind == "role" else phase_names()
    return cache[kind]


def _data_label(code: str | None, table: dict, kind: str) -> str:
    if code in table or not code:
        return label(code, table)
    names = _added_names(kind).get(code)
    if names is None:
        return code
    return names[0] if locale_code(get_locale()) == "zh_CN" else names[1]


def task_name(name: str | None) -> str:
    """A name from the BPMN (a task's or a process's, stored as the designer wrote it, in English)
    in the request's language; app/engine/names.py puts these names into the catalogue."""
    return gettext(name) if name else ""


#: payload values of timeline events shown as they are: what people wrote
EVENT_TEXTS = ("reason", "text", "note", "redirect_to")
#: payload values of timeline events that are codes, and the table naming them
EVENT_CODES = {"phase": None, "level": LEVELS, "satisfaction": RATINGS, "resolution": RATINGS,
               "result": ASSESSMENT_RESULTS, "contact_result": CONTACT_RESULTS}


def event_details(event) -> list[str]:
    """What a timeline entry says beyond its kind, in the request's language: the step's name,
    the action taken (the option's label in that step's own form), phases, levels and ratings by
    name, and what people wrote; never a code."""
    payload = event.payload or {}
    details = [task_name(payload["name"])] if payload.get("name") else []
    if payload.get("action") is not None:
        details.append(_action_label(event, payload["action"]))
    for key, table in EVENT_CODES.items():
        code = payload.get(key)
        if isinstance(code, str) and code:
            details.append(phase_label(code) if table is None else label(code, table))
    details += [str(payload[key]) for key in EVENT_TEXTS if payload.get(key)]
    if payload.get("by_process"):
        details.append(gettext("signed for by the process"))
    return details


def _action_label(event, action) -> str:
    """The label of `action` in the form of the task the event completed (its process version's)."""
    from app import forms
    from app.engine import repository

    form = None
    if event.instance_id is not None and event.element_id:
        definition_id = _definition_of(event.instance_id)
        meta = repository.parsed_by_id(definition_id).user_tasks.get(event.element_id)
        if meta is not None and meta.form_key:
            form = forms.for_definition(definition_id, meta.form_key)
    return forms.texts.option_label(form, "action", action) or str(action)


def _definition_of(instance_id: int) -> int:
    """The process version of an instance, read once per request: a timeline names the actions
    of one instance many times, and loading the instance would read its whole saved state."""
    from app.engine.models import ProcessInstance
    from app.extensions import db

    known = g.setdefault("instance_definitions", {}) if has_request_context() else {}
    if instance_id not in known:
        known[instance_id] = db.session.scalar(
            select(ProcessInstance.definition_id).where(ProcessInstance.id == instance_id))
    return known[instance_id]


def role_label(code: str | None) -> str:
    return _data_label(code, ROLES, "role")


def phase_label(code: str | None) -> str:
    return _data_label(code, PHASES, "phase")


def role_choices() -> list[tuple[str, str]]:
    """(code, name) of every role, built-in and added, for a <select>."""
    from app.accounts.roles import role_codes

    return [(code, role_label(code)) for code in role_codes()]


def phase_choices() -> list[tuple[str, str]]:
    """(code, name) of every phase, built-in and added, for a <select>."""
    from app.timelimits.limits import phase_codes

    return [(code, phase_label(code)) for code in phase_codes()]


def time_left(left) -> str:
    """A `lights.Remaining` as the page says it: "剩 1 工作日 3 小时", "超期 2 小时", "剩 25 分钟"
    (English "1 working day 3 h left"): the two largest units, rounded down."""
    if left is None:
        return ""
    days, hours, minutes = left.parts()
    if days:
        amount = ngettext("%(num)d working day", "%(num)d working days", days)
        if hours:
            amount = gettext("%(days)s %(hours)d h", days=amount, hours=hours)
    elif hours:
        amount = gettext("%(num)d h", num=hours)
        if minutes:
            amount = gettext("%(hours)s %(minutes)d min", hours=amount, minutes=minutes)
    elif minutes:
        amount = gettext("%(num)d min", num=minutes)
    else:
        return pgettext("time left", "Overdue") if left.overdue else gettext("Less than a minute left")
    if left.overdue:
        return gettext("%(amount)s overdue", amount=amount)
    return gettext("%(amount)s left", amount=amount)


def init_app(app: Flask) -> None:
    for name, table in _TABLES.items():
        app.add_template_filter(lambda code, table=table: label(code, table), name)
    app.add_template_filter(task_name, "task_name")
    app.add_template_filter(event_details, "event_details")
    app.add_template_filter(role_label, "role_label")
    app.add_template_filter(phase_label, "phase_label")
    app.add_template_filter(time_left, "time_left")


def territory_choices() -> list[tuple[str, str]]:
    """(code, name indented by depth) of every territory, in tree order, for place pickers."""
    from sqlalchemy import select

    from app.extensions import db
    from app.organisation.models import Territory

    rows = db.session.execute(select(Territory.code, Territory.name, Territory.path).order_by(Territory.path))
    return [(code, "\u00a0\u00a0" * (path.count("/") - 2) + name) for code, name, path in rows]
