"""LTI 1.3: the tool's keys, registered platforms, their courses (contexts) and links, and who is who.

Imported at the bottom of courses/models.py, so the `courses` app owns these tables.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


class LtiKey(models.Model):
    """One RSA key pair of the tool. The newest unretired key signs; retired keys leave the JWKS.

    The private key is stored encrypted with a key derived from SECRET_KEY (courses.lti.keys);
    a key given in REFLECT_LTI_PRIVATE_KEY is never stored.
    """

    kid = models.CharField(max_length=100, unique=True)
    public_pem = models.TextField()
    private_pem_encrypted = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    retired_at = models.DateTimeField(null=True, blank=True, help_text="Set: no longer published in the JWKS.")

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Key {self.kid}{' (retired)' if self.retired_at else ''}"


class LtiPlatform(models.Model):
    """A learning management system registered by a superuser: one issuer and client id."""

    name = models.CharField(max_length=200, help_text="Shown to instructors, e.g. “University Canvas”.")
    issuer = models.URLField(
        max_length=500, help_text="The platform's issuer (iss), e.g. https://canvas.instructure.com.",
    )
    client_id = models.CharField(max_length=200, help_text="The client id (Canvas: the developer key's id).")
    deployment_ids = models.TextField(help_text="One deployment id per line; launches from others are refused.")
    auth_login_url = models.URLField(max_length=500, help_text="OIDC authorization (login) URL of the platform.")
    auth_token_url = models.URLField(max_length=500, help_text="OAuth2 access-token URL of the platform.")
    key_set_url = models.URLField(max_length=500, help_text="The platform's public key set (JWKS) URL.")
    auth_audience = models.CharField(
        max_length=500, blank=True, help_text="Audience of token requests when it isn't the token URL (Moodle: empty).",
    )
    frame_origins = models.TextField(
        blank=True,
        help_text="Origins allowed to frame reflect after a launch, one per line "
                  "(Canvas: https://school.instructure.com). The issuer's origin is always allowed.",
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["issuer", "client_id"], name="lti_platform_issuer_client_unique"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if not self.deployment_id_list:
            raise ValidationError({"deployment_ids": "Enter at least one deployment id."})
        bad = [o for o in _lines(self.frame_origins) if origin_of(o) != o.rstrip("/")]
        if bad:
            raise ValidationError(
                {"frame_origins": f"“{bad[0][:80]}” is not an origin such as https://school.example.edu."})

    @property
    def deployment_id_list(self) -> list[str]:
        return _lines(self.deployment_ids)

    @property
    def frame_origin_list(self) -> list[str]:
        origins = [origin_of(self.issuer), *(o.rstrip("/") for o in _lines(self.frame_origins))]
        return list(dict.fromkeys(o for o in origins if o))


    @property
    def service_origins(self) -> list[str]:
        """Where reflect may send requests for this platform: its registered URLs' origins and frame origins.

        Service URLs (roster, grade columns) arrive in launches and platform answers; any elsewhere are ignored,
        so a platform can't point reflect's requests at other hosts.
        """
        origins = [origin_of(u) for u in (self.auth_login_url, self.auth_token_url, self.key_set_url)]
        return list(dict.fromkeys([*self.frame_origin_list, *(o for o in origins if o)]))

    def serves(self, url: str) -> bool:
        return bool(url) and origin_of(url) in self.service_origins


class LineItemsPer(models.TextChoices):
    QUESTION = "question", "One LMS grade column per question"
    MODULE = "module", "One LMS grade column per module"


class LtiContext(models.Model):
    """A course of a platform (the LTI context), and the reflect course it is linked to."""

    platform = models.ForeignKey(LtiPlatform, on_delete=models.CASCADE, related_name="contexts")
    context_id = models.CharField(max_length=255)
    deployment_id = models.CharField(max_length=255)
    title = models.CharField(max_length=300, blank=True)
    course = models.ForeignKey(
        "courses.Course", null=True, blank=True, on_delete=models.SET_NULL, related_name="lti_contexts",
    )
    memberships_url = models.URLField(max_length=1000, blank=True, help_text="NRPS, from the latest launch.")
    lineitems_url = models.URLField(max_length=1000, blank=True, help_text="AGS, from the latest launch.")
    ags_scopes = models.JSONField(default=list, blank=True)
    line_items_per = models.CharField(max_length=20, choices=LineItemsPer.choices, default=LineItemsPer.QUESTION)
    roster_synced_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(
        max_length=500, blank=True, help_text="The platform's latest refusal of a grade column; empty when fine.",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["platform", "title"]
        constraints = [
            models.UniqueConstraint(fields=["platform", "context_id"], name="lti_context_unique_in_platform"),
        ]

    def __str__(self) -> str:
        return f"{self.title or self.context_id} ({self.platform})"


class LtiResourceLink(models.Model):
    """A link placed in the LMS; it opens a module or a question (or the course when it names neither)."""

    context = models.ForeignKey(LtiContext, on_delete=models.CASCADE, related_name="resource_links")
    resource_link_id = models.CharField(max_length=255)
    title = models.CharField(max_length=300, blank=True)
    module = models.ForeignKey("courses.Module", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    question = models.ForeignKey(
        "courses.Question", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["context", "resource_link_id"], name="lti_link_unique_in_context"),
        ]

    def __str__(self) -> str:
        return self.title or self.resource_link_id


class LtiIdentity(models.Model):
    """A person of a platform (issuer and subject) and their reflect account."""

    issuer = models.CharField(max_length=500)
    sub = models.CharField(max_length=255)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lti_identities")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["issuer", "sub"], name="lti_identity_unique")]

    def __str__(self) -> str:
        return f"{self.user} as {self.sub} at {self.issuer}"


class LtiLaunchValue(models.Model):
    """pylti1p3's launch storage (state parameters, nonces, launch data) in the database, not one server's memory.

    A nonce is consumed by deleting its row: of two servers seeing the same launch, one deletes it.
    """

    key = models.CharField(max_length=255, unique=True)
    value = models.JSONField()
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=~Q(key=""), name="lti_launch_value_has_key")]

    def __str__(self) -> str:
        return self.key
