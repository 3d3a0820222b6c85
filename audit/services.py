"""Writing the audit trail, and sealing it into a hash chain.

Writers never wait for each other: :func:`audit_record` is a plain INSERT inside the caller's
transaction, so it commits or rolls back with the change it describes. The chain is built
afterwards by :func:`audit_seal`, which takes the rows committed since the last seal, in
order, and links each to the one before (``hash = SHA-256(prev_hash || canonical row)``).
Only the sealer takes a lock, for the length of one batch; a request never does. The
database refuses any other UPDATE, and any DELETE (see ``custos/append_only.py``).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, cast

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import models, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.crypto import salted_hmac

from audit import context
from audit.models import GENESIS_HASH, AuditChain, AuditEvent

if TYPE_CHECKING:
    from accounts.models import User


def _label(target: models.Model) -> str:
    # Targets that may hold a protected identity define audit_label without it.
    label = getattr(target, "audit_label", None)
    return str(label if label is not None else target)[:255]


def audit_record(
    *,
    actor: AbstractBaseUser | None,
    action: str,
    target: models.Model | None = None,
    case_id: int | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Writes one audit row in the current transaction.

    ``action`` is a dotted verb (``auth.login``, ``case.view``). ``details`` must be
    JSON-serialisable and must not hold protected identities or case content beyond ids.
    """
    request = context.current()
    if case_id is None and target is not None:
        case_id = getattr(target, "audit_case_id", None)
    # An anonymous actor (a failed login) is recorded as no one.
    user = cast("User | None", actor if actor is not None and actor.is_authenticated else None)
    return AuditEvent.objects.create(
        actor=user,
        actor_username=user.get_username() if user is not None else "",
        action=action,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        target_label=_label(target) if target is not None else "",
        case_id=case_id,
        ip=request.ip if request else None,
        user_agent=request.user_agent if request else "",
        details=details or {},
    )


class ShownIdentity(Protocol):
    """A person as a page showed them (``cases.selectors.PersonRow`` is one): whether they are
    protected, whether their identity was shown, and their link to the case."""

    @property
    def protected(self) -> bool: ...

    @property
    def identity_visible(self) -> bool: ...

    @property
    def case_person(self) -> models.Model: ...


@transaction.atomic
def audit_read(
    *,
    actor: AbstractBaseUser,
    action: str,
    target: models.Model | None = None,
    case_id: int | None = None,
    details: dict[str, Any] | None = None,
    break_glass: bool = False,
    shown: Iterable[ShownIdentity] = (),
    shown_via: str = "",
) -> AuditEvent:
    """The one way a view records that someone read something: one ``action`` row (e.g.
    ``case.viewed``, ``evidence.downloaded``, ``meeting.viewed``) about ``target``, in its own
    transaction, so that a view never writes ``transaction.atomic()`` + ``audit_record``
    itself. Call it after the read succeeded (the object loaded through its access helper)
    and before the response is returned::

        audit_read(actor=request.user, action="package.viewed", target=package)

    ``break_glass=True`` (pass ``access.via_break_glass``) adds ``"break_glass": True`` to
    ``details``, so a read through an emergency access says so.

    ``shown`` are the persons the page showed (rows with ``protected``, ``identity_visible``
    and ``case_person``, as ``cases.selectors.PersonRow``): every protected identity among
    them is an audited read of its own, ``person.identity_viewed`` with
    ``{"via": shown_via}``, in the same transaction (see :func:`audit_identities_shown`).
    """
    if break_glass:
        details = {**(details or {}), "break_glass": True}
    event = audit_record(
        actor=actor, action=action, target=target, case_id=case_id, details=details
    )
    audit_identities_shown(actor=actor, shown=shown, via=shown_via)
    return event


@transaction.atomic
def audit_identities_shown(
    *, actor: AbstractBaseUser, shown: Iterable[ShownIdentity], via: str
) -> int:
    """Every protected identity shown to a user is an audited read: one
    ``person.identity_viewed`` row (``{"via": via}``, e.g. ``"person list"``,
    ``"CSV export"``) per protected person whose identity ``shown`` held, once per person
    however often they appear. Persons shown by pseudonym only, and unprotected persons,
    write nothing. Returns how many rows were written. For a page whose read is recorded
    by :func:`audit_read`, pass the rows there (``shown=``) instead."""
    written: set[object] = set()
    for row in shown:
        case_person = row.case_person
        if case_person.pk in written or not (row.protected and row.identity_visible):
            continue
        written.add(case_person.pk)
        audit_record(
            actor=actor,
            action="person.identity_viewed",
            target=case_person,
            details={"via": via},
        )
    return len(written)


