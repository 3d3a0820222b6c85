from __future__ import annotations

import os
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction

from custos.db_roles import APPEND_ONLY, RoleError, ensure_login_role, grant_app_role


class Command(BaseCommand):
    help = (
        "Grants the application's PostgreSQL role its privileges (run as the owner after "
        "migrate): SELECT and INSERT only on the append-only tables, normal DML elsewhere."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("role", help="The role the web server and workers connect as.")
        parser.add_argument(
            "--password-env",
            metavar="VARIABLE",
            help="Create the role (or set its password) as a login role first, with the "
            "password in this environment variable.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if connection.vendor != "postgresql":
            self.stdout.write("Not PostgreSQL: there are no database roles to grant.")
            return
        try:
            with transaction.atomic():
                if options["password_env"]:
                    password = os.environ.get(options["password_env"], "")
                    if not password:
                        raise CommandError(f"{options['password_env']} is empty or not set.")
                    ensure_login_role(options["role"], password)
                tables = grant_app_role(options["role"])
        except RoleError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Granted {options['role']} the application's privileges on {len(tables)} "
                f"tables ({len(APPEND_ONLY)} append-only: no UPDATE, DELETE or TRUNCATE)."
            )
        )
