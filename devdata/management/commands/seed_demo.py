from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from devdata.demo.accounts import DEMO_PASSWORD, demo_users_seed
from devdata.demo.cases import demo_cases_seed
from devdata.demo.evidence import demo_evidence_seed
from devdata.demo.meetings import demo_meetings_seed
from devdata.demo.packages import demo_packages_seed
from devdata.demo.partners import demo_partners_seed
from devdata.demo.proof import demo_proof_seed
from devdata.demo.training import demo_training_seed


class Command(BaseCommand):
    help = "Creates the demo users and data of the embedded default (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION:
            raise CommandError("seed_demo is refused when DJANGO_ENV=production.")
        users = demo_users_seed()
        created = sum(1 for _, was_created in users if was_created)
        cases = demo_cases_seed()
        items = demo_evidence_seed()
        allegations = demo_proof_seed()
        partners = demo_partners_seed()
        meetings = demo_meetings_seed()
        sessions = demo_training_seed()
        packages = demo_packages_seed()
        self.stdout.write(
            f"Demo data ready (created now: {created} users, {cases} fictional cases, {items} "
            f"evidence items, {allegations} allegations, {partners} partners, {meetings} meetings, "
            f"{sessions} training sessions, {packages} case packages)."
        )
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for demo, _ in users:
            self.stdout.write(f"  {demo.username:<13} {demo.role.label}")
