"""Site-wide counters shared by every app server: per-user rate-limit windows and busy slots."""

from django.db import models


class RateLimitWindow(models.Model):
    """How many requests one user made in one scope during the current fixed window."""

    key = models.CharField(max_length=200, unique=True, help_text="scope:user id")
    window = models.BigIntegerField(help_text="The window's number: seconds since the epoch // period.")
    count = models.PositiveIntegerField()

    def __str__(self) -> str:
        return f"{self.key}: {self.count} in window {self.window}"


class SiteSlot(models.Model):
    """One of a few places for an expensive job; a row is held until its holder frees it or it expires."""

    key = models.CharField(max_length=200, unique=True, help_text="name:slot number")
    holder = models.CharField(max_length=32)
    expires_at = models.FloatField(help_text="Seconds since the epoch; a slot past it is free.")

    def __str__(self) -> str:
        return f"{self.key} held by {self.holder}"
