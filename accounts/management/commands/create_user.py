from __future__ import annotations

import getpass
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import Clearance
from accounts.roles import Role
from accounts.services import user_create


class Command(BaseCommand):
    help = (
        "Creates a user with roles and a clearance, and records it in the audit trail "
        "(bootstraps the first unit admin of a new installation)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--email", required=True)
        parser.add_argument("--full-name", required=True)
        parser.add_argument(
            "--role", action="append", choices=Role.values, required=True, dest="roles"
        )
        parser.add_argument(
            "--clearance",
            choices=[c.name.lower() for c in Clearance],
            default=Clearance.UNCLASSIFIED.name.lower(),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        password = getpass.getpass("Password: ")
        if password != getpass.getpass("Password (again): "):
            raise CommandError("The two passwords differ.")
        try:
            validate_password(password)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        try:
            user = user_create(
                username=options["username"],
                email=options["email"],
                full_name=options["full_name"],
                roles=[Role(r) for r in options["roles"]],
                clearance=Clearance[options["clearance"].upper()],
                password=password,
                actor=None,
            )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        self.stdout.write(
            self.style.SUCCESS(f"Created {user.username} ({', '.join(user.role_labels)}).")
        )
