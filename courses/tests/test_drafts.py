"""A draft module is invisible to students, everywhere, until it is published; staff see it marked "Draft"."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.http import Http404
from django.utils import timezone

from courses import selectors
from courses.models import Module, Response, Role
from courses.tests.factories import enroll, make_module, make_question, make_response, words


@pytest.fixture
def draft(world):
    """A draft module 2 with one open question due tomorrow, which the student answered before it was unpublished."""
    module = make_module(world.course, 2, slug="losses", title="Secret Losses", is_published=False)
    question = make_question(module, 1, title="Hidden question", due_at=timezone.now() + timedelta(days=1))
    make_response(world.student, question, submitted=False, text="my draft")
    return module


def question_of(module):
    return module.questions.get()


def student_urls(world, module) -> list[str]:
    question = question_of(module)
    response = Response.objects.get(question=question, student=world.student)
    return [f"/courses/{world.course.slug}/{module.slug}/", f"/questions/{question.pk}/",
            f"/responses/{response.pk}/"]


def test_a_student_gets_404_on_every_page_of_a_draft_module(client, world, draft):
    client.force_login(world.student)
    for url in student_urls(world, draft):
        assert client.get(url).status_code == 404, url


def test_a_student_cannot_save_or_submit_an_answer_to_a_draft_question(client, world, draft):
    client.force_login(world.student)
    question = question_of(draft)
    response = client.post(f"/questions/{question.pk}/save", json.dumps({"text": "sneaky", "version": 1}),
                           content_type="application/json")
    assert response.status_code == 404
    assert client.post(f"/questions/{question.pk}/submit", {"text": words(200), "version": 1}).status_code == 404
    saved = Response.objects.get(question=question, student=world.student)
    assert saved.text == "my draft" and not saved.is_submitted


def test_a_student_sees_nothing_of_a_draft_in_lists(client, world, draft):
    client.force_login(world.student)
    course_page = client.get(f"/courses/{world.course.slug}/").content.decode()
    dashboard = client.get("/").content.decode()
    for page in (course_page, dashboard):
        assert "Secret Losses" not in page and "Hidden question" not in page
    assert "1 module<" in dashboard  # the count leaves the draft out
    assert selectors.due_soon_for_student(world.student, timezone.now()) == []


def test_after_publishing_the_student_sees_all_of_it(client, world, draft):
    Module.objects.filter(pk=draft.pk).update(is_published=True)
    client.force_login(world.student)
    for url in student_urls(world, draft):
        assert client.get(url).status_code == 200, url
    assert "Secret Losses" in client.get(f"/courses/{world.course.slug}/").content.decode()
    dashboard = client.get("/").content.decode()
    assert "2 modules" in dashboard and "Hidden question" in dashboard


@pytest.mark.parametrize("role", ["ta", "instructor"])
def test_staff_see_a_draft_marked_draft(client, world, draft, role):
    client.force_login(getattr(world, role))
    page = client.get(f"/courses/{world.course.slug}/{draft.slug}/").content.decode()
    assert "Secret Losses" in page and '<span class="badge draft">Draft</span>' in page
    assert client.get(f"/questions/{question_of(draft).pk}/").status_code == 200
    assert "2 modules" in client.get("/").content.decode()
    course_page = client.get(f"/courses/{world.course.slug}/").content.decode()
    assert "Secret Losses" in course_page and '<span class="badge draft">Draft</span>' in course_page


def test_the_course_module_list_includes_drafts_only_for_staff(world, draft):
    staff = selectors.get_enrollment(world.ta, world.course.slug)
    student = selectors.get_enrollment(world.student, world.course.slug)
    assert [m.slug for m in selectors.modules_with_question_counts(world.course, staff)] == ["activations", "losses"]
    assert [m.slug for m in selectors.modules_with_question_counts(world.course, student)] == ["activations"]
    # A caller that doesn't say who is looking gets the students' view.
    assert [m.slug for m in selectors.modules_with_question_counts(world.course)] == ["activations"]


def test_a_published_module_stays_visible_while_another_is_a_draft(client, world, draft):
    client.force_login(world.student)
    assert client.get(f"/courses/{world.course.slug}/{world.module.slug}/").status_code == 200
    assert client.get(f"/questions/{world.question.pk}/").status_code == 200


def test_drafts_of_one_course_do_not_hide_another_courses_modules_for_a_student_who_is_staff_there(world, draft):
    # The staff role that reveals drafts must be in the draft's own course.
    enroll(world.student, world.other_course, Role.TA)
    with pytest.raises(Http404):
        selectors.get_question_for_member(world.student, question_of(draft).pk)


def test_an_imported_module_starts_as_a_draft_and_the_preview_says_so(client, world):
    from courses.tests.test_authoring_import import SEED, payload_of, upload

    client.force_login(world.instructor)
    url = f"/authoring/{world.course.slug}/import/"
    preview = client.post(url, {"files": [upload(SEED)], "module": "reflection"}).content.decode()
    assert "New modules start as drafts" in preview and "/manage/ml-systems/modules/" in preview
    client.post(url, {"payload": payload_of(client.post(url, {"files": [upload(SEED)], "module": "reflection"}))})
    module = Module.objects.get(course=world.course, slug="reflection")
    assert not module.is_published and module.questions.count() == 3
    client.force_login(world.student)
    assert client.get(f"/courses/{world.course.slug}/reflection/").status_code == 404


def test_a_student_cannot_ask_for_a_regrade_in_a_draft_module(client, world, draft):
    from grading.models import RegradeRequest

    client.force_login(world.student)
    response = Response.objects.get(question=question_of(draft), student=world.student)
    assert client.post(f"/grading/responses/{response.pk}/regrade/", {"reason": "Please."}).status_code == 404
    assert not RegradeRequest.objects.exists()


def test_an_autosave_is_acknowledged_once_committed_even_if_its_status_cannot_be_read(client, world, caplog):
    """The database failing after the save committed (the badge's status query) still answers 200 with the
    new version, so the browser's next save is not refused as stale."""
    from django.db import DatabaseError, connection

    saved = {"done": False}

    def fail_after_the_save(execute, sql, params, many, context):
        if saved["done"] and sql.lstrip().upper().startswith("SELECT"):
            raise DatabaseError("the server went away")
        result = execute(sql, params, many, context)
        if 'INSERT INTO "courses_responserevision"' in sql:
            saved["done"] = True
        return result

    client.force_login(world.student)
    url = f"/questions/{world.question.pk}/save"
    with connection.execute_wrapper(fail_after_the_save):
        reply = client.post(url, json.dumps({"text": "a first draft", "version": world.response.version}),
                            content_type="application/json")
    assert reply.status_code == 200
    body = reply.json()
    assert "status" not in body
    stored = Response.objects.get(pk=world.response.pk)
    assert (stored.version, stored.text) == (body["version"], "a first draft")
    # Logged as one warning line, like every outage, with no traceback.
    [record] = [r for r in caplog.records if "acknowledged without its status" in r.getMessage()]
    assert record.levelname == "WARNING" and record.exc_info is None
    assert "DatabaseError: the server went away" in record.getMessage()
