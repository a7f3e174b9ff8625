"""Grading tells students through courses.notices: an answered regrade request becomes a notice and an e-mail."""

from __future__ import annotations

import pytest

from courses.models import DeliveryStatus, Notice, NoticeKind
from grading.models import Grade
from grading.services import regrade_answer
from grading.tests.helpers import with_regrade

pytestmark = pytest.mark.django_db(transaction=True)


def test_answering_a_regrade_request_emails_the_student_once(world, smtp_server, run_worker):
    regrade = with_regrade(world)
    version = Grade.objects.get(response=world.response).version
    regrade_answer(regrade=regrade, actor=world.ta, reply="Looked again: it stands.", base_version=version)
    run_worker()
    notice = Notice.objects.get(recipient=world.student, kind=NoticeKind.REGRADE_ANSWERED)
    assert notice.url == f"/responses/{world.response.pk}/" and notice.course == world.course
    assert notice.email_status == DeliveryStatus.SENT
    [message] = smtp_server.messages
    assert message["To"] == "student@example.edu"
    assert message["Subject"] == "Your regrade request was answered: Q1. Question 1"
    assert "Looked again" not in message.get_content()  # the reply itself is read on the site
