"""Write a course's grades as CSV (plain or Canvas gradebook import), streaming row by row."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from courses.models import Course
from grading.export import FORMATS, GRADE_SCOPES, export_lines


class Command(BaseCommand):
    help = (
        "Export a course's grades as CSV: one row per student with each question's score, module totals and the "
        "course total; --format canvas writes the layout Canvas's gradebook import accepts."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--course", required=True, help="Slug of the course.")
        parser.add_argument("--format", dest="fmt", choices=FORMATS, default="csv")
        parser.add_argument(
            "--grades", choices=GRADE_SCOPES, default=None,
            help="Which grades to write: all, or only released ones (the default for canvas, since Canvas shows "
                 "imported grades to students; csv defaults to all).",
        )
        parser.add_argument("-o", "--output", help="File to write; standard output when left out.")

    def handle(self, *args, course: str, fmt: str, grades: str | None, output: str | None, **options) -> None:
        found = Course.objects.filter(slug=course).first()
        if found is None:
            raise CommandError(f"No course with slug '{course}'.")
        grades = grades or ("released" if fmt == "canvas" else "all")
        lines = export_lines(found, fmt=fmt, grades=grades)
        if output is None:
            for line in lines:
                self.stdout.write(line, ending="")
            return
        rows = -1  # the header is not a student
        with open(output, "w", encoding="utf-8", newline="") as handle:
            for line in lines:
                handle.write(line)
                rows += 1
        if fmt == "canvas":
            rows -= 1  # nor is the Points Possible row
        self.stdout.write(f"Wrote {rows} student rows ({grades} grades, {fmt}) to {output}.", self.style.SUCCESS)
