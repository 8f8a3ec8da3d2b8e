"""Typed SQLAlchemy 2 models, the engine and sessions, and the Alembic migrations."""

from models.base import Base
from models.tables import (
    Assignment,
    AuditEntry,
    CodeAttempt,
    Cohort,
    CohortStage,
    Evidence,
    FeedbackNote,
    Invite,
    Membership,
    Milestone,
    OutboxMessage,
    Person,
    ProgressUpdate,
    Project,
    Seminar,
    SeminarPresenter,
)

__all__ = [
    "Assignment",
    "AuditEntry",
    "Base",
    "CodeAttempt",
    "Cohort",
    "CohortStage",
    "Evidence",
    "FeedbackNote",
    "Invite",
    "Membership",
    "Milestone",
    "OutboxMessage",
    "Person",
    "ProgressUpdate",
    "Project",
    "Seminar",
    "SeminarPresenter",
]
