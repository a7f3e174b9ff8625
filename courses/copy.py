"""Copy a course to a new term: its content and settings, never its people or their work.

`course_copy` copies the course's settings (description, time zone, regrade window, default late
policy; not the join code), its modules, questions, rubric bands and criteria and sections' names, makes the
acting instructor the copy's instructor, and sends `courses.signals.course_copied` so that apps
built on courses (grading's comment bank) copy what they keep per question. Deadlines move by the
given offset, counted on the course's clock (a 23:59 deadline stays 23:59 across a change to or
from summer time), or are cleared.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.core.validators import validate_slug
from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Min

from courses.models import Course, Enrollment, Module, Question, Role, RubricBand, RubricCriterion, Section
from courses.signals import course_copied, course_copy_counting

# Models whose every field is copied except these (ids and links, set anew for the copy).
QUESTION_SKIPPED = {"id", "module"}
BAND_SKIPPED = {"id", "question"}  # of a band or an analytic rubric's criterion
SHIFT_DAYS_MAX = 3650
SLUG_MAX = Course._meta.get_field("slug").max_length


class CopyError(Exception):
    """A copy that can't be made, with a message for the instructor; nothing was written."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class CopyPreview:
    """What a copy will hold; `extra` is what other apps (grading's comment bank) will copy, by label."""

    modules: int
    questions: int
    bands: int
    sections: int
    extra: dict[str, int] = field(default_factory=dict)
    first_due: datetime | None = None
    last_due: datetime | None = None
    new_first_due: datetime | None = None
    new_last_due: datetime | None = None
    undated: int = 0


