"""Write students' submitted answers in nbgrader's submitted/<student>/<assignment>/<notebook>.ipynb layout."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from courses.models import Module
from courses.notebooks.export import submissions_write


class Command(BaseCommand):
    help = "Export one notebook per student with their submitted answers, for nbgrader's tools."

    def add_arguments(self, parser):
        parser.add_argument("--course", required=True, metavar="SLUG")
        parser.add_argument("--module", required=True, metavar="SLUG")
        parser.add_argument("-o", "--output", required=True, metavar="DIR", help="The nbgrader course directory.")

    def handle(self, *args, course, module, output, **options):
        try:
            target = Module.objects.select_related("course").get(course__slug=course, slug=module)
        except Module.DoesNotExist:
            raise CommandError(f"No module {module!r} in course {course!r}.") from None
        paths = submissions_write(module=target, directory=Path(output))
        for path in paths:
            self.stdout.write(str(path))
        self.stdout.write(f"Wrote {len(paths)} submission(s) under {Path(output) / 'submitted'}.")
