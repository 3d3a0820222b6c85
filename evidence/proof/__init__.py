"""The proof matrix: which element of which crime each piece of evidence proves, against whom,
and what is still missing. ``selectors`` reads (matrices, exports, loading for one user),
``services`` writes (allegations and the versioned links); ``forms``, ``views`` and ``urls``
are its pages. The names below are its API for the rest of the code."""

from evidence.proof.selectors import (
    ASSESSMENT_ORDER,
    LinkGroup,
    Matrix,
    MatrixRow,
    ProofSection,
    allegation_access,
    allegations_of,
    is_contextual,
    liability_modes,
    link_access,
    link_history,
    links_of_item,
    matrices_of,
    matrix,
    matrix_rows_for_export,
    suspect_labels,
)
from evidence.proof.services import (
    allegation_create,
    allegation_update,
    link_create,
    link_revise,
    link_withdraw,
)

__all__ = [
    "ASSESSMENT_ORDER",
    "LinkGroup",
    "Matrix",
    "MatrixRow",
    "ProofSection",
    "allegation_access",
    "allegation_create",
    "allegation_update",
    "allegations_of",
    "is_contextual",
    "liability_modes",
    "link_access",
    "link_create",
    "link_history",
    "link_revise",
    "link_withdraw",
    "links_of_item",
    "matrices_of",
    "matrix",
    "matrix_rows_for_export",
    "suspect_labels",
]
