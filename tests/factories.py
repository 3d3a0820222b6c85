from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any, TypeVar

import factory
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import models

from accounts.models import Clearance, Notification, User
from accounts.roles import Role

PASSWORD = "correct horse battery staple"
M = TypeVar("M", bound=models.Model)


class ModelFactory(factory.django.DjangoModelFactory[M]):
    """factory_boy's model factory, typed: calling ``UserFactory(...)`` returns a ``User``."""

    class Meta:
        abstract = True

    if TYPE_CHECKING:
        # factory_boy's __new__ is untyped and returns the model instance, which mypy does not
        # allow a __new__ to declare (it must return the class's own instances).
        def __new__(cls, *args: Any, **kwargs: Any) -> M: ...  # type: ignore[misc]


@cache
def _password_hash(hashers: tuple[str, ...]) -> str:
    """PASSWORD hashed once per hasher list: the suite's fast hasher (tests/conftest.py), or
    the production hashers for the login-hardening tests (``real_password_hasher``)."""
    return make_password(PASSWORD)


def password_hash() -> str:
    return _password_hash(tuple(settings.PASSWORD_HASHERS))


class UserFactory(ModelFactory[User]):
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
    def roles(user: User, create: bool, extracted: list[Role] | None, **kwargs: object) -> None:
        # Called with the user just made, not the factory (factory_boy's post-generation hook).
        if create and extracted:
            user.groups.add(*Group.objects.filter(name__in=[Role(r).value for r in extracted]))


class NotificationFactory(ModelFactory[Notification]):
    class Meta:
        model = Notification

    user = factory.SubFactory(UserFactory)
    title = factory.Faker("sentence", nb_words=5)
    body = factory.Faker("paragraph")
