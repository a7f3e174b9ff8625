"""Writes of the course's manage pages: course settings and modules. Questions are in courses.questions."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction

from courses.models import Course, Module, Question


class ManageError(Exception):
    """A change that can't be made, with a message for the instructor."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@transaction.atomic
def module_create(*, course: Course, number: int, slug: str, title: str, summary: str = "",
                  reflection_intro: str = "", reflection_summary: str = "") -> Module:
    """A new module, as a draft: students see it once it is published."""
    return Module.objects.create(course=course, number=number, slug=slug, title=title, summary=summary,
                                 reflection_intro=reflection_intro, reflection_summary=reflection_summary,
                                 is_published=False)


@transaction.atomic
def module_set_published(*, module: Module, published: bool) -> bool:
    """Publish or unpublish a module; returns whether anything changed."""
    changed = Module.objects.filter(pk=module.pk).exclude(is_published=published).update(is_published=published)
    module.is_published = published
    return bool(changed)


@transaction.atomic
def module_move(*, module: Module, up: bool) -> Module | None:
    """Swap the module's number with its neighbour's above (`up`) or below; returns the neighbour, or None at an end.

    Numbers are unique per course, so the module is parked above every number in use while the
    neighbour takes its place; the course's modules are locked so two moves can't interleave.
    """
    modules = list(Module.objects.select_for_update().filter(course_id=module.course_id).order_by("number"))
    index = next(i for i, m in enumerate(modules) if m.pk == module.pk)
    other_index = index - 1 if up else index + 1
    if not 0 <= other_index < len(modules):
        return None
    mine, other = modules[index], modules[other_index]
    Module.objects.filter(pk=mine.pk).update(number=modules[-1].number + 1)
    Module.objects.filter(pk=other.pk).update(number=mine.number)
    Module.objects.filter(pk=mine.pk).update(number=other.number)
    module.number, other.number = other.number, mine.number
    return other


@transaction.atomic
def module_schedule(*, module: Module, opens_at: datetime | None, due_at: datetime | None) -> int:
    """Give every question of the module the same opening and deadline; returns how many questions."""
    if opens_at and due_at and opens_at >= due_at:
        raise ManageError("The deadline must be after the questions open.")
    return Question.objects.filter(module=module).update(opens_at=opens_at, due_at=due_at)
