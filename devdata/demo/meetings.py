"""A demo expert meeting for the embedded default: fictional, with participants from the demo
users and from the partners' contacts when the partners demo has created some."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from partners.meetings import services
from partners.models import Contact, Meeting, PartnerOrganisation

DEMO_MEETING_TITLE = "[DEMO] Expert meeting on the Eastbrook market shelling"

AGENDA = """1. Welcome and purpose of the meeting (fictional demo data)
2. Crater analysis of the Eastbrook covered market: findings of the forensic experts
3. Witness accounts collected by the partners so far
4. Coordination of the next steps and of requests for assistance
5. Any other business"""


@transaction.atomic
def demo_meetings_seed() -> int:
    """Creates the demo expert meeting once; returns how many meetings it created."""
    if Meeting.objects.filter(title=DEMO_MEETING_TITLE).exists():
        return 0
    users = {
        u.username: u
        for u in User.objects.filter(username__in=["admin", "lead", "investigator", "liaison"])
    }
    actor = users.get("lead") or users.get("admin")
    if actor is None:
        return 0  # nobody of the demo unit to record it
    today = timezone.localdate()
    organiser = PartnerOrganisation.objects.order_by("name").first()
    contacts = list(Contact.objects.select_related("organisation").order_by("pk")[:4])
    meeting = services.meeting_create(
        actor=actor,
        title=DEMO_MEETING_TITLE,
        kind=Meeting.Kind.EXPERT,
        start_date=today - timedelta(days=21),
        end_date=today - timedelta(days=20),
        venue="The Hague (fictional demo venue)",
        online=True,
        organiser=organiser,
        agenda=AGENDA,
        participant_contacts=contacts,
        participant_users=[
            users[name] for name in ("lead", "investigator", "liaison") if name in users
        ],
    )
    investigator = users.get("investigator", actor)
    services.action_add(
        meeting=meeting,
        actor=actor,
        owner=investigator,
        description="Send the crater measurements to the partners' forensic experts.",
        due_date=today - timedelta(days=5),  # overdue, so the demo shows the flag
    )
    services.action_add(
        meeting=meeting,
        actor=actor,
        owner=actor,
        description="Circulate the draft minutes to all participants for comments.",
        due_date=today + timedelta(days=14),
    )
    return 1
