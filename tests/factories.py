from __future__ import annotations

from functools import cache

import factory
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group

from accounts.models import Clearance, Notification, User
from accounts.roles import Role

PASSWORD = "correct horse battery staple"


@cache
def _password_hash(hashers: tuple[str, ...]) -> str:
    """PASSWORD hashed once per hasher list: the suite's fast hasher (tests/conftest.py), or
    the production hashers for the login-hardening tests (``real_password_hasher``)."""
    return make_password(PASSWORD)


def password_hash() -> str:
    return _password_hash(tuple(settings.PASSWORD_HASHERS))


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    full_name = factory.Faker("name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.LazyFunction(password_hash)
    clearance = Clearance.CONFIDENTIAL

    @factory.post_generation
    def roles(self, create: bool, extracted: list[Role] | None, **kwargs: object) -> None:
        if create and extracted:
            self.groups.add(*Group.objects.filter(name__in=[Role(r).value for r in extracted]))


class NotificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Notification

    user = factory.SubFactory(UserFactory)
    title = factory.Faker("sentence", nb_words=5)
    body = factory.Faker("paragraph")
