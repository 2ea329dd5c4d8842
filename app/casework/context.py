"""What a task page and the case page show besides the case row: the replies (R24), what every
earlier step wrote (newest first), names instead of codes, the round, and where a case went.

Read-only. What earlier steps wrote is read from the completed tasks themselves: each task's
own form (the version it ran on) says which fields it has, their labels and option labels, so
a new form field shows up here without a change in Python. The reply's fields are left out of
those notes because the reply is shown whole, in its own box. Escalations and restarts that no
task form wrote (an overdue case escalated by itself, a spot-check) come from the timeline.
"""
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select

from app import forms
from app.accounts.models import User
from app.cases.models import Case
from app.casework.models import CaseReply
from app.casework.replies import REPLY_FIELDS
from app.engine import history, tasks
from app.engine.models import CaseEvent, HumanTask, ProcessInstance
from app.extensions import db
from app.organisation.models import Territory, Unit

#: Timeline events that carry a reason a person or the process gave (payload key of the text).
_EVENT_TEXTS = {"escalated": "reason", "restarted": "reason"}


@dataclass(frozen=True)
class Entry:
    label: str
    text: str


@dataclass(frozen=True)
class Note:
    """One earlier step: who (None: nobody signed in), in which unit, what they chose and wrote."""

    at: datetime
    step: str | None
    kind: str | None
    who: str | None
    by_requester: bool
    unit: str | None
    action: str | None
    entries: tuple[Entry, ...]


@dataclass(frozen=True)
class Reply:
    id: int
    status: str
    unit: str | None
    policy_basis: str
    result: str
    responsible_person: str | None
    contact_phone: str | None
    review_note: str | None
    created_at: datetime
    released_at: datetime | None


@dataclass(frozen=True)
class CaseContext:
    unit: str | None
    territory: str | None
    second_round: bool
    restarted: bool
    replies: list[Reply] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)

    @property
    def under_review(self) -> Reply | None:
        return next((r for r in self.replies if r.status == "draft"), None)

    @property
    def released(self) -> Reply | None:
        return next((r for r in self.replies if r.status == "released"), None)

    @property
    def sent_back(self) -> list[Reply]:
        return [r for r in self.replies if r.status == "sent_back"]


class _Names:
    """Display names of users and units, read in one query each."""

    def __init__(self, user_ids: set, unit_ids: set):
        user_ids, unit_ids = user_ids - {None}, unit_ids - {None}
        self.users = dict(db.session.execute(select(User.id, User.display_name).where(User.id.in_(user_ids)))
                          .all()) if user_ids else {}
        self.units = dict(db.session.execute(select(Unit.id, Unit.name).where(Unit.id.in_(unit_ids)))
                          .all()) if unit_ids else {}

    def unit(self, unit_id) -> str | None:
        return self.units.get(unit_id) if isinstance(unit_id, int) else None


def _completed_tasks(case_id: int) -> list:
    return list(db.session.execute(
        select(HumanTask.name, HumanTask.form_key, HumanTask.candidate_unit_id, HumanTask.completed_by_id,
               HumanTask.completed_at, HumanTask.action, HumanTask.data, ProcessInstance.definition_id)
        .join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
        .where(HumanTask.case_id == case_id, HumanTask.status == "completed")))


def _events(case_id: int) -> list:
    history.write_pending(db.session)
    return list(db.session.execute(
        select(CaseEvent.kind, CaseEvent.actor_id, CaseEvent.at, CaseEvent.payload)
        .where(CaseEvent.case_id == case_id, CaseEvent.kind.in_(_EVENT_TEXTS))))


def _unit_ids_in(value) -> list:
    return [v for v in (value if isinstance(value, list) else [value]) if isinstance(v, int)]


def _shown(form_field, value, names: _Names) -> str | None:
    """A submitted value as a person reads it: the option's label, the unit's name."""
    if value is None or value == "" or value == []:
        return None
    if form_field.references == "unit":
        return "、".join(names.unit(v) or str(v) for v in _unit_ids_in(value))
    labels = dict(form_field.option_labels or ())
    if isinstance(value, list):
        return "、".join(_label(labels, v) for v in value)
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    return _label(labels, value)


