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
    # "Sudah dibaca": the advisor read the report; a response without words.
    ACKNOWLEDGED = "acknowledged"


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


class DeliveryFailure(StrEnum):
    """Why a queued message did not reach its recipient, in words an organizer can act on.

    Stored next to the raw error text (kept for operators); each has a catalog text
    `delivery.reason.<value>`.
    """

    BLOCKED = "blocked"  # the person blocked the bot
    DEACTIVATED = "deactivated"  # the Telegram account was deleted or deactivated
    NOT_STARTED = "not_started"  # chat not found: the person never started the bot
    NOT_JOINED = "not_joined"  # the person has not joined the bot (no chat known)
    UNREACHABLE = "unreachable"  # marked unreachable earlier, so not even tried
    REMOVED = "removed"  # the bot is no longer in the group
    REJECTED = "rejected"  # Telegram refused this message (400); details in the log
    NETWORK = "network"  # network or Telegram server failure, after every retry
    INTERNAL = "internal"  # an error of the bot itself (a broken message, a bug)
    STALE = "stale"  # its moment passed before it could go out
    CANCELLED = "cancelled"  # withdrawn before it was sent
    ERASED = "erased"  # the recipient's personal data was erased
    OTHER = "other"  # anything else
    NOT_ON_WHATSAPP = "not_on_whatsapp"  # the number has no WhatsApp account (131026)
    WHATSAPP_REJECTED = "whatsapp_rejected"  # WhatsApp refused this message; details in the log
    OUTSIDE_WINDOW = "outside_window"  # WhatsApp: free form after the 24-hour window (131047)

    @property
    def message_key(self) -> str:
        return f"delivery.reason.{self.value}"


class Channel(StrEnum):
    """A messaging front end people reach the bot through.

    WhatsApp accounts can be stored and bound already; its front end comes next.
    """

    TELEGRAM = "telegram"
    WHATSAPP = "whatsapp"
