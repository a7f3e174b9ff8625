"""Import reflection questions from nbgrader notebooks (.ipynb or jupytext percent .py) into a course.

A PATH may be a folder: every notebook under it is imported, as in nbgrader's one-folder-per-assignment
layout (`modules/source/03_activations/activations_dev.py` beside a `module.yaml` giving its `title`).
"""

from __future__ import annotations

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from courses.models import Course
from courses.notebooks.folders import module_yaml_title, notebooks_under
from courses.notebooks.importer import FileReport, ImportRefused, NotebookFile, notebooks_import
from courses.notebooks.parse import max_bytes


class Command(BaseCommand):
    help = (
        "Import questions from notebooks, or from every notebook under a folder. grade_id is the key: a re-import "
        "updates changed questions and reports unchanged ones. Without --module each file goes to the module its "
        "numbered folder or name gives (03_activations/activations_dev.py or 03_activations.py → module 3, slug "
        "'activations'), created if missing, titled by the module.yaml beside it. Files without reflection "
        "questions are skipped; any error writes nothing and exits non-zero."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", metavar="PATH", help="A notebook, or a folder to search for them.")
        parser.add_argument("--course", required=True, metavar="SLUG")
        parser.add_argument("--module", metavar="SLUG", help="Import every file into this module.")
        parser.add_argument("--dry-run", action="store_true", help="Show what would change; write nothing.")
        parser.add_argument("--force", action="store_true",
                            help="Apply points or band changes to questions that have grades, flagging those grades.")
        parser.add_argument("--actor", metavar="USERNAME",
                            help="Who the grading audit records as flagging grades (needed with --force).")

    def handle(self, *args, paths, course, module, dry_run, force, actor, **options):
        try:
            target = Course.objects.get(slug=course)
        except Course.DoesNotExist:
            raise CommandError(f"No course with slug {course!r}.") from None
        user = None
        if actor:
            user = get_user_model().objects.filter(username=actor).first()
            if user is None:
                raise CommandError(f"No user {actor!r}.")
        files = [self._read(path) for path in self._notebook_paths(paths)]
        if not files:
            raise CommandError("No notebooks (.ipynb or jupytext percent-format .py) found; nothing was written.")

        def progress(report: FileReport, position: int, total: int) -> None:
            state = (f"{len(report.errors)} error(s)" if report.errors
                     else f"skipped, {report.skipped}" if report.skipped else "read")
            self.stdout.write(f"[{position}/{total}] {report.name}: {state}")

        try:
            plan = notebooks_import(course=target, files=files, module_slug=module, force=force, actor=user,
                                    dry_run=dry_run, progress=progress)
        except ImportRefused as refused:
            for problem in refused.plan.errors:
                self.stderr.write(f"error: {problem}")
            raise CommandError(f"Import refused: {len(refused.plan.errors)} error(s); nothing was written.") from None
        for report in plan.files:
            if report.skipped:
                continue  # its progress line said so
            self.stdout.write(report.summary())
            for problem in report.warnings:
                self.stdout.write(f"  warning: {problem}")
        totals = plan.totals()
        counts = (f"{totals['create']} created, {totals['update']} updated, {totals['unchanged']} unchanged, "
                  f"{totals['delete']} deleted")
        if dry_run:
            self.stdout.write(f"Dry run, nothing written. Would have: {counts}.")
        else:
            imported = sum(1 for report in plan.files if not report.skipped)
            self.stdout.write(self.style.SUCCESS(f"Imported {imported} file(s): {counts}."))

    def _notebook_paths(self, paths: list[str]) -> list[Path]:
        found: list[Path] = []
        for path in paths:
            root = Path(path)
            if root.is_dir():
                found += notebooks_under(root, self.stdout.write)
            elif root.is_file():
                found.append(root)
            else:
                raise CommandError(f"{path}: no such file or folder.")
        return found

    def _read(self, file: Path) -> NotebookFile:
        with file.open("rb") as handle:
            # One byte over the cap is enough to refuse the file without reading all of it.
            data = handle.read(max_bytes() + 1)
        return NotebookFile(str(file), data, module_title=module_yaml_title(file.parent))
