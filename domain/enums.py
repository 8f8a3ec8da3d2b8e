"""Small vocabularies of the domain, shared by storage, services and every front end."""

from enum import StrEnum


class AdvisorKind(StrEnum):
    """How an advisor relates to a participant."""

    MENTOR = "mentor"
    COACH = "coach"


class Horizon(StrEnum):
    """A milestone's horizon: done during the training, within a year, or later."""

    SHORT = "short"
    MEDIUM = "medium"
    LONG = "long"


class MilestoneStatus(StrEnum):
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    SUBMITTED = "submitted"
    APPROVED = "approved"


class UpdateStatus(StrEnum):
    """State of a progress report as the mentor sees it."""

    SUBMITTED = "submitted"
    REVISION_REQUESTED = "revision_requested"
    APPROVED = "approved"


class FeedbackKind(StrEnum):
    FEEDBACK = "feedback"
    REPLY = "reply"
    REVISION_REQUEST = "revision_request"
    APPROVAL = "approval"


class EvidenceKind(StrEnum):
    PHOTO = "photo"
    DOCUMENT = "document"
    LINK = "link"


class SeminarKind(StrEnum):
    DESIGN = "rancangan"
    RESULTS = "evaluasi"


class SeminarStatus(StrEnum):
    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"
    DONE = "done"


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    DROPPED = "dropped"
