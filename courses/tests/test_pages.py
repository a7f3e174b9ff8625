"""The student's pages: what they show, what they hide, and how many queries they cost."""

import json
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from courses.models import Question, Response, ResponseRevision
from courses.tests.factories import enroll, make_module, make_question, make_response, make_user, words

pytestmark = pytest.mark.django_db


def test_the_dashboard_lists_only_my_courses(client, world):
    client.force_login(world.student)
    page = client.get("/").content.decode()
    assert world.course.title in page
    assert world.other_course.title not in page


def test_the_dashboard_lists_what_is_due_next_and_not_what_is_done(client, world):
    from datetime import timedelta

    from django.utils import timezone

    soon, later = timezone.now() + timedelta(days=2), timezone.now() + timedelta(days=9)
    drafted = make_question(world.module, 2, title="Drafted one", due_at=soon)
    untouched = make_question(world.module, 3, title="Untouched one", due_at=later)
    make_question(world.module, 4, title="Closed one", due_at=timezone.now() - timedelta(days=1))
    make_question(world.module, 5, title="Not open yet", opens_at=soon, due_at=later)
    submitted = make_question(world.module, 6, title="Submitted one", due_at=soon)
    elsewhere = make_question(make_module(world.other_course), 1, title="Other course", due_at=soon)
    Response.objects.create(student=world.student, question=drafted, text="started", version=1)
    make_response(world.student, submitted)
    make_response(world.other_student, untouched)
    client.force_login(world.student)
    page = client.get("/").content.decode()
    section = page[page.index('id="due-soon"'):]
    assert section.index("Drafted one") < section.index("Untouched one")
    for hidden in ("Closed one", "Not open yet", "Submitted one", elsewhere.title):
        assert hidden not in section
    assert 'badge draft">draft' in section and ">not started<" in section


def test_staff_dashboards_have_no_due_list(client, world):
    from datetime import timedelta

    from django.utils import timezone

    make_question(world.module, 2, due_at=timezone.now() + timedelta(days=2))
    client.force_login(world.ta)
    assert 'id="due-soon"' not in client.get("/").content.decode()


def test_the_module_page_shows_my_status_per_question(client, world):
    second = make_question(world.module, 2, title="Numerical stability")
    third = make_question(world.module, 3, title="Hardware")
    Response.objects.create(student=world.student, question=second, text="started", version=1)
    client.force_login(world.student)
    page = client.get(reverse("courses:module", args=[world.course.slug, world.module.slug])).content.decode()
    assert 'data-status="submitted"' in page
    assert 'data-status="draft"' in page
    assert 'data-status="not started"' in page
    assert third.title in page


def test_the_question_page_renders_markdown_and_hides_the_mark_scheme(client, world):
    client.force_login(world.student)
    page = client.get(reverse("courses:question", args=[world.question.pk])).content.decode()
    assert "<code>np.maximum(0, x)</code>" in page
    assert "SECRET-MARK-SCHEME" not in page
    assert "Deep, specific, technically accurate." not in page  # band criteria are staff-only
    assert 'id="word-counter"' in page


def test_staff_see_the_mark_scheme_and_bands_on_the_question_page(client, world):
    client.force_login(world.ta)
    page = client.get(reverse("courses:question", args=[world.question.pk])).content.decode()
    assert "SECRET-MARK-SCHEME" in page
    assert "EXCELLENT (9–10)" in page
    assert 'id="answer-form"' not in page


def test_another_students_response_is_a_404(client, world):
    client.force_login(world.student)
    assert client.get(reverse("courses:response", args=[world.other_response.pk])).status_code == 404


def test_a_script_in_an_answer_is_shown_as_text(client, world):
    payload = '<script>alert("xss")</script><img src=x onerror=alert(1)>'
    text = payload + " " + words(200)
    response = world.response
    Response.objects.filter(pk=response.pk).update(text=text, submitted_text=text)
    client.force_login(world.student)
    for url in (reverse("courses:response", args=[response.pk]), reverse("courses:question", args=[world.question.pk])):
        page = client.get(url).content.decode()
        assert "<script>alert" not in page
        assert "<img src=x" not in page
        assert "&lt;script&gt;alert(&quot;xss&quot;)&lt;/script&gt;" in page


def test_markdown_in_a_question_is_sanitised(client, world):
    world.question.prompt = "Hi <script>alert(1)</script> [x](javascript:alert(1)) <img src=x onerror=alert(1)>"
    world.question.save()
    client.force_login(world.student)
    page = client.get(reverse("courses:question", args=[world.question.pk])).content.decode()
    assert "<script>alert(1)" not in page and "javascript:" not in page and "onerror" not in page


