"""Existing data under the rules of issue #16: every registry person has a home case (the
case of their earliest link), every identity grant names who decided it (from the audit
trail), and a person protected in one case is protected in every case that links them.

What changes the access state is audited, through the audit table itself, so that
``manage.py verify_access_state`` finds the new state explained by the history: one
``person.protected`` row for each case person protected here (``follows`` the case person
that was protected already), one ``person.identity_granted`` row for each member who holds
the identity in another case and keeps it here. The rows have no actor (the migration) and
are sealed into the chain by the next ``audit_seal``.
"""

from django.db import migrations
from django.utils import timezone

MIGRATION = "cases.0010"
PREFIX = {
    "suspect": "S",
    "victim": "V",
    "witness": "W",
    "victim_witness": "W",
    "insider_witness": "W",
    "expert": "E",
    "source": "SRC",
}


def _audit(apps, *, action, case_person, details):
    AuditEvent = apps.get_model("audit", "AuditEvent")
    AuditEvent.objects.create(
        created_at=timezone.now(),
        actor=None,
        actor_username="",
        action=action,
        target_type="cases.caseperson",
        target_id=str(case_person.pk),
        target_label=case_person.pseudonym or f"{case_person.role} #{case_person.pk}",
        case_id=case_person.case_id,
        details={**details, "case_person": case_person.pk, "migration": MIGRATION},
    )


def _pseudonym_next(CasePerson, case_id, role):
    prefix = PREFIX[role]
    taken = CasePerson.objects.filter(
        case_id=case_id, pseudonym__startswith=f"{prefix}-"
    ).values_list("pseudonym", flat=True)
    numbers = [int(p.split("-")[-1]) for p in taken if p.split("-")[-1].isdigit()]
    return f"{prefix}-{max(numbers, default=0) + 1:04d}"


def set_home_cases(apps):
    Person = apps.get_model("cases", "Person")
    CasePerson = apps.get_model("cases", "CasePerson")
    for person in Person.objects.filter(home_case__isnull=True).iterator():
        first = (
            CasePerson.objects.filter(person_id=person.pk).order_by("created_at", "id").first()
        )
        if first is not None:
            Person.objects.filter(pk=person.pk).update(home_case_id=first.case_id)


def record_grants(apps):
    """An ``IdentityGrant`` for every identity held, naming who decided from the audit trail:
    the lead who granted it, or the protector; ``legacy`` when the trail does not say, or when
    a lead granted it to themselves (which the four-eyes rule now refuses)."""
    AuditEvent = apps.get_model("audit", "AuditEvent")
    IdentityGrant = apps.get_model("cases", "IdentityGrant")
    Held = apps.get_model("cases", "CasePersonUserObjectPermission")
    User = apps.get_model("accounts", "User")
    held = Held.objects.filter(
        permission__codename="view_identity", permission__content_type__app_label="cases"
    ).values_list("content_object_id", "user_id")
    recorded = set(
        IdentityGrant.objects.filter(revoked_at__isnull=True).values_list(
            "case_person_id", "user_id"
        )
    )
    for case_person, user in held:
        if (case_person, user) in recorded:
            continue
        username = User.objects.filter(pk=user).values_list("username", flat=True).first()
        events = AuditEvent.objects.filter(
            target_type="cases.caseperson", target_id=str(case_person)
        ).order_by("-id")
        granted = next(
            (
                e
                for e in events.filter(action="person.identity_granted")
                if e.details.get("user_id") == user or e.details.get("user") == username
            ),
            None,
        )
        protected = events.filter(action="person.protected", actor_id=user).last()
        if granted is not None and granted.details.get("kind") in ("protector", "follows"):
            kind, by, at = granted.details["kind"], granted.actor_id, granted.created_at
        elif granted is not None and granted.actor_id not in (None, user):
            kind, by, at = "decision", granted.actor_id, granted.created_at
        elif granted is None and protected is not None:
            kind, by, at = "protector", user, protected.created_at
        else:
            kind, by, at = "legacy", None, granted.created_at if granted else timezone.now()
        IdentityGrant.objects.create(
            case_person_id=case_person, user_id=user, kind=kind, granted_by_id=by, granted_at=at
        )


def protect_everywhere(apps):
    """A person protected in one case becomes protected in every case that links them; the
    members of those cases who hold the identity in another case keep it."""
    Case = apps.get_model("cases", "Case")
    CasePerson = apps.get_model("cases", "CasePerson")
    CaseMember = apps.get_model("cases", "CaseMember")
    Held = apps.get_model("cases", "CasePersonUserObjectPermission")
    IdentityGrant = apps.get_model("cases", "IdentityGrant")
    Measure = apps.get_model("cases", "ProtectiveMeasure")
    User = apps.get_model("accounts", "User")
    people = (
        CasePerson.objects.filter(protected=True)
        .filter(person__case_roles__protected=False)
        .values_list("person_id", flat=True)
        .distinct()
    )
    for person in sorted(set(people)):
        origin = CasePerson.objects.filter(person_id=person, protected=True).order_by("pk")[0]
        for other in CasePerson.objects.filter(person_id=person, protected=False).order_by("pk"):
            other.pseudonym = _pseudonym_next(CasePerson, other.case_id, other.role)
            other.protected = True
            other.save(update_fields=["pseudonym", "protected"])
            Measure.objects.get_or_create(
                case_person_id=other.pk,
                kind="identity_non_disclosure",
                defaults={"created_by_id": other.created_by_id},
            )
            case = Case.objects.get(pk=other.case_id)
            Case.objects.filter(pk=case.pk).update(
                search_document="\n".join(p for p in [case.search_document, other.pseudonym] if p)
            )
            _audit(
                apps,
                action="person.protected",
                case_person=other,
                details={"measures": ["identity_non_disclosure"], "follows": origin.pk},
            )
        protected = list(CasePerson.objects.filter(person_id=person))
        held = set(
            Held.objects.filter(
                content_object__in=protected, permission__codename="view_identity"
            ).values_list("user_id", "content_object_id")
        )
        holders = {user for user, _ in held}
        if not holders:
            continue
        permission = Held.objects.filter(permission__codename="view_identity")[0].permission
        for case_person in protected:
            members = CaseMember.objects.filter(
                case_id=case_person.case_id, user_id__in=holders
            ).order_by("user_id")
            for user_id in members.values_list("user_id", flat=True):
                if (user_id, case_person.pk) in held:
                    continue
                Held.objects.create(
                    user_id=user_id, permission=permission, content_object=case_person
                )
                IdentityGrant.objects.create(
                    case_person=case_person, user_id=user_id, kind="follows", granted_by=None
                )
                _audit(
                    apps,
                    action="person.identity_granted",
                    case_person=case_person,
                    details={
                        "user": User.objects.get(pk=user_id).username,
                        "user_id": user_id,
                        "kind": "follows",
                    },
                )


def forwards(apps, schema_editor):
    set_home_cases(apps)
    record_grants(apps)
    protect_everywhere(apps)


def backwards(apps, schema_editor):
    # Protection is not lifted and identities are not taken back: the safe direction. The
    # home cases and grant records go with the schema of 0009.
    pass


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0009_person_home_case_and_identity_grants"),
        ("audit", "0002_append_only_triggers_and_chain_head"),
        ("accounts", "0001_initial"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
