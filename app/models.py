"""Import every model module so metadata (and Alembic autogenerate) sees all tables."""
from app.accounts.models import ApiToken, Membership, Unit, User
from app.cases.models import Case, CaseNumberCounter
from app.engine.models import (
    CaseEvent,
    HumanTask,
    Incident,
    ProcessDefinition,
    ProcessInstance,
    SchedulerHeartbeat,
    Timer,
)

__all__ = ["ApiToken", "Case", "CaseEvent", "CaseNumberCounter", "HumanTask", "Incident",
           "Membership", "ProcessDefinition", "ProcessInstance", "SchedulerHeartbeat", "Timer",
           "Unit", "User"]
