"""Writes about training, one module per subject: ``courses``, ``sessions`` (scheduling,
changes and who is told of them), ``applications`` (applying, nominations, decisions,
withdrawals, the waiting list), ``nominations`` (the CSV import) and ``completion``
(attendance, assessment, certificates); ``common`` holds what they share. Each checks what
the actor may do, owns its transaction, writes its audit row in it, and notifies the
applicant of every decision about them. The names below are the training services' API for
the rest of the code."""

from training.services.applications import (
    APPLICATION_FIELDS,
    DECISION_TITLES,
    application_decide,
    application_nominate,
    application_submit,
    application_withdraw,
)
from training.services.common import completion_threshold, require_training_admin
from training.services.completion import (
    assessment_record,
    attendance_mark,
    attendance_share,
    certificate_issue,
    meets_completion_rule,
    session_complete,
)
from training.services.courses import COURSE_FIELDS, course_create, course_update
from training.services.nominations import IMPORT_COLUMNS, nominations_import
from training.services.sessions import (
    MOVE_FIELDS,
    SESSION_FIELDS,
    session_create,
    session_date_errors,
    session_update,
)

__all__ = [
    "APPLICATION_FIELDS",
    "COURSE_FIELDS",
    "DECISION_TITLES",
    "IMPORT_COLUMNS",
    "MOVE_FIELDS",
    "SESSION_FIELDS",
    "application_decide",
    "application_nominate",
    "application_submit",
    "application_withdraw",
    "assessment_record",
    "attendance_mark",
    "attendance_share",
    "certificate_issue",
    "completion_threshold",
    "course_create",
    "course_update",
    "meets_completion_rule",
    "nominations_import",
    "require_training_admin",
    "session_complete",
    "session_create",
    "session_date_errors",
    "session_update",
]
