"""Near-duplicate pairs stored per question: Check now, re-runs, earlier terms, the pages and their review."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from courses.copy import course_copy
from courses.models import Enrollment, Response, ResponseStatus, Role
from courses.tests.factories import make_response, make_user
from grading.models import SimilarityCheck, SimilarPair
from grading.similarity import similar_answers_check
from grading.tasks import similar_answers_refresh_all
from grading.tests.test_similarity import edited, essay

pytestmark = pytest.mark.django_db
User = get_user_model()


@pytest.fixture
def copied(world):
    """world's two answers are unrelated; a third student hands in a light edit of the student's answer."""
    Response.objects.filter(pk=world.response.pk).update(submitted_text=essay(1), text=essay(1))
    Response.objects.filter(pk=world.other_response.pk).update(submitted_text=essay(2), text=essay(2))
    copier = make_user("copier")
    Enrollment.objects.create(user=copier, course=world.course, role=Role.STUDENT)
    world.copy = make_response(copier, world.question, edited(essay(1), 20))
    return world


def _pairs(question) -> set[tuple[int, int]]:
    return set(SimilarPair.objects.filter(question=question).values_list("response_a_id", "response_b_id"))


def test_check_now_flags_the_copy_and_says_what_it_compared(client, copied):
    w = copied
    client.force_login(w.ta)
    reply = client.post(f"/grading/questions/{w.question.pk}/similar/check/", {"threshold": "0.5"}, follow=True)
    assert "Compared 3 answers: 1 pair to read." in reply.content.decode()
    assert _pairs(w.question) == {(w.response.pk, w.copy.pk)}
    check = SimilarityCheck.objects.get(question=w.question)
    assert (check.answers, check.earlier_answers, check.pairs, check.threshold, check.checked_by) == (
        3, 0, 1, 0.5, w.ta)


@pytest.mark.parametrize("threshold", ["0.1", "1.5", "abc", ""])
def test_a_threshold_out_of_range_is_refused_and_nothing_is_checked(client, copied, threshold):
    client.force_login(copied.instructor)
    reply = client.post(f"/grading/questions/{copied.question.pk}/similar/check/", {"threshold": threshold},
                        follow=True)
    assert "Choose a threshold between 0.3 and 0.95" in reply.content.decode()
    assert not SimilarityCheck.objects.exists() and not SimilarPair.objects.exists()


def test_a_lower_threshold_flags_more(copied):
    w = copied
    Response.objects.filter(pk=w.other_response.pk).update(submitted_text=edited(essay(1), 12))
    similar_answers_check(question=w.question, threshold=0.5)
    assert len(_pairs(w.question)) == 1
    similar_answers_check(question=w.question, threshold=0.3)
    assert len(_pairs(w.question)) == 3


def test_checking_again_changes_nothing_and_keeps_the_review(copied):
    w = copied
    similar_answers_check(question=w.question)
    pair = SimilarPair.objects.get()
    SimilarPair.objects.filter(pk=pair.pk).update(reviewed=True, note="Same study group; not copied.",
                                                  reviewed_by=w.ta)
    later = timezone.now() + timedelta(hours=1)
    similar_answers_check(question=w.question, now=later)
    again = SimilarPair.objects.get()
    assert (again.pk, again.similarity, again.reviewed, again.note, again.reviewed_by) == (
        pair.pk, pair.similarity, True, "Same study group; not copied.", w.ta)
    assert again.computed_at == later and SimilarityCheck.objects.get().checked_at == later


def test_a_pair_that_no_longer_matches_goes_unless_someone_reviewed_it(copied):
    w = copied
    third = make_response(make_user("third"), w.question, edited(essay(2), 25))
    similar_answers_check(question=w.question)
    assert _pairs(w.question) == {(w.response.pk, w.copy.pk), (w.other_response.pk, third.pk)}
    SimilarPair.objects.filter(response_a=w.response).update(reviewed=True, note="Talked to both.")
    # Both copiers resubmit answers of their own.
    Response.objects.filter(pk__in=[w.copy.pk, third.pk]).update(submitted_text=essay(3))
    Response.objects.filter(pk=third.pk).update(submitted_text=essay(4))
    check = similar_answers_check(question=w.question)
    kept = SimilarPair.objects.get()
    assert (kept.response_a_id, kept.response_b_id, kept.note) == (w.response.pk, w.copy.pk, "Talked to both.")
    assert kept.similarity < 0.05 and check.pairs == 1


def test_drafts_are_never_compared(copied):
    w = copied
    Response.objects.filter(pk=w.copy.pk).update(status=ResponseStatus.DRAFT)
    assert similar_answers_check(question=w.question).answers == 2
    assert not SimilarPair.objects.exists()


def test_after_a_course_copy_answers_are_compared_with_the_earlier_terms(copied):
    w = copied
    term2 = course_copy(source=w.course, slug="ml-2027", title="ML 2027", actor=w.instructor, shift=None,
                       clear_deadlines=True)
    term3 = course_copy(source=term2, slug="ml-2028", title="ML 2028", actor=w.instructor, shift=None,
                        clear_deadlines=True)
    question = term3.modules.get().questions.get(grade_id=w.question.grade_id)
    unrelated_question = term3.modules.get().questions.create(number=2, grade_id="other", title="Other", prompt="?")
    late = make_response(make_user("late"), question, edited(essay(2), 30))
    make_response(make_user("honest"), question, essay(5))
    make_response(make_user("elsewhere"), unrelated_question, essay(1))
    check = similar_answers_check(question=question)
    assert (check.answers, check.earlier_answers) == (2, 3)
    assert _pairs(question) == {(late.pk, w.other_response.pk)}
    # The earlier term's own pair is its own question's business.
    assert not SimilarPair.objects.filter(question=w.question).exists()


def test_staff_of_the_new_term_only_read_the_earlier_answer_of_a_pair(client, copied):
    w = copied
    term2 = course_copy(source=w.course, slug="ml-2027", title="ML 2027", actor=w.instructor, shift=None,
                       clear_deadlines=True)
    question = term2.modules.get().questions.get()
    late = make_response(make_user("late"), question, edited(essay(1), 40))
    similar_answers_check(question=question)
    new_ta = make_user("new_ta")
    Enrollment.objects.create(user=new_ta, course=term2, role=Role.TA)
    client.force_login(new_ta)
    listing = client.get(f"/grading/questions/{question.pk}/similar/").content.decode()
    assert listing.count("earlier term: ML Systems") == 2  # the student's answer and the copier's
    pair = SimilarPair.objects.get(question=question, response_b=w.response)
    assert pair.response_a_id == late.pk
    page = client.get(f"/grading/similar-pairs/{pair.pk}/").content.decode()
    assert "earlier term: ML Systems" in page and " ".join(essay(1).split()[1:9]) in page
    assert f"/grading/responses/{w.response.pk}/" not in page  # no link into a course they don't teach
    # Last term's TA is not staff of the new term: the pair is a 404 to them.
    client.force_login(w.ta)
    assert client.get(f"/grading/similar-pairs/{pair.pk}/").status_code == 404


def test_a_copy_loop_does_not_hang(copied):
    w = copied
    w.course.copied_from = w.course
    w.course.save()
    assert similar_answers_check(question=w.question).earlier_answers == 0


def test_the_list_is_blind_and_says_it_is_no_evidence(client, copied):
    w = copied
    similar_answers_check(question=w.question)
    client.force_login(w.ta)
    html = client.get(f"/grading/questions/{w.question.pk}/similar/").content.decode()
    assert w.response.display_pseudonym in html and w.copy.display_pseudonym in html
    assert "copier" not in html and "student" not in html.split("<main", 1)[1].lower().replace("students", "")
    assert "not evidence" in html and "Nothing here changes a grade" in html


def test_the_pair_page_marks_shared_passages_and_escapes_the_answers(client, world):
    text = "<script>alert(1)</script> " + essay(6) + ' <img src=x onerror="boom"> the end.'
    Response.objects.filter(pk__in=[world.response.pk, world.other_response.pk]).update(submitted_text=text)
    similar_answers_check(question=world.question)
    pair = SimilarPair.objects.get()
    client.force_login(world.instructor)
    html = client.get(f"/grading/similar-pairs/{pair.pk}/").content.decode()
    assert "<script>alert(1)" not in html and "<img src=x" not in html
    # Runs start and end at words, so the brackets around them fall outside the <mark>s, escaped too.
    assert "&lt;<mark>script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=&quot;boom&quot;&gt; the end</mark>." in html
    assert html.count("<mark>") >= 3  # the caution's example, then one run per answer
    assert "100% similar" in html


def test_reviewing_records_who_and_what_and_can_be_undone(client, copied):
    w = copied
    similar_answers_check(question=w.question)
    pair = SimilarPair.objects.get()
    client.force_login(w.instructor)
    url = f"/grading/similar-pairs/{pair.pk}/review/"
    reply = client.post(url, {"reviewed": "on", "note": "Asked both; copied from a forum."})
    assert reply.status_code == 302
    pair.refresh_from_db()
    assert (pair.reviewed, pair.note, pair.reviewed_by) == (True, "Asked both; copied from a forum.", w.instructor)
    client.post(url, {"note": "Reopened."})
    pair.refresh_from_db()
    assert (pair.reviewed, pair.note) == (False, "Reopened.")


def test_a_note_too_long_is_shown_back_and_nothing_is_saved(client, copied):
    w = copied
    similar_answers_check(question=w.question)
    pair = SimilarPair.objects.get()
    client.force_login(w.ta)
    reply = client.post(f"/grading/similar-pairs/{pair.pk}/review/", {"reviewed": "on", "note": "x" * 2001})
    assert reply.status_code == 400
    assert "Keep the note under 2,000 characters" in reply.content.decode()
    pair.refresh_from_db()
    assert (pair.reviewed, pair.note) == (False, "")


def test_a_student_of_the_course_never_reaches_a_pair(client, copied):
    w = copied
    similar_answers_check(question=w.question)
    pair = SimilarPair.objects.get()
    client.force_login(w.student)
    assert client.get(f"/grading/similar-pairs/{pair.pk}/").status_code == 404
    assert client.get(f"/grading/questions/{w.question.pk}/similar/").status_code == 404


def test_the_background_refresh_checks_only_questions_with_new_answers(copied):
    w = copied
    assert similar_answers_refresh_all() == 1
    assert _pairs(w.question) == {(w.response.pk, w.copy.pk)}
    assert similar_answers_refresh_all() == 0
    SimilarityCheck.objects.update(threshold=0.3)  # staff's last choice is kept
    make_response(make_user("newcomer"), w.question, essay(7), at=timezone.now() + timedelta(minutes=5))
    assert similar_answers_refresh_all() == 1
    assert SimilarityCheck.objects.get().threshold == 0.3


def _many_pairs(world, count: int) -> None:
    now = timezone.now()
    for seed, response in enumerate([world.response, world.other_response], start=10_000):
        Response.objects.filter(pk=response.pk).update(submitted_text=essay(seed))
    users = User.objects.bulk_create(User(username=f"pair{i:04d}") for i in range(2 * count))
    Enrollment.objects.bulk_create(Enrollment(user=u, course=world.course, role=Role.STUDENT) for u in users)
    responses = Response.objects.bulk_create(
        Response(student=u, question=world.question, submitted_text=essay(i // 2), status=ResponseStatus.SUBMITTED,
                 submitted_at=now, submitted_word_count=200, submission_count=1, pseudonym=f"P{i:05d}")
        for i, u in enumerate(users)
    )
    similar_answers_check(question=world.question, actor=world.ta)
    assert SimilarPair.objects.count() == count
    SimilarPair.objects.filter(pk__in=list(SimilarPair.objects.values_list("pk", flat=True))[::2]).update(
        reviewed=True, reviewed_by=world.ta)
    assert len(responses) == 2 * count


@pytest.mark.parametrize("pairs", [5, 120])
def test_the_pair_list_runs_the_same_queries_whatever_the_number_of_pairs(
    client, world, pairs, django_assert_num_queries
):
    _many_pairs(world, pairs)
    client.force_login(world.ta)
    # session, user, question via staff enrollment, the last check with who ran it, paginator count,
    # one page of pairs with both answers, the earlier term's course and the reviewer
    with django_assert_num_queries(6):
        page = client.get(f"/grading/questions/{world.question.pk}/similar/")
    assert page.status_code == 200
    assert page.content.decode().count("Compare</a>") == min(pairs, 50)


@pytest.mark.parametrize("pairs", [5, 120])
def test_the_pair_page_runs_the_same_queries_whatever_the_number_of_pairs(
    client, world, pairs, django_assert_num_queries
):
    _many_pairs(world, pairs)
    pair = SimilarPair.objects.filter(reviewed=True).first()
    client.force_login(world.ta)
    # session, user, the pair with its question, course, both answers, the other's question and course,
    # and the reviewer, via staff enrollment
    with django_assert_num_queries(3):
        page = client.get(f"/grading/similar-pairs/{pair.pk}/")
    assert page.status_code == 200


@pytest.mark.django_db(transaction=True)
def test_the_worker_checks_questions_with_new_answers_in_the_background(world, run_worker, settings):
    settings.PERIODIC_TASKS = ["grading.tasks.similar_answers_refresh"]
    copier = make_user("bg_copier")
    Enrollment.objects.create(user=copier, course=world.course, role=Role.STUDENT)
    Response.objects.filter(pk=world.other_response.pk).update(submitted_text=essay(2))
    make_response(copier, world.question, Response.objects.get(pk=world.response.pk).submitted_text)
    run_worker()
    check = SimilarityCheck.objects.get(question=world.question)
    assert (check.answers, check.pairs, check.checked_by) == (3, 1, None)
