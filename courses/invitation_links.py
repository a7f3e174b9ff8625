"""The one-time link that lets an invited person set their first password.

Its own module, below both the invitations (courses.accounts) and the e-mail task that puts a
fresh link into each invitation as it is sent (courses.tasks), so neither imports the other.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.urls import reverse
from django.utils.crypto import constant_time_compare
from django.utils.encoding import force_bytes
from django.utils.http import base36_to_int, urlsafe_base64_encode


class InvitationTokenGenerator(PasswordResetTokenGenerator):
    """Like a reset token, but not interchangeable with one, and valid INVITATION_TIMEOUT_DAYS."""

    key_salt = "courses.accounts.InvitationTokenGenerator"

    @property
    def timeout_seconds(self) -> int:
        return settings.INVITATION_TIMEOUT_DAYS * 24 * 3600

    def check_token(self, user, token) -> bool:
        # Django's check, with this generator's own timeout instead of PASSWORD_RESET_TIMEOUT.
        if not (user and token):
            return False
        try:
            ts_b36, _ = token.split("-")
            ts = base36_to_int(ts_b36)
        except ValueError:
            return False
        if not any(constant_time_compare(self._make_token_with_timestamp(user, ts, secret), token)
                   for secret in [self.secret, *self.secret_fallbacks]):
            return False
        return self._num_seconds(self._now()) - ts <= self.timeout_seconds


invitation_tokens = InvitationTokenGenerator()


# Stands in the stored notice for the set-password link, which is made only when the e-mail is
# sent (courses.tasks): a live link kept in the database, a dump or a course archive would let
# whoever reads it set the person's password.
SET_PASSWORD_LINK = "[your set-password link is in the e-mail]"


def with_set_password_link(body: str, user) -> str:
    """The invitation's text with a fresh one-time link in place of SET_PASSWORD_LINK."""
    return body.replace(SET_PASSWORD_LINK, invitation_url(user))


def invitation_url(user) -> str:
    """The absolute one-time link that lets `user` set their first password."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    path = reverse("invitation_confirm", args=[uid, invitation_tokens.make_token(user)])
    return settings.SITE_URL + path