class TestAutosaveEndpoint:
    def _post(self, client, question, body, content_type="application/json"):
        return client.post(reverse("courses:answer_save", args=[question.pk]), body, content_type=content_type)

    def test_it_saves_a_draft_and_returns_the_new_version(self, client, world):
        client.force_login(world.student)
        answer = self._post(client, world.question, json.dumps({"text": "more thoughts", "version": 1}))
        assert answer.status_code == 200
        assert answer.json()["version"] == 2 and answer.json()["words"] == 2
        world.response.refresh_from_db()
        assert world.response.text == "more thoughts"
        assert world.response.submitted_text == words(200)  # the submission is untouched

    def test_a_stale_version_gets_a_conflict_with_the_current_text(self, client, world):
        client.force_login(world.student)
        self._post(client, world.question, json.dumps({"text": "tab A", "version": 1}))
        answer = self._post(client, world.question, json.dumps({"text": "tab B", "version": 1}))
        assert answer.status_code == 409
        assert answer.json()["current_text"] == "tab A" and answer.json()["current_version"] == 2
        assert set(ResponseRevision.objects.values_list("text", flat=True)) == {"tab A", "tab B"}

    @pytest.mark.parametrize("body, message", [
        ("not json", "not valid JSON"),
        ("[1, 2]", "must be a JSON object"),
        (json.dumps({"version": 1}), "no text"),
        (json.dumps({"text": "x"}), "no valid version"),
        (json.dumps({"text": "x", "version": "one"}), "no valid version"),
        (json.dumps({"text": 5, "version": 1}), "no text"),
    ])
    def test_bad_input_gets_a_clear_message_and_changes_nothing(self, client, world, body, message):
        client.force_login(world.student)
        answer = self._post(client, world.question, body)
        assert answer.status_code == 400
        assert message in answer.json()["error"]
        world.response.refresh_from_db()
        assert world.response.version == 1

    def test_an_answer_over_the_size_cap_is_refused_with_413(self, client, world, settings):
        client.force_login(world.student)
        text = "word " * (settings.RESPONSE_MAX_BYTES // 5 + 10)
        answer = self._post(client, world.question, json.dumps({"text": text, "version": 1}))
        assert answer.status_code == 413
        assert "limit" in answer.json()["error"] or "too large" in answer.json()["error"]
        world.response.refresh_from_db()
        assert world.response.version == 1

    def test_a_huge_body_is_refused_before_it_is_read(self, client, world):
        client.force_login(world.student)
        answer = self._post(client, world.question, json.dumps({"text": "x" * 3_000_000, "version": 1}))
        assert answer.status_code in (400, 413)
        world.response.refresh_from_db()
        assert world.response.version == 1

    def test_staff_cannot_answer(self, client, world):
        client.force_login(world.ta)
        assert self._post(client, world.question, json.dumps({"text": "x", "version": 0})).status_code == 404


def test_a_too_short_submission_redirects_back_and_keeps_the_text_in_the_box(client, world):
    """Post/redirect/get: the refusal leaves the browser on the question's URL, so a reload doesn't post again."""
    client.force_login(world.student)
    answer = client.post(reverse("courses:answer_submit", args=[world.question.pk]),
                         {"text": "Too short to count.", "version": 1})
    assert answer.status_code == 302 and answer["Location"] == reverse("courses:question", args=[world.question.pk])
    page = client.get(answer["Location"]).content.decode()
    assert "has 4 words; it needs 150–300" in page
    assert ">Too short to count.</textarea>" in page
    world.response.refresh_from_db()
    assert world.response.text == "Too short to count."
    assert world.response.submitted_text == words(200)


def test_a_valid_submission_redirects_to_the_response(client, world):
    client.force_login(world.other_student)
    question = make_question(world.module, 2)
    answer = client.post(reverse("courses:answer_submit", args=[question.pk]), {"text": words(180), "version": 0})
    response = Response.objects.get(student=world.other_student, question=question)
    assert answer.status_code == 302 and answer["Location"] == reverse("courses:response", args=[response.pk])
    assert response.submitted_word_count == 180


class TestQueryCounts:
    """Pages cost a fixed number of queries, whatever the number of modules, questions or students."""

    def _grow(self, world, modules: int, questions: int, students: int):
        for m in range(modules):
            module = make_module(world.course, m + 2)
            for q in range(questions):
                make_question(module, q + 1)
        for q in range(questions):
            make_question(world.module, q + 2)
        for _ in range(students):
            student = make_user()
            enroll(student, world.course)
            for question in world.module.questions.all():
                make_response(student, question)

    @pytest.mark.parametrize("size", [(1, 1, 1), (5, 4, 6)])
    def test_dashboard(self, client, world, django_assert_num_queries, size):
        self._grow(world, *size)
        Question.objects.update(due_at=timezone.now() + timedelta(days=2))  # so "Due next" lists them
        client.force_login(world.student)
        # session, user, enrollments with courses and module counts, questions due next, my extensions
        # (courses.deadlines), recent notices
        with django_assert_num_queries(6):
            assert client.get("/").status_code == 200

    @pytest.mark.parametrize("size", [(1, 1, 1), (5, 4, 6)])
    def test_course_page(self, client, world, django_assert_num_queries, size):
        self._grow(world, *size)
        client.force_login(world.student)
        # session, user, enrollment+course, modules with counts, their questions and my extensions (my own
        # next deadlines: courses.deadlines)
        with django_assert_num_queries(6):
            assert client.get(reverse("courses:course", args=[world.course.slug])).status_code == 200

    @pytest.mark.parametrize("size", [(1, 1, 1), (5, 4, 6)])
    def test_module_page(self, client, world, django_assert_num_queries, size):
        self._grow(world, *size)
        client.force_login(world.student)
        # session, user, enrollment+course, module, questions, my responses, my released grades, my extensions
        with django_assert_num_queries(8):
            assert client.get(reverse("courses:module", args=[world.course.slug, world.module.slug])).status_code == 200

    @pytest.mark.parametrize("size", [(1, 1, 1), (5, 4, 6)])
    def test_question_page(self, client, world, django_assert_num_queries, size):
        self._grow(world, *size)
        client.force_login(world.student)
        # session, user, question+module+course, enrollment, my response, my released grade, my extensions
        with django_assert_num_queries(7):
            assert client.get(reverse("courses:question", args=[world.question.pk])).status_code == 200
