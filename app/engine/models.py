"""Engine tables. The instance row holds SpiffWorkflow's serialized state; the other tables
are mirrors and history written in the same transaction, so queries never unpack JSON."""
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.clock import utcnow
from app.extensions import db


class ProcessDefinition(db.Model):
    """One deployed version of a BPMN process; the XML and its forms (ProcessForm) are kept so any
    version can be re-parsed and its tasks rendered with their own forms. Never changed."""

    __tablename__ = "process_definition"
    __table_args__ = (UniqueConstraint("process_id", "version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[str] = mapped_column(String(200), index=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    version: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    #: Hash over the BPMN and its forms: a bundle deployed once is recognised at start-up.
    bundle_sha256: Mapped[str] = mapped_column(String(64), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    bpmn_xml: Mapped[str] = mapped_column(Text)
    deployed_at: Mapped[datetime] = mapped_column(default=utcnow)
    deployed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))


class ProcessForm(db.Model):
    """A form of one deployed version (the bundle): tasks of that version render and validate with it."""

    __tablename__ = "process_form"
    __table_args__ = (UniqueConstraint("definition_id", "form_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("process_definition.id"))
    form_id: Mapped[str] = mapped_column(String(200))
    filename: Mapped[str] = mapped_column(String(255))
    source: Mapped[str] = mapped_column(Text)


class ProcessRelease(db.Model):
    """The version of a process new cases start on; an administrator may point it back (roll back)."""

    __tablename__ = "process_release"
    process_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("process_definition.id"))
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))


class ProcessChoice(db.Model):
    """Which process a new case starts on by its request type and class (klass None: any class)."""

    __tablename__ = "process_choice"
    __table_args__ = (UniqueConstraint("request_type", "klass"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    request_type: Mapped[str] = mapped_column(String(20))
    klass: Mapped[str | None] = mapped_column(String(20))
    process_id: Mapped[str] = mapped_column(String(200))


class ProcessInstance(db.Model):
    """A running or finished process; `revision` is SQLAlchemy's version counter (optimistic lock)."""

    __tablename__ = "process_instance"
    id: Mapped[int] = mapped_column(primary_key=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("process_definition.id"), index=True)
    #: A case has one instance, or more after a spot-check restarted it (R27); one runs at a time.
    case_id: Mapped[int] = mapped_column(ForeignKey("case_record.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="running")
    state: Mapped[str] = mapped_column(Text)
    revision: Mapped[int] = mapped_column(default=1)
    #: True while the instance has an open incident, so the hot path skips the incident query.
    incident_open: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    definition: Mapped[ProcessDefinition] = relationship(lazy="raise")

    __mapper_args__: ClassVar[dict] = {"version_id_col": revision}


class HumanTask(db.Model):
    """Mirror of READY user tasks (status 'open') and, once done, their history."""

    __tablename__ = "human_task"
    __table_args__ = (
        # the inbox: one range per candidate term (status, unit, unclaimed), see bench/README.md
        Index("ix_human_task_unit_inbox", "status", "candidate_unit_id", "assignee_id", "due_at"),
        Index("ix_human_task_assignee_inbox", "status", "assignee_id", "due_at"),
        Index("ix_human_task_instance_status", "instance_id", "status"),
        # jurisdiction (app/cases/access.py): the cases a unit or a user has a task of
        Index("ix_human_task_unit_case", "candidate_unit_id", "case_id"),
        Index("ix_human_task_assignee_case", "assignee_id", "case_id"),
        # the case list's light (app/cases/search.py): the cases of the open tasks due before a moment
        Index("ix_human_task_open_due", "due_at", "case_id", sqlite_where=text("status = 'open'"),
              postgresql_where=text("status = 'open'")),
    )
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"))
    case_id: Mapped[int] = mapped_column(ForeignKey("case_record.id"), index=True)
    element_id: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(200), default="")
    candidate_unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"))
    candidate_role: Mapped[str | None] = mapped_column(String(40))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    #: Who may not sign for or complete it: the task's notBy property, evaluated when it was created
    #: (the four-eyes rule: the author of a reply does not approve it).
    excluded_user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    form_key: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default="open")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    due_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    completed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    action: Mapped[str | None] = mapped_column(String(40))
    data: Mapped[dict[str, Any] | None] = mapped_column(JSON)



class Timer(db.Model):
    """Mirror of waiting timer events; schedulers claim due rows so only one fires each."""

    __tablename__ = "timer"
    __table_args__ = (
        Index("ix_timer_status_due", "status", "due_at"),
        Index("ix_timer_instance_status", "instance_id", "status"),
    )
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"))
    element_id: Mapped[str] = mapped_column(String(200))
    due_at: Mapped[datetime]
    #: When the timer began waiting: a deadline re-applied after a limit change counts from here.
    started_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(20), default="waiting")
    claimed_by: Mapped[str | None] = mapped_column(String(80))
    claim_expires_at: Mapped[datetime | None]
    fired_at: Mapped[datetime | None]


class CaseEvent(db.Model):
    """Append-only timeline of a case: every transition with actor, time and payload."""

    __tablename__ = "case_event"
    __table_args__ = (Index("ix_case_event_case", "case_id", "id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_record.id"))
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"))
    kind: Mapped[str] = mapped_column(String(40))
    element_id: Mapped[str | None] = mapped_column(String(200))
    task_id: Mapped[str | None] = mapped_column(String(36))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class Incident(db.Model):
    """An error the process raised at run time, kept visible until retried or resolved."""

    __tablename__ = "incident"
    __table_args__ = (Index("ix_incident_status_instance", "status", "instance_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"))
    case_id: Mapped[int] = mapped_column(ForeignKey("case_record.id"))
    element_id: Mapped[str | None] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(20))
    timer_id: Mapped[str | None] = mapped_column(String(36))
    task_id: Mapped[str | None] = mapped_column(String(36))
    message: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="open")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None]


class SchedulerHeartbeat(db.Model):
    """Each scheduler process writes its heartbeat here, so /healthz on any worker can report it."""

    __tablename__ = "scheduler_heartbeat"
    name: Mapped[str] = mapped_column(String(120), primary_key=True)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