def _zone(course: Course) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(course.time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def deadline_shift(value: datetime | None, *, shift: timedelta | None, zone: zoneinfo.ZoneInfo) -> datetime | None:
    """`value` moved by `shift` on the course's wall clock; None when there is no value or deadlines are cleared."""
    if value is None or shift is None:
        return None
    local = value.astimezone(zone).replace(tzinfo=None)
    try:
        return (local + shift).replace(tzinfo=zone)
    except OverflowError as exc:
        raise CopyError("That shift moves a deadline outside the calendar; choose a smaller one.") from exc


def course_copy_preview(*, source: Course, shift: timedelta | None) -> CopyPreview:
    """Counts of what a copy of `source` will hold, and its first and last deadlines before and after the shift.

    Four queries, none of them reading people: modules and sections, questions with their deadlines,
    bands, and one per receiver of `course_copy_counting` (grading counts the comment bank).
    """
    counts = Course.objects.filter(pk=source.pk).aggregate(
        modules=Count("modules", distinct=True), sections=Count("sections", distinct=True))
    questions = Question.objects.filter(module__course=source).aggregate(
        count=Count("id"), dated=Count("due_at"), first=Min("due_at"), last=Max("due_at"))
    bands = RubricBand.objects.filter(question__module__course=source).count()
    extra: dict[str, int] = {}
    for _receiver, answer in course_copy_counting.send(sender=Course, source=source):
        extra.update(answer or {})
    zone = _zone(source)
    return CopyPreview(
        modules=counts["modules"], questions=questions["count"], bands=bands, sections=counts["sections"],
        extra=extra, first_due=questions["first"], last_due=questions["last"],
        new_first_due=deadline_shift(questions["first"], shift=shift, zone=zone),
        new_last_due=deadline_shift(questions["last"], shift=shift, zone=zone),
        undated=questions["count"] - questions["dated"],
    )


def course_copy(*, source: Course, slug: str, title: str, actor, shift: timedelta | None,
                clear_deadlines: bool) -> Course:
    """A new course `slug` with `source`'s content and settings, deadlines shifted (or cleared), `actor` its instructor.

    Refused with CopyError, writing nothing, when the slug is taken or not a slug, the title empty,
    the shift beyond ten years, or neither a shift nor clearing is asked for. Queries are constant
    in the number of modules, questions and people: one bulk insert per kind of row.
    """
    try:
        validate_slug(slug)
    except ValidationError:
        raise CopyError(f"“{slug}” is not a course address: use letters, digits, hyphens and underscores.") from None
    if len(slug) > SLUG_MAX:
        raise CopyError(f"A course address has at most {SLUG_MAX} characters.")
    title = title.strip()
    if not title:
        raise CopyError("Give the new course a title.")
    if clear_deadlines == (shift is not None):
        raise CopyError("Either shift the deadlines or clear them.")
    if shift is not None and abs(shift) > timedelta(days=SHIFT_DAYS_MAX):
        raise CopyError(f"Shift the dates by at most {SHIFT_DAYS_MAX} days either way.")
    if Course.objects.filter(slug=slug).exists():
        raise CopyError(f"A course with the address “{slug}” already exists; choose another.")
    zone = _zone(source)
    try:
        with transaction.atomic():
            return _copy(source=source, slug=slug, title=title, actor=actor,
                         shift=None if clear_deadlines else shift, zone=zone)
    except IntegrityError as exc:
        # Another copy took the slug between the check and the insert, or a shifted pair of dates crossed.
        if Course.objects.filter(slug=slug).exists():
            raise CopyError(f"A course with the address “{slug}” already exists; choose another.") from exc
        raise CopyError(f"The copy was refused by the database, so nothing was written: {exc}") from exc


def _copy(*, source: Course, slug: str, title: str, actor, shift: timedelta | None,
          zone: zoneinfo.ZoneInfo) -> Course:
    copy = Course.objects.create(
        slug=slug, title=title, description=source.description, regrade_window_days=source.regrade_window_days,
        time_zone=source.time_zone, default_late_policy=source.default_late_policy,
        join_code="", join_enabled=False, join_email_domains=source.join_email_domains, copied_from=source,
    )
    old_modules = list(Module.objects.filter(course=source).order_by("number"))
    new_modules = Module.objects.bulk_create(
        Module(course=copy, number=m.number, slug=m.slug, title=m.title, summary=m.summary,
               reflection_intro=m.reflection_intro, reflection_summary=m.reflection_summary,
               is_published=m.is_published)
        for m in old_modules
    )
    module_map = {old.pk: new for old, new in zip(old_modules, new_modules, strict=True)}

    question_fields = [f.attname for f in Question._meta.concrete_fields if f.name not in QUESTION_SKIPPED]
    old_questions = list(Question.objects.filter(module__course=source).order_by("module__number", "number"))
    new_questions = []
    for old in old_questions:
        values = {name: getattr(old, name) for name in question_fields}
        values["opens_at"] = deadline_shift(old.opens_at, shift=shift, zone=zone)
        values["due_at"] = deadline_shift(old.due_at, shift=shift, zone=zone)
        values["rubric_version"] = 1  # the copy has no grades, so no earlier rubric to keep
        new_questions.append(Question(module=module_map[old.module_id], **values))
    new_questions = Question.objects.bulk_create(new_questions)
    question_map = {old.pk: new for old, new in zip(old_questions, new_questions, strict=True)}

    band_fields = [f.attname for f in RubricBand._meta.concrete_fields if f.name not in BAND_SKIPPED]
    RubricBand.objects.bulk_create(
        RubricBand(question=question_map[band.question_id], **{name: getattr(band, name) for name in band_fields})
        for band in RubricBand.objects.filter(question__module__course=source).order_by("question_id", "position")
    )
    criterion_fields = [f.attname for f in RubricCriterion._meta.concrete_fields if f.name not in BAND_SKIPPED]
    RubricCriterion.objects.bulk_create(
        RubricCriterion(question=question_map[c.question_id], **{name: getattr(c, name) for name in criterion_fields})
        for c in RubricCriterion.objects.filter(question__module__course=source).order_by("question_id", "position")
    )
    Section.objects.bulk_create(
        Section(course=copy, name=name)
        for name in Section.objects.filter(course=source).order_by("name").values_list("name", flat=True)
    )
    Enrollment.objects.create(user=actor, course=copy, role=Role.INSTRUCTOR)
    course_copied.send(sender=Course, source=source, copy=copy, actor=actor, questions=question_map)
    return copy