def _label(labels: dict, value) -> str:
    """An option's label in the request's language (forms are written in English, app/forms/texts.py);
    a value without an option is what someone typed, shown as it is."""
    return _(labels[value]) if labels.get(value) else str(value)


def _task_note(row, names: _Names) -> Note:
    form = forms.for_definition(row.definition_id, row.form_key) if row.form_key else None
    data = row.data or {}
    entries, action = [], row.action
    for form_field in (form.fields if form else ()):
        text = _shown(form_field, data.get(form_field.key), names)
        if text is None or form_field.key in REPLY_FIELDS:
            continue
        if form_field.key == "action":
            action = text
        else:
            entries.append(Entry(_(form_field.label) if form_field.label else form_field.key, text))
    return Note(at=row.completed_at, step=_(row.name) if row.name else None, kind=None,
                who=names.users.get(row.completed_by_id),
                by_requester=row.completed_by_id is None, unit=names.unit(row.candidate_unit_id),
                action=action, entries=tuple(entries))


def _event_note(row, names: _Names) -> Note:
    payload = row.payload or {}
    unit = names.unit(payload.get("to_unit_id"))
    return Note(at=row.at, step=None, kind=row.kind, who=names.users.get(row.actor_id), by_requester=False,
                unit=unit, action=None, entries=(Entry("", str(payload.get(_EVENT_TEXTS[row.kind]) or "")),))


def _notes(completed: list, events: list, names: _Names) -> list[Note]:
    """Task notes and the timeline's reasons, newest first; a reason a task's form already shows
    (an escalation its handler wrote) is not shown twice."""
    notes = [_task_note(row, names) for row in completed]
    written = {entry.text for note in notes for entry in note.entries}
    notes += [note for note in (_event_note(row, names) for row in events)
              if note.entries[0].text and note.entries[0].text not in written]
    return sorted(notes, key=lambda n: n.at, reverse=True)


def _replies(case_id: int) -> list:
    return list(db.session.scalars(select(CaseReply).where(CaseReply.case_id == case_id)
                                   .order_by(CaseReply.id.desc())))


def gather(case) -> CaseContext:
    """Everything the pages show about a case besides its own row (`case`: any row with the
    case_record columns)."""
    completed, events, replies = _completed_tasks(case.id), _events(case.id), _replies(case.id)
    unit_ids = {case.unit_id, *(r.unit_id for r in replies), *(t.candidate_unit_id for t in completed),
                *((e.payload or {}).get("to_unit_id") for e in events)}
    for row in completed:
        for value in (row.data or {}).values():
            unit_ids.update(_unit_ids_in(value))
    names = _Names({*(t.completed_by_id for t in completed), *(e.actor_id for e in events)}, unit_ids)
    territory = db.session.get(Territory, case.territory_id) if case.territory_id else None
    return CaseContext(
        unit=names.unit(case.unit_id), territory=territory.name if territory else None,
        second_round=bool(case.second_handled), restarted=case.restarted_at is not None,
        replies=[Reply(id=r.id, status=r.status, unit=names.unit(r.unit_id), policy_basis=r.policy_basis,
                       result=r.result, responsible_person=r.responsible_person,
                       contact_phone=r.contact_phone, review_note=r.review_note, created_at=r.created_at,
                       released_at=r.released_at) for r in replies],
        notes=_notes(completed, events, names))


def where_it_went(case_id: int) -> str:
    """After a task is completed: the case is closed, or which units now hold it at which step."""
    if db.session.scalar(select(Case.status).where(Case.id == case_id)) == "closed":
        return _("Done: the case is closed.")
    holders = tasks.open_for_case(case_id)
    if not holders:
        return _("Saved.")
    return _("Passed on: now with %(holders)s.", holders="; ".join(
        f"{h.candidate_unit_name} · {_(h.name)}" if h.candidate_unit_name else _(h.name) for h in holders))
