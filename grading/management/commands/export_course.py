"""Back up one course (people, questions, answers, revisions, grades, audit) to a zip archive."""

from __future__ import annotations

import os

from django.core.management.base import BaseCommand, CommandError

from grading.backup import BackupError, course_export


class Command(BaseCommand):
    help = (
        "Write a course and everything in it (its people with their password hashes, modules, questions, rubric "
        "bands, enrollments, responses and revisions, grades and their audit, releases, regrade requests, comment "
        "bank, name reveals) to one zip archive that import_course loads. Keep the archive as safe as the database."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--course", required=True, help="Slug of the course.")
        parser.add_argument("-o", "--output", required=True, help="Archive to write, e.g. tinytorch-2026-11-29.zip.")

    def handle(self, *args, course: str, output: str, **options) -> None:
        try:
            summary = course_export(slug=course, path=output)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        counts = ", ".join(f"{n} {label.split('.')[1]}" for label, n in summary.counts.items())
        size = os.path.getsize(output)
        shown = f"{size / 1e6:.1f} MB" if size >= 1e6 else f"{size / 1e3:.0f} kB"
        self.stdout.write(f"Wrote course '{summary.course}' to {output} ({shown}): {counts}.", self.style.SUCCESS)