T = TypeVar("T")
# What is never part of a search's filters: the page, the order of the results, the query.
NOT_FILTERS = frozenset({"page", "order", "q"})
# A withheld search text is kept as an HMAC keyed from SECRET_KEY, not a plain digest: a plain
# SHA-256 of a name is found again by hashing a list of names.
SEARCH_HMAC_SALT = "custos.search.query"
# Shorter words ("al", "de") occur in too many names to say anything.
NAME_WORD_MIN = 3
WORD = re.compile(r"\w+")


def search_hmac(text: str) -> str:
    """The HMAC-SHA256 of a search text (case-folded) kept instead of a withheld text: whoever
    holds the key can check whether someone searched for a given name; the trail alone cannot."""
    return salted_hmac(SEARCH_HMAC_SALT, text.casefold(), algorithm="sha256").hexdigest()


def _name_words(text: str) -> Q | None:
    # Imported here: cases writes through audit, so audit does not import cases at load.
    from cases.models import PersonName

    # "Al-Ma" is a word, and so are "Demo" and "Halden" of "Demo-Halden,".
    words = {w for w in [*text.split(), *WORD.findall(text)] if len(w) >= NAME_WORD_MIN}
    condition = None
    for word in sorted(words):
        aliases = PersonName.objects.filter(name__icontains=word).values("person_id")
        match = Q(full_name__icontains=word) | Q(pk__in=aliases)
        condition = match if condition is None else condition | match
    return condition


def texts_revealing_protected_names(texts: Iterable[str]) -> set[str]:
    """Those of ``texts`` (a query, the values of filters) of which a word of 3 or more
    characters occurs, whatever its case, in the full name or an alias of a person protected
    in some case: one query, whatever the number of texts."""
    from cases.models import CasePerson, Person

    conditions = {text: _name_words(text) for text in set(texts) if text}
    conditions = {text: q for text, q in conditions.items() if q is not None}
    if not conditions:
        return set()
    ordered = list(conditions)
    counts = Person.objects.filter(
        pk__in=CasePerson.objects.filter(protected=True).values("person_id")
    ).aggregate(**{f"t{i}": Count("pk", filter=conditions[t]) for i, t in enumerate(ordered)})
    return {text for i, text in enumerate(ordered) if counts[f"t{i}"]}


def search_audited(
    *,
    actor: AbstractBaseUser,
    area: str,
    query: str,
    params: Mapping[str, str],
    read: Callable[[], tuple[T, int]],
    names: bool = False,
) -> T:
    """Runs a search and, when a query or a filter is applied, writes its audit row
    (``search.performed``: the area, the query, the filters and how many results) in the same
    transaction as the read. ``read`` returns the results and their count; ``params`` are the
    request's parameters, of which every non-empty one but the page, the order and the query
    is a filter. Every list that searches (cases, the evidence register, persons, crimes,
    partners, the audit trail) goes through here.

    The trail holds no name of a protected person, which its readers (the unit admin) may not
    hold: a query that reveals one (see :func:`texts_revealing_protected_names`), and every
    search for ``names`` (of persons), is kept as ``query_withheld`` and its
    :func:`search_hmac` (``query_hmac``); so is a filter's value, in ``filters_hmac``."""
    filters = {k: v for k, v in params.items() if k not in NOT_FILTERS and v}
    with transaction.atomic():
        result, count = read()
        if query or filters:
            revealing = texts_revealing_protected_names([query, *filters.values()])
            withheld = {k: search_hmac(v) for k, v in filters.items() if v in revealing}
            shown = {k: v for k, v in filters.items() if k not in withheld}
            details: dict[str, Any] = {"area": area, "filters": shown, "results": count}
            if names or query in revealing or withheld:
                details["query_withheld"] = True
                if query:
                    details["query_hmac"] = search_hmac(query)
                if withheld:
                    details["filters_hmac"] = withheld
            else:
                details["query"] = query
            audit_record(actor=actor, action="search.performed", details=details)
    return result


