"""The hostile world of the security suite: one case of the unit with everything hanging off
it (evidence, custody, proof, shares, meetings, notes), a partner organisation it is shared
with, another trainee's application and certificate, and the attackers who must see none of
it: an outsider, an analyst of the unit who is not on the case, the liaison of *another*
partner organisation, and a trainee.

Every victim record carries a canary string; the suite asserts the canaries never reach an
attacker (pages, CSV, PDF, logs, queue messages).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.models import Notification, User
from accounts.roles import Role
from cases import services as case_services
from cases.models import CaseMember, CaseNote
from evidence import services as evidence_services
from evidence.models import CustodyTransfer, EvidenceLink
from partners.meetings import services as meetings
from partners.models import Contact, FollowUpAction, Meeting, Package
from tests.cases.conftest import WITNESS_NAME, World, break_glass, module_world, world  # noqa: F401
from tests.evidence.conftest import Evidence, build_proof, ev, evidence_storage  # noqa: F401
from tests.factories import NotificationFactory, UserFactory
from tests.partners.conftest import Partners, partners  # noqa: F401
from tests.training.conftest import apply, make_session
from training.models import Application, Certificate, Course, Session

CANARY = "CANARY-WITNESS"  # inside the protected witness's real name (tests/cases/conftest.py)
CASE_CANARY = "CANARY-CASE-7Q"
NOTE_CANARY = "CANARY-NOTE-testimony"
ATTACKERS = ("anonymous", "outsider", "analyst", "liaison_b", "trainee")


@dataclass
class Hostile:
    """The victims' records, and the attackers who are not entitled to them."""

    p: Partners
    ev: Evidence
    link: EvidenceLink
    note: CaseNote
    member: CaseMember
    transfer: CustodyTransfer
    meeting: Meeting
    action: FollowUpAction
    course: Course
    session: Session
    application: Application
    certificate: Certificate
    notification: Notification
    package: Package  # requested by liaison_a (of the organisation the case is shared with)
    # The attackers (anonymous is the absence of a user).
    outsider: User
    analyst: User
    trainee: User

    @property
    def world(self) -> World:
        return self.p.world

    @property
    def liaison_b(self) -> User:
        return self.p.liaison_b

    def attacker(self, name: str) -> User | None:
        return None if name == "anonymous" else getattr(self, name)


def _package(p: Partners) -> Package:
    from partners.packages import services as package_services

    return package_services.package_request(
        actor=p.liaison_a,
        case=p.world.case,
        share=p.share_a,
        purpose=Package.Purpose.WARRANT,
        scope=package_services.Scope(sections=list(Package.Section.values)),
        language="en",
    )


@pytest.fixture
def hostile(partners: Partners, ev: Evidence) -> Hostile:  # noqa: F811 - imported fixtures
    w = partners.world
    w.case.title = f"Shelling of the old market {CASE_CANARY}"
    w.case.save(update_fields=["title"])
    proof = build_proof(ev)
    note = case_services.note_add(case=w.case, actor=w.lead, body=f"Testimony {NOTE_CANARY}")
    extra = UserFactory(username="h_member", roles=[Role.INVESTIGATOR])
    member = case_services.case_member_add(
        case=w.case, actor=w.lead, user=extra, role=CaseMember.Role.INVESTIGATOR
    )
    case_services.identity_grant(case_person=w.witness, actor=w.lead, user=w.investigator)
    transfer = evidence_services.transfer_initiate(
        item=ev.item, actor=w.investigator, to_user=w.lead, purpose="Forensic examination"
    )
    partners.agreement_a.document.save("mou.pdf", ContentFile(b"%PDF-1.4 signed"), save=True)
    contact = Contact.objects.create(organisation=partners.org_a, name="Ines Moreau")
    today = timezone.localdate()
    meeting = meetings.meeting_create(
        actor=w.lead,
        title="Expert meeting on crater analysis",
        kind=Meeting.Kind.EXPERT,
        start_date=today + timedelta(days=10),
        end_date=today + timedelta(days=11),
        venue="The Hague",
        organiser=partners.org_a,
        participant_contacts=[contact],
        participant_users=[w.lead, w.investigator, partners.liaison_a],
        minutes=SimpleUploadedFile("minutes.pdf", b"%PDF-1.4 minutes", "application/pdf"),
    )
    action = meetings.action_add(
        meeting=meeting,
        actor=w.lead,
        owner=w.investigator,
        description="Send the crater measurements",
        due_date=today + timedelta(days=20),
    )
    course = Course.objects.create(title="Investigating core international crimes")
    session = make_session(course)
    victim = UserFactory(username="h_victim_trainee", roles=[Role.TRAINEE])
    application = apply(session, victim, motivation=f"My own reasons {CASE_CANARY}")
    certificate = Certificate.objects.create(application=application)
    notification = NotificationFactory(user=w.lead, title=f"For the lead {CASE_CANARY}")
    package = _package(partners)
    return Hostile(
        p=partners,
        ev=ev,
        link=proof.link,
        note=note,
        member=member,
        transfer=transfer,
        meeting=meeting,
        action=action,
        course=course,
        session=session,
        application=application,
        certificate=certificate,
        notification=notification,
        package=package,
        outsider=UserFactory(username="h_outsider"),
        analyst=UserFactory(username="h_analyst", roles=[Role.ANALYST]),
        trainee=UserFactory(username="h_trainee", roles=[Role.TRAINEE]),
    )


__all__ = ["CANARY", "WITNESS_NAME", "Hostile"]
