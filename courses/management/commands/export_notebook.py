"""Write a module's questions as an nbgrader notebook in the seed's format (.ipynb or percent .py)."""

from __future__ import annotations

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from courses.models import Module
from courses.notebooks.export import module_notebook, notebook_text


class Command(BaseCommand):
    help = "Export a module as an nbgrader notebook; the format follows -o's extension (.ipynb or .py)."

    def add_arguments(self, parser):
        parser.add_argument("--course", required=True, metavar="SLUG")
        parser.add_argument("--module", required=True, metavar="SLUG")
        parser.add_argument("-o", "--output", metavar="FILE",
                            help="FILE.ipynb or FILE.py; standard output if left out.")
        parser.add_argument("--format", choices=["ipynb", "py"], help="Format for standard output (default ipynb).")

    def handle(self, *args, course, module, output, format, **options):
        try:
            target = Module.objects.select_related("course").get(course__slug=course, slug=module)
        except Module.DoesNotExist:
            raise CommandError(f"No module {module!r} in course {course!r}.") from None
        if output:
            suffix = Path(output).suffix.lower().lstrip(".")
            if suffix not in ("ipynb", "py"):
                raise CommandError(f"{output}: the output must end in .ipynb or .py.")
            format = suffix
        text = notebook_text(module_notebook(target), format or "ipynb")
        if output:
            Path(output).write_text(text, encoding="utf-8")
            self.stdout.write(f"Wrote {target.questions.count()} question(s) to {output}.")
        else:
            sys.stdout.write(text)