def canonical_bytes(event: AuditEvent) -> bytes:
    """The exact bytes an audit row's hash covers (stable across databases)."""
    created = event.created_at.astimezone(UTC).isoformat(timespec="microseconds")
    payload = {
        "seq": event.chain_seq,
        "id": event.pk,
        "created_at": created,
        "actor_id": event.actor_id,
        "actor_username": event.actor_username,
        "action": event.action,
        "target_type": event.target_type,
        "target_id": event.target_id,
        "target_label": event.target_label,
        "case_id": event.case_id,
        "ip": event.ip,
        "user_agent": event.user_agent,
        "details": event.details,
    }
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def chain_hash(prev_hash: str, event: AuditEvent) -> str:
    return hashlib.sha256(prev_hash.encode("ascii") + b"\n" + canonical_bytes(event)).hexdigest()


def audit_seal(*, batch_size: int = 5000) -> int:
    """Links the rows committed since the last seal into the chain; returns how many.

    Safe to call from several processes at once: a sealer that finds the chain head locked
    by another returns 0 at once (PostgreSQL), and on SQLite the immediate transaction
    serialises them.
    """
    sealed = 0
    while True:
        with transaction.atomic():
            chain = AuditChain.objects.select_for_update(skip_locked=True).filter(pk=1).first()
            if chain is None:
                return sealed
            rows = list(
                AuditEvent.objects.filter(chain_seq__isnull=True).order_by("id")[:batch_size]
            )
            if not rows:
                return sealed
            prev, seq = chain.head_hash, chain.seq
            for row in rows:
                seq += 1
                row.chain_seq = seq
                row.prev_hash = prev
                row.hash = chain_hash(prev, row)
                prev = row.hash
            AuditEvent.objects.bulk_update(rows, ["chain_seq", "prev_hash", "hash"], batch_size=500)
            chain.seq, chain.head_hash, chain.sealed_at = seq, prev, timezone.now()
            chain.save(update_fields=["seq", "head_hash", "sealed_at"])
            sealed += len(rows)
        if len(rows) < batch_size:
            return sealed


@dataclass(frozen=True)
class ChainReport:
    """The outcome of :func:`audit_verify`; ``broken_id`` names the first row that fails."""

    checked: int
    unsealed: int = 0
    ok: bool = True
    broken_id: int | None = None
    broken_seq: int | None = None
    reason: str = ""


def _broken(checked: int, event: AuditEvent | None, seq: int | None, reason: str) -> ChainReport:
    return ChainReport(
        checked=checked,
        ok=False,
        broken_id=event.pk if event is not None else None,
        broken_seq=seq,
        reason=reason,
    )


def audit_verify() -> ChainReport:
    """Recomputes the whole chain from the rows and names the first row that does not fit."""
    prev, expected_seq, checked = GENESIS_HASH, 1, 0
    sealed = AuditEvent.objects.filter(chain_seq__isnull=False).order_by("chain_seq")
    for event in sealed.iterator(chunk_size=2000):
        if event.chain_seq != expected_seq:
            return _broken(
                checked,
                event,
                event.chain_seq,
                f"chain position {expected_seq} is missing (a row was deleted or renumbered)",
            )
        if event.prev_hash != prev:
            return _broken(
                checked,
                event,
                event.chain_seq,
                "its previous-hash link does not match the row before",
            )
        if chain_hash(prev, event) != event.hash:
            return _broken(
                checked,
                event,
                event.chain_seq,
                "its content does not match its hash (the row was altered)",
            )
        prev, expected_seq, checked = event.hash, expected_seq + 1, checked + 1
    chain = AuditChain.objects.filter(pk=1).first()
    if chain is not None and (chain.seq, chain.head_hash) != (checked, prev):
        return _broken(
            checked,
            None,
            chain.seq,
            f"the chain head records {chain.seq} rows but {checked} were found "
            "(rows at the end were deleted)",
        )
    unsealed = AuditEvent.objects.filter(chain_seq__isnull=True).count()
    return ChainReport(checked=checked, unsealed=unsealed)
