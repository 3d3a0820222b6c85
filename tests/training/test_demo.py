"""The demo training data reads like the real course, and seeding twice adds nothing."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from devdata.demo.training import demo_training_seed
from training.models import Certificate, Session
from training.selectors import training_statistics


@pytest.mark.django_db
def test_the_demo_statistics_read_like_the_real_course(client: Client) -> None:
    assert demo_training_seed() > 0
    assert demo_training_seed() == 0
    stats = training_statistics()
    assert 95 <= stats["trained"] <= 110
    assert 28 <= stats["countries"] <= 32
    assert stats["international_organisations"] >= 5
    assert Session.objects.filter(status=Session.Status.OPEN).exists()
    trainee = User.objects.get(username="trainee")
    assert Certificate.objects.filter(application__applicant=trainee).exists()
    client.force_login(trainee)
    body = client.get(reverse("training:my")).content.decode()
    assert "Investigating genocide, war crimes and crimes against humanity" in body
    client.force_login(User.objects.get(username="trainer"))
    assert client.get(reverse("training:statistics")).status_code == 200
