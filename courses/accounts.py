"""Accounts: invitations to set a first password, and the password reset form.

An invitation is a one-time link made by Django's own token machinery with its own salt
and a longer lifetime than a reset link. The token hashes the password, so it stops working
the moment a password is set; until then a new account has an unusable password.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import PasswordResetForm
from django.contrib.auth.views import PasswordResetConfirmView
from django.urls import reverse, reverse_lazy
from django.utils import timezone

from courses.invitation_links import SET_PASSWORD_LINK, invitation_tokens
from courses.models import Course, Notice, NoticeKind
from courses.notices import NoticeDraft, notify, notify_many


class InvitationRefused(Exception):
    """The person already has a password (they can reset it) or no e-mail address."""


class _Invitations:
    """Invitation notices for one course; the URLs that are the same for everyone are reversed once."""

    def __init__(self, course: Course):
        self.course = course
        self.login_url = settings.SITE_URL + reverse("login")
        self.course_url = course.get_absolute_url()

    def draft(self, user, key: str = "") -> NoticeDraft:
        days = settings.INVITATION_TIMEOUT_DAYS
        body = (
            f"Hello {user.get_full_name() or user.username},\n\n"
            f"You have been added to {self.course.title} on reflect. To start, set your password here "
            f"(the link works once, for {days} days):\n\n{SET_PASSWORD_LINK}\n\n"
            f"Your username is {user.username}. After that, log in at {self.login_url}\n\n"
            "If the link has expired, ask for a new one on the login page under “Forgot your password?”.\n"
        )
        return NoticeDraft(recipient_id=user.pk, kind=NoticeKind.INVITATION, key=key or f"invite:{user.pk}",
                           subject=f"You're invited to {self.course.title}", body=body, url=self.course_url,
                           course_id=self.course.pk)


def invitations_send(*, users, course: Course) -> int:
    """Invite new people (an import's) in bulk; the e-mails go through the notices queue in batches."""
    invitations = _Invitations(course)
    return notify_many(invitations.draft(user) for user in users)


def invitation_send(*, user, course: Course, resend: bool = False) -> Notice:
    """Invite one person who has no password yet to set one and find `course`.

    The first invitation's key is "invite:<user id>", so importing twice never mails twice;
    a resend asked for by an instructor gets a key of its own minute.
    """
    if user.has_usable_password():
        raise InvitationRefused(f"{user.username} has already set a password; they can reset it if forgotten.")
    if not user.email:
        raise InvitationRefused(f"{user.username} has no e-mail address to send an invitation to.")
    key = f"invite:{user.pk}"
    if resend:
        key += f":resent:{timezone.now():%Y%m%d%H%M}"
    draft = _Invitations(course).draft(user, key)
    return notify(recipient=user, kind=NoticeKind.INVITATION, key=draft.key, subject=draft.subject,
                  body=draft.body, url=draft.url, course=course)


class InvitationConfirmView(PasswordResetConfirmView):
    """Django's reset-confirm view with the invitation's tokens and wording."""

    token_generator = invitation_tokens
    template_name = "registration/invitation_confirm.html"
    success_url = reverse_lazy("invitation_complete")


class ResetForm(PasswordResetForm):
    """Django's reset form, which also reaches invited people who never set a password.

    Django leaves out accounts with unusable passwords; here those are invited people whose
    link expired, and a reset is how they get a new one. The page says the same whether or
    not the address has an account.
    """

    def get_users(self, email):
        User = get_user_model()
        email_field = User.get_email_field_name()
        return (user for user in User._default_manager.filter(**{f"{email_field}__iexact": email, "is_active": True})
                if getattr(user, email_field, "").lower() == email.lower())
