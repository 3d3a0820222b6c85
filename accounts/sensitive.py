"""The sensitive actions: every URL that asks for a fresh login (``recent_login_required``).

One list, so that a reader sees them all and a test keeps it honest both ways: every URL
named here is wrapped by the decorator and sends a day-old session to confirm its password
(GET and POST alike, before anything happens), and every URL wrapped by the decorator is
named here. Accepting custody is not in it: it asks for the password on every hand-over.
"""

from __future__ import annotations

SENSITIVE_ACTIONS: frozenset[str] = frozenset(
    {
        # Who is on a case, and so who reads it.
        "cases:team_add",
        "cases:team_remove",
        # A case's status (closing it freezes it; reopening unfreezes it).
        "cases:transition",
        # Who learns a protected person's identity.
        "cases:person_grants",
        "cases:person_grant_revoke",
        # A unit admin reading a case they are not on.
        "cases:break_glass",
        # Which partners see a case.
        "partners:share_create",
        "partners:share_revoke",
        # What leaves the unit in a package, and taking it back.
        "packages:decide",
        "packages:revoke",
        "packages:retry",
        # A redacted copy opened to those who do not hold the identities it hides.
        "evidence:redaction_approve",
        # The account's second factor.
        "accounts:2fa_setup",
        "accounts:2fa_disable",
        "accounts:2fa_recovery_codes",
    }
)
