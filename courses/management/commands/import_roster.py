"""Import a roster CSV into a course: the same parsing, plan and rules as the People page's import."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from courses.models import Course
from courses.roster import Action, RosterRefused, max_bytes, roster_import


class Command(BaseCommand):
    help = (
        "Import people from a CSV (name, email, username, role, section, sis_id; Canvas's gradebook export; "
        "or a plain 'Name, Email' list). New accounts are invited by e-mail. Any bad row writes nothing "
        "and exits non-zero."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", metavar="FILE")
        parser.add_argument("--course", required=True, metavar="SLUG")
        parser.add_argument("--dry-run", action="store_true", help="Show what would change; write nothing.")
        parser.add_argument("--drop-missing", action="store_true",
                            help="Drop students of the course who are not in the file (staff never are).")

    def handle(self, *args, path, course, dry_run, drop_missing, **options):
        try:
            target = Course.objects.get(slug=course)
        except Course.DoesNotExist:
            raise CommandError(f"No course with slug {course!r}.") from None
        file = Path(path)
        if not file.is_file():
            raise CommandError(f"No file {path}.")
        with file.open("rb") as handle:
            data = handle.read(max_bytes() + 1)
        try:
            plan = roster_import(course=target, data=data, drop_missing=drop_missing, dry_run=dry_run)
        except RosterRefused as refused:
            for error in refused.errors:
                self.stderr.write(error)
            raise CommandError(f"{len(refused.errors)} problem(s) in {file.name}; nothing was written.") from None
        for person in plan.people:
            if person.action != Action.UNCHANGED:
                detail = "; ".join(person.changes)
                self.stdout.write(f"{person.action:9} {person.email or person.username}"
                                  f" ({person.role}{', ' + person.section if person.section else ''})"
                                  f"{': ' + detail if detail else ''}")
        totals = plan.totals()
        summary = (f"{totals['create']} new (invited), {totals['add']} added, {totals['update']} updated, "
                   f"{totals['unchanged']} unchanged, {totals['drop']} dropped")
        if plan.new_sections:
            summary += f"; new sections: {', '.join(plan.new_sections)}"
        prefix = "Dry run, nothing written: would be " if dry_run else "Imported: "
        self.stdout.write(self.style.SUCCESS(prefix + summary + "."))
