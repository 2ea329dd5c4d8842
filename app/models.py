"""Import every model module so metadata (and Alembic autogenerate) sees all tables."""
from app.accounts.models import ApiToken, Membership, User
from app.assessment.models import AssessmentScheme, AssessmentSnapshot, AssessmentSnapshotRow, RatingAppeal
from app.attachments.models import CaseAttachment
from app.audit.models import AdminChange
from app.cases.models import Case, CaseNumberCounter
from app.casework.models import AccountabilityReferral, CaseReply, UnitAssessment
from app.channels.models import ChannelKey
from app.engine.migration_models import InstanceMigration
from app.engine.models import (
    CaseEvent,
    HumanTask,
    Incident,
    ProcessDefinition,
    ProcessInstance,
    SchedulerHeartbeat,
    Timer,
)
from app.notifications.models import Notification, OutboxMessage, SmsLog
from app.organisation.models import Category, RoutingRule, Territory, Unit
from app.privacy.models import PersonalDataAccess
from app.ratelimit import RateCounter
from app.statistics.analysis_models import HotspotOrder, HotspotOrderCase, WeeklyAnalysis, WeeklyAnalysisCase
from app.statistics.models import CaseAssignment, CaseRating
from app.supervision.models import CaseDirective
from app.timelimits.models import CalendarOverride, Setting, SupervisionItem, TimeLimit

__all__ = [
    "AccountabilityReferral",
    "AdminChange",
    "ApiToken",
    "AssessmentScheme",
    "AssessmentSnapshot",
    "AssessmentSnapshotRow",
    "CalendarOverride",
    "Case",
    "CaseAssignment",
    "CaseAttachment",
    "CaseDirective",
    "CaseEvent",
    "CaseNumberCounter",
    "CaseRating",
    "CaseReply",
    "Category",
    "ChannelKey",
    "HotspotOrder",
    "HotspotOrderCase",
    "HumanTask",
    "Incident",
    "InstanceMigration",
    "Membership",
    "Notification",
    "OutboxMessage",
    "PersonalDataAccess",
    "ProcessDefinition",
    "ProcessInstance",
    "RateCounter",
    "RatingAppeal",
    "RoutingRule",
    "SchedulerHeartbeat",
    "Setting",
    "SmsLog",
    "SupervisionItem",
    "Territory",
    "TimeLimit",
    "Timer",
    "Unit",
    "UnitAssessment",
    "User",
    "WeeklyAnalysis",
    "WeeklyAnalysisCase",
]
