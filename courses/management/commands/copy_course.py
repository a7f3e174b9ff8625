"""Copy a course to a new term from the command line: the same service and rules as the manage page."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from courses.copy import SHIFT_DAYS_MAX, CopyError, course_copy
from courses.models import Course, Enrollment, Role


class Command(BaseCommand):
    help = ("Copy a course's settings, modules, questions, bands, labs, sections and comment bank into a new "
            "course, with dates shifted by a number of days or cleared. No people, answers or grades are copied.")

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="source", required=True, metavar="SLUG")
        parser.add_argument("--to", dest="slug", required=True, metavar="NEWSLUG")
        parser.add_argument("--title", required=True)
        dates = parser.add_mutually_exclusive_group(required=True)
        dates.add_argument("--shift-days", type=int, metavar="N", help="Move every date by N days (may be negative).")
        dates.add_argument("--clear-deadlines", action="store_true", help="Clear every opening time and deadline.")
        parser.add_argument("--instructor", metavar="USERNAME",
                            help="Who becomes the copy's instructor (default: the source's first instructor).")

    def handle(self, *args, source, slug, title, shift_days, clear_deadlines, instructor, **options):
        try:
            course = Course.objects.get(slug=source)
        except Course.DoesNotExist:
            raise CommandError(f"No course with slug {source!r}.") from None
        actor = self._actor(course, instructor)
        try:
            if shift_days is not None and abs(shift_days) > SHIFT_DAYS_MAX:
                raise CopyError(f"Shift the dates by at most {SHIFT_DAYS_MAX} days either way.")
            copy = course_copy(source=course, slug=slug, title=title, actor=actor,
                               shift=None if clear_deadlines else timedelta(days=shift_days),
                               clear_deadlines=clear_deadlines)
        except CopyError as error:
            raise CommandError(f"{error.message} Nothing was written.") from None
        questions = sum(m.questions.count() for m in copy.modules.all())
        dates = "dates cleared" if clear_deadlines else f"dates shifted by {shift_days} days"
        self.stdout.write(f"Copied '{course.slug}' to '{copy.slug}': {copy.modules.count()} modules, {questions} "
                          f"questions, {copy.sections.count()} sections; {dates}; {actor.username} is its instructor.")

    def _actor(self, course: Course, username: str | None):
        if username:
            user = get_user_model().objects.filter(username=username).first()
            if user is None:
                raise CommandError(f"No user {username!r}.")
            return user
        enrollment = (Enrollment.objects.active().filter(course=course, role=Role.INSTRUCTOR)
                      .select_related("user").order_by("created_at", "pk").first())
        if enrollment is None:
            raise CommandError(f"{course.slug!r} has no instructor; name one with --instructor USERNAME.")
        return enrollment.user
