"""Two saves of one answer at the same moment, on two real PostgreSQL connections."""

import threading

import pytest
from django.db import connection

from courses.models import Response, ResponseRevision, RevisionKind
from courses.services import StaleVersion, response_save_draft
from courses.tests.factories import enroll, make_course, make_module, make_question, make_user

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


def _race(question, student, texts: list[str], base_version: int) -> list[str]:
    barrier = threading.Barrier(len(texts))
    outcomes: list[str] = []

    def save(text: str) -> None:
        try:
            barrier.wait()
            response_save_draft(student=student, question=question, text=text, base_version=base_version)
            outcomes.append("saved")
        except StaleVersion:
            outcomes.append("conflict")
        finally:
            connection.close()  # each thread has its own connection

    threads = [threading.Thread(target=save, args=(text,)) for text in texts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(outcomes)


@pytest.fixture
def setup():
    assert connection.vendor == "postgresql"
    course = make_course()
    question = make_question(make_module(course))
    student = make_user()
    enroll(student, course)
    return question, student


def test_two_first_saves_at_once_apply_exactly_one(setup):
    question, student = setup
    assert _race(question, student, ["tab one", "tab two"], base_version=0) == ["conflict", "saved"]
    response = Response.objects.get()
    assert response.version == 1
    kinds = sorted(ResponseRevision.objects.values_list("kind", flat=True))
    assert kinds == [RevisionKind.AUTOSAVE, RevisionKind.CONFLICT]
    assert set(ResponseRevision.objects.values_list("text", flat=True)) == {"tab one", "tab two"}


def test_four_saves_on_one_version_apply_exactly_one(setup):
    question, student = setup
    response_save_draft(student=student, question=question, text="start", base_version=0)
    texts = [f"edit {i}" for i in range(4)]
    assert _race(question, student, texts, base_version=1) == ["conflict"] * 3 + ["saved"]
    response = Response.objects.get()
    assert response.version == 2 and response.text in texts
    assert ResponseRevision.objects.filter(kind=RevisionKind.CONFLICT).count() == 3
