"""Restore one course from an archive written by export_course."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from grading.backup import BackupError, course_import


class Command(BaseCommand):
    help = (
        "Load a course archive written by export_course, with its ids, timestamps and history as they were. "
        "Refuses, writing nothing, when the course already exists, the archive is damaged or edited, or it comes "
        "from a newer reflect. People who already exist here (by username) are used as they are; new ones keep "
        "their password hashes, so they log in with the passwords they had."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("archive", help="The .zip file export_course wrote.")

    def handle(self, *args, archive: str, **options) -> None:
        try:
            summary = course_import(path=archive)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        counts = ", ".join(f"{n} {label.split('.')[1]}" for label, n in summary.counts.items())
        self.stdout.write(
            f"Imported course '{summary.course}': {counts}. Users: {summary.users_created} created, "
            f"{summary.users_matched} matched by username and left unchanged.",
            self.style.SUCCESS,
        )
