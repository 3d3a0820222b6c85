"""Moves the recovery codes django-otp's static device kept in clear to digests, and deletes
the clear ones: after this migration no readable recovery code is left in the database."""

import hashlib

from django.db import migrations


def digest(code):
    # As accounts.models.recovery_code_digest, frozen here.
    normalised = "".join(code.split()).replace("-", "").lower()
    return hashlib.sha256(normalised.encode()).hexdigest()


def to_digests(apps, schema_editor):
    StaticDevice = apps.get_model("otp_static", "StaticDevice")
    StaticToken = apps.get_model("otp_static", "StaticToken")
    RecoveryCodeDevice = apps.get_model("accounts", "RecoveryCodeDevice")
    RecoveryCode = apps.get_model("accounts", "RecoveryCode")
    for static in StaticDevice.objects.all():
        device = RecoveryCodeDevice.objects.create(
            user_id=static.user_id, name=static.name, confirmed=static.confirmed
        )
        tokens = StaticToken.objects.filter(device=static).values_list("token", flat=True)
        RecoveryCode.objects.bulk_create(
            [RecoveryCode(device=device, digest=d) for d in {digest(t) for t in tokens}]
        )
    StaticToken.objects.all().delete()
    StaticDevice.objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_recovery_codes_stored_as_digests"),
        ("otp_static", "0003_add_timestamps"),
    ]

    operations = [migrations.RunPython(to_digests, migrations.RunPython.noop, elidable=True)]
