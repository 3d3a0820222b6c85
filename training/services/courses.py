"""Courses and their programmes (module titles, in order)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction

from accounts.models import User
from audit.services import audit_record
from training.models import Course, Module
from training.services.common import fields_changed, require_known_fields, require_training_admin

COURSE_FIELDS = ("title", "description", "languages")


def _modules_set(course: Course, titles: Iterable[str]) -> bool:
    """Makes the course's programme the given module titles, in order. True if it changed."""
    titles = [t.strip() for t in titles if t.strip()]
    current = list(course.modules.order_by("position", "pk"))
    if [m.title for m in current] == titles:
        return False
    for position, title in enumerate(titles):
        if position < len(current):
            module = current[position]
            if (module.title, module.position) != (title, position):
                module.title, module.position = title, position
                module.full_clean()
                module.save(update_fields=["title", "position"])
        else:
            Module(course=course, title=title, position=position).save()
    Module.objects.filter(pk__in=[m.pk for m in current[len(titles) :]]).delete()
    return True


@transaction.atomic
def course_create(
    *,
    actor: User,
    title: str,
    description: str = "",
    languages: str = "",
    modules: Iterable[str] = (),
) -> Course:
    """A training admin adds a course and its programme (module titles, in order)."""
    require_training_admin(actor)
    course = Course(title=title, description=description, languages=languages)
    course.full_clean()
    course.save()
    _modules_set(course, list(modules))
    audit_record(actor=actor, action="training.course_created", target=course)
    return course


@transaction.atomic
def course_update(
    *, course: Course, actor: User, modules: list[str] | None = None, **data: Any
) -> Course:
    """Changes a course's fields (those in ``data``) and, when given, its programme.
    Audits the names of what changed."""
    require_training_admin(actor)
    require_known_fields(data, COURSE_FIELDS, "course_update")
    course = Course.objects.select_for_update().get(pk=course.pk)
    changed = fields_changed(course, data)
    for name in changed:
        setattr(course, name, data[name])
    if changed:
        course.full_clean()
        course.save(update_fields=changed)
    if modules is not None and _modules_set(course, list(modules)):
        changed.append("modules")
    if changed:
        audit_record(
            actor=actor,
            action="training.course_updated",
            target=course,
            details={"changed": changed},
        )
    return course
