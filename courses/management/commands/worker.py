"""Run the background tasks, and queue the periodic ones every WORKER_TICK_SECONDS.

django-tasks has no scheduler, so this command is one: a single thread that alternates between
draining the queue with django-tasks-db's own Worker (in batch mode, at most --max-batch tasks at a
time) and, when a tick is due, queueing each task named in settings.PERIODIC_TASKS. One thread
keeps it simple: no shared database connections, and a SIGTERM lets the running task finish.
A periodic task is queued only when none of its runs is already waiting, so several workers (or
a long backlog) don't pile up copies; each periodic task is idempotent anyway.
"""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import close_old_connections
from django.utils.module_loading import import_string
from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, TaskResultStatus
from django_tasks.utils import get_random_id
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

logger = logging.getLogger("reflect.worker")


class _CountingWorker(Worker):
    """django-tasks-db's worker, counting what it ran so the loop knows whether to wait."""

    ran = 0

    def run_task(self, db_task_result) -> None:
        try:
            super().run_task(db_task_result)
        finally:
            self.ran += 1


def periodic_tasks_enqueue() -> list[str]:
    """Queue each periodic task that has no run waiting already; returns the paths queued."""
    queued = []
    for path in settings.PERIODIC_TASKS:
        periodic = import_string(path)
        waiting = DBTaskResult.objects.filter(status=TaskResultStatus.READY, task_path=periodic.module_path)
        if not waiting.exists():
            periodic.enqueue()
            queued.append(path)
    return queued


class Command(BaseCommand):
    help = "Run background tasks (e-mail, reminders) and queue the periodic ones every WORKER_TICK_SECONDS."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--batch", action="store_true",
                            help="Queue the periodic tasks once, run everything that is ready, then exit.")
        parser.add_argument("--interval", type=float, default=1.0,
                            help="Seconds to wait when the queue is empty (default 1).")
        parser.add_argument("--max-batch", type=int, default=100,
                            help="Tasks to run before checking whether a tick is due (default 100).")

    def handle(self, *, batch: bool, interval: float, max_batch: int, verbosity: int, **options) -> None:
        if verbosity < 2:
            # The db worker says "starting" and "no more tasks" at INFO on every pass of the loop.
            logging.getLogger("django_tasks_db").setLevel(logging.WARNING)
        worker_id = get_random_id()
        tick = settings.WORKER_TICK_SECONDS
        next_tick = 0.0
        while True:
            if time.monotonic() >= next_tick:
                queued = periodic_tasks_enqueue()
                if queued:
                    logger.info("queued periodic tasks: %s", ", ".join(queued))
                next_tick = time.monotonic() + tick
            worker = _CountingWorker(
                queue_names=["*"], interval=0, batch=True, backend_name=DEFAULT_TASK_BACKEND_ALIAS,
                startup_delay=False, max_tasks=max_batch, worker_id=worker_id,
            )
            if not batch:
                worker.configure_signals()  # SIGTERM: finish the running task, then exit
            worker.run()
            if batch and worker.ran == 0:
                return
            if not worker.running:
                return
            if worker.ran == 0:
                close_old_connections()
                time.sleep(min(interval, max(0.0, next_tick - time.monotonic())))
