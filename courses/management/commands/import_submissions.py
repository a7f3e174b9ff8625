"""Import students' notebooks that nbgrader collected as their submitted answers, ready to grade in reflect."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from courses.models import Module
from courses.notebooks.submissions import submissions_import


class Command(BaseCommand):
    help = (
        "Read nbgrader's submitted/<student>/<assignment>/<notebook>.ipynb and timestamp.txt: each response cell's "
        "text becomes that student's submitted answer to the question with the same grade_id, at nbgrader's time, "
        "with the late rule applied. Students are matched by username among the course's students. Existing "
        "answers are kept unless --replace (their history is kept either way)."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", metavar="PATH", help="nbgrader's course folder or its submitted/ folder.")
        parser.add_argument("--course", required=True, metavar="SLUG")
        parser.add_argument("--module", required=True, metavar="SLUG")
        parser.add_argument("--assignment", metavar="NAME",
                            help="nbgrader's assignment folder name, when it is neither the module's slug nor "
                                 "its numbered folder (03_activations).")
        parser.add_argument("--dry-run", action="store_true", help="Show what would happen; write nothing.")
        parser.add_argument("--replace", action="store_true",
                            help="Overwrite answers students already have in reflect (as a new submission).")

    def handle(self, *args, path, course, module, assignment, dry_run, replace, **options):
        try:
            target = Module.objects.select_related("course").get(course__slug=course, slug=module)
        except Module.DoesNotExist:
            raise CommandError(f"No module {module!r} in course {course!r}.") from None
        if not Path(path).is_dir():
            raise CommandError(f"{path}: no such folder.")
        report = submissions_import(module=target, path=Path(path), dry_run=dry_run, replace=replace,
                                    assignment=assignment)
        for line in report.lines:
            self.stdout.write(str(line))
        for problem in report.problems:
            self.stdout.write(f"problem: {problem}")
        counts = (f"{report.count('submitted')} submitted, {report.count('replaced')} replaced, "
                  f"{report.count('unchanged')} unchanged, {report.count('kept')} kept, "
                  f"{report.count('draft')} kept as drafts, {report.count('refused')} refused, "
                  f"{report.count('empty')} empty, {len(report.problems)} problem(s)")
        late = sum(1 for line in report.lines if line.detail.startswith("late by"))
        if late:
            counts += f"; {late} late"
        if dry_run:
            self.stdout.write(f"Dry run, nothing written. Would have: {counts}.")
        else:
            self.stdout.write(self.style.SUCCESS(f"Imported: {counts}."))
