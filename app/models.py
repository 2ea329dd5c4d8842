"""Import every model module so metadata (and Alembic autogenerate) sees all tables."""
from app.accounts.models import ApiToken, Membership, User
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
from app.organisation.models import Category, RoutingRule, Territory, Unit
from app.privacy.models import PersonalDataAccess

__all__ = ["ApiToken", "Case", "CaseEvent", "CaseNumberCounter", "Category", "HumanTask", "Incident",
           "Membership", "PersonalDataAccess", "ProcessDefinition", "ProcessInstance", "RoutingRule",
           "SchedulerHeartbeat", "Territory", "Timer", "Unit", "User"]
