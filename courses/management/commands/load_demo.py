"""`manage.py load_demo`: the demo course and accounts, created idempotently."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from courses.demo.loader import demo_load


class Command(BaseCommand):
    help = "Create the demo course, the accounts student1-3, ta1, ta2, instructor and admin, and sample answers."

    def add_arguments(self, parser):
        parser.add_argument("--password", default="reflect-demo", help="Password for the demo accounts.")
        parser.add_argument("--force", action="store_true", help="Create demo accounts even with DEBUG off.")

    def handle(self, *args, password: str, force: bool, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "DEBUG is off: refusing to create demo accounts with a known password on what looks like a "
                "production site. Pass --force (and --password) if you really mean it."
            )
        reset = password != "reflect-demo"
        for line in demo_load(password=password, reset_passwords=reset):
            self.stdout.write(line)
        self.stdout.write(self.style.SUCCESS(f"Demo ready: log in as student1 / {password}"))
