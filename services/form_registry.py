"""Every form the engine runs, by name: one table for every channel, so a form opened on one
channel stays answerable on another (the engine drops a form it does not know)."""

from __future__ import annotations

from services.broadcast_form import BROADCAST_FORM
from services.cohort_admin_form import COHORT_STAGE_FORM
from services.feedback_form import FEEDBACK_FORM
from services.forms import Form
from services.materials_form import ATTENDANCE_FORM, MATERIALS_FORM
from services.project_form import PROJECT_FORM
from services.report_form import OFFER_FORM, REPORT_FORM
from services.scoring_form import SCORING_FORM
from services.seminar_form import SEMINAR_FORM

FORMS: dict[str, Form] = {
    form.name: form
    for form in (
        REPORT_FORM,
        OFFER_FORM,
        PROJECT_FORM,
        COHORT_STAGE_FORM,
        SEMINAR_FORM,
        FEEDBACK_FORM,
        BROADCAST_FORM,
        MATERIALS_FORM,
        ATTENDANCE_FORM,
        SCORING_FORM,
    )
}
