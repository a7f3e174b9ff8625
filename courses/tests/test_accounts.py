"""Invitations set a first password once; everyone can reset a forgotten one without learning who has an account."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core import mail
from django.utils import timezone

from courses.invitation_links import SET_PASSWORD_LINK, invitation_tokens, invitation_url
from courses.models import Notice, NoticeKind
from courses.roster import roster_import
from courses.tasks import _email_body
from courses.tests.factories import make_user

pytestmark = pytest.mark.django_db
User = get_user_model()
NEW_PASSWORD = "correct horse battery staple"


def _invited(world) -> tuple[User, str]:
    roster_import(course=world.course, data=b"name,email\nAda Lovelace,ada@example.edu\n")
    ada = User.objects.get(email="ada@example.edu")
    notice = Notice.objects.get(recipient=ada, kind=NoticeKind.INVITATION)
    return ada, re.search(r"https?://[^/\s]+(/accounts/invitation/\S+/)", _email_body(notice)).group(1)


def _set_password(client, link: str):
    page = client.get(link, follow=True)
    form_url = page.redirect_chain[-1][0] if page.redirect_chain else link
    return page, client.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}, follow=True)


def test_a_new_person_has_no_usable_password_until_they_follow_the_invitation(client, world):
    ada, link = _invited(world)
    assert not ada.has_usable_password()
    assert client.post("/accounts/login/", {"username": "ada", "password": ""}).status_code == 200  # refused
    page, done = _set_password(client, link)
    assert "Set your password" in page.content.decode()
    assert f"Your username is <strong>{ada.username}</strong>" in page.content.decode()
    assert "Your password is set" in done.content.decode()
    ada.refresh_from_db()
    assert ada.check_password(NEW_PASSWORD)
    client.logout()
    logged_in = client.post("/accounts/login/", {"username": "ada", "password": NEW_PASSWORD}, follow=True)
    assert logged_in.redirect_chain[-1][0] == "/"
    assert world.course.title in logged_in.content.decode()


def test_an_invitation_link_works_once(client, world):
    ada, link = _invited(world)
    _set_password(client, link)
    client.logout()
    again = client.get(link, follow=True)
    assert "This invitation link has expired or has already been used." in again.content.decode()
    assert "new_password1" not in again.content.decode()


def test_an_invitation_outlives_a_reset_link_but_not_its_own_timeout(client, world, settings):
    settings.INVITATION_TIMEOUT_DAYS = 14
    settings.PASSWORD_RESET_TIMEOUT = 3 * 24 * 3600
    ada, link = _invited(world)
    token = link.rstrip("/").rsplit("/", 1)[1]
    with time_machine.travel(timezone.now() + timedelta(days=10)):
        assert invitation_tokens.check_token(ada, token)
    with time_machine.travel(timezone.now() + timedelta(days=15)):
        assert not invitation_tokens.check_token(ada, token)
        assert "has expired" in client.get(link, follow=True).content.decode()


def test_an_invitation_token_is_not_a_reset_token(client, world):
    ada, link = _invited(world)
    reset_path = link.replace("/accounts/invitation/", "/accounts/password-reset/")
    page = client.get(reset_path, follow=True)
    assert "This link has expired or has already been used." in page.content.decode()


def test_the_login_page_links_to_the_reset(client):
    assert 'href="/accounts/password-reset/"' in client.get("/accounts/login/").content.decode()


def test_a_reset_for_an_unknown_address_looks_the_same_as_for_a_known_one(client, world):
    known = client.post("/accounts/password-reset/", {"email": "student@example.edu"}, follow=True)
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["student@example.edu"]
    unknown = client.post("/accounts/password-reset/", {"email": "nobody@example.edu"}, follow=True)
    assert len(mail.outbox) == 1  # nothing sent, nothing said
    assert known.redirect_chain == unknown.redirect_chain == [("/accounts/password-reset/sent/", 302)]
    assert known.content == unknown.content
    assert "If an account has that address" in known.content.decode()


def test_a_reset_link_from_the_mail_sets_a_new_password_once(client, world):
    client.post("/accounts/password-reset/", {"email": "STUDENT@example.edu"})
    message = mail.outbox[0]
    assert message.subject == "Reset your reflect password"
    link = re.search(r"https?://[^/\s]+(/accounts/password-reset/\S+/)", message.body).group(1)
    page, done = _set_password(client, link)
    assert "Choose a new password" in page.content.decode()
    assert "Your password is set" in done.content.decode()
    world.student.refresh_from_db()
    assert world.student.check_password(NEW_PASSWORD)
    assert "has expired or has already been used" in client.get(link, follow=True).content.decode()


def test_an_invited_person_whose_link_expired_can_get_a_reset_link(client, world):
    ada, _link = _invited(world)
    client.post("/accounts/password-reset/", {"email": "ada@example.edu"})
    assert [m.to for m in mail.outbox] == [["ada@example.edu"]]


def test_resend_invitation_sends_a_new_notice_to_someone_without_a_password(client, world):
    ada, _link = _invited(world)
    client.force_login(world.instructor)
    enrollment = ada.enrollments.get(course=world.course)
    response = client.post(f"/manage/{world.course.slug}/people/{enrollment.pk}/invite", follow=True)
    assert "Sent a new invitation to ada@example.edu." in response.content.decode()
    keys = sorted(Notice.objects.filter(recipient=ada).values_list("key", flat=True))
    assert keys[0] == f"invite:{ada.pk}" and keys[1].startswith(f"invite:{ada.pk}:resent:")
    # The new notice's e-mail carries a working link for Ada (a token is stamped with the second it is made).
    sent = _email_body(Notice.objects.get(key=keys[1]))
    uid, token = re.search(r"/accounts/invitation/([^/]+)/([^/]+)/", sent).groups()
    assert uid == invitation_url(ada).split("/accounts/invitation/")[1].split("/")[0]
    assert invitation_tokens.check_token(ada, token)


def test_resend_invitation_is_refused_for_someone_with_a_password(client, world):
    client.force_login(world.instructor)
    enrollment = world.student.enrollments.get(course=world.course)
    response = client.post(f"/manage/{world.course.slug}/people/{enrollment.pk}/invite", follow=True)
    assert "student has already set a password; they can reset it if forgotten." in response.content.decode()
    assert not Notice.objects.exists()


def test_a_ta_cant_resend_invitations(client, world):
    other = make_user("x")
    client.force_login(world.ta)
    enrollment = world.student.enrollments.get(course=world.course)
    assert client.post(f"/manage/{world.course.slug}/people/{enrollment.pk}/invite").status_code == 403
    assert not Notice.objects.filter(recipient__in=[world.student, other]).exists()


def test_the_stored_invitation_holds_no_live_link_only_the_e_mail_does(world):
    ada, link = _invited(world)
    notice = Notice.objects.get(recipient=ada, kind=NoticeKind.INVITATION)
    assert SET_PASSWORD_LINK in notice.body and "/accounts/invitation/" not in notice.body
    uid, token = re.search(r"/accounts/invitation/([^/]+)/([^/]+)/", _email_body(notice)).groups()
    assert invitation_tokens.check_token(ada, token)
