"""Periodic LTI housekeeping (settings.PERIODIC_TASKS)."""

from django_tasks import task

from courses.lti.tool_config import launch_values_purge


@task()
def lti_launch_values_purge() -> int:
    """Delete expired launch state and nonces; returns how many rows went."""
    return launch_values_purge()
