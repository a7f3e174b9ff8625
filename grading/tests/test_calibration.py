"""Calibration: 3–5 exemplars per question, the queue closed to a TA until they are graded, errors shown after."""

import pytest

from courses.models import Role
from courses.tests.factories import enroll, make_module, make_question, make_response, make_user
from grading.calibration import calibration_pending
from grading.models import CalibrationAttempt, CalibrationExemplar, Grade
from grading.tests.helpers import band, grade

pytestmark = pytest.mark.django_db


def _answers(world, n: int) -> list:
    """`n` more submitted answers to the world's question, from new students of the course."""
    answers = []
    for _ in range(n):
        student = make_user()
        enroll(student, world.course)
        answers.append(make_response(student, world.question))
    return answers


def _add(client, world, response, label="GOOD", score=7):
    client.force_login(world.instructor)
    return client.post(f"/grading/questions/{world.question.pk}/exemplars/add/",
                       {"response": response.pk, "band": band(world.question, label).pk, "score": score}, follow=True)


@pytest.fixture
def calibrated(world, client):
    """Three exemplars on the world's question: references 9 EXCELLENT, 7 GOOD, 5 SATISFACTORY."""
    answers = _answers(world, 3)
    for response, (label, score) in zip(answers, [("EXCELLENT", 9), ("GOOD", 7), ("SATISFACTORY", 5)], strict=True):
        _add(client, world, response, label, score)
    client.logout()
    return world


def _calibrate(client, world, user, scores=(("EXCELLENT", 10), ("GOOD", 8), ("NEEDS IMPROVEMENT", 2))):
    client.force_login(user)
    for exemplar, (label, score) in zip(CalibrationExemplar.objects.order_by("created_at", "id"), scores, strict=True):
        client.post(f"/grading/exemplars/{exemplar.pk}/", {"band": band(world.question, label).pk, "score": score})


def test_an_instructor_picks_exemplars_with_reference_grades(client, calibrated):
    assert [(e.score, e.band.label) for e in CalibrationExemplar.objects.order_by("id")] == [
        (9, "EXCELLENT"), (7, "GOOD"), (5, "SATISFACTORY")]


def test_a_question_has_at_most_five_exemplars(client, calibrated):
    extra = _answers(calibrated, 3)
    _add(client, calibrated, extra[0])
    _add(client, calibrated, extra[1])
    reply = _add(client, calibrated, extra[2])
    assert "at most 5 exemplars" in reply.content.decode()
    assert CalibrationExemplar.objects.count() == 5


def test_a_reference_outside_its_band_or_another_questions_answer_is_refused(client, world):
    reply = _add(client, world, world.response, "GOOD", 10)
    assert "outside GOOD" in reply.content.decode()
    stranger = make_response(make_user("elsewhere"), make_question(make_module(world.other_course, 1)))
    reply = _add(client, world, stranger)
    assert "not a submitted answer to this question" in reply.content.decode()
    assert not CalibrationExemplar.objects.exists()


def test_fewer_than_three_exemplars_leave_the_queue_open(client, world):
    for response in _answers(world, 2):
        _add(client, world, response)
    client.force_login(world.ta)
    assert client.get(f"/grading/questions/{world.question.pk}/").status_code == 200
    assert calibration_pending(world.question, world.ta) == 0


def test_the_queue_and_grading_page_stay_closed_until_the_ta_has_calibrated(client, calibrated):
    client.force_login(calibrated.ta)
    calibration_url = f"/grading/questions/{calibrated.question.pk}/calibration/"
    queue = client.get(f"/grading/questions/{calibrated.question.pk}/")
    assert queue.status_code == 302 and queue["Location"] == calibration_url
    page = client.get(f"/grading/responses/{calibrated.response.pk}/")
    assert page.status_code == 302 and page["Location"] == calibration_url
    saved = client.post(f"/grading/responses/{calibrated.response.pk}/save/",
                        {"band": band(calibrated.question, "GOOD").pk, "score": 7, "version": 0})
    assert saved.status_code == 302 and not Grade.objects.exists()
    round_page = client.get(calibration_url).content.decode()
    assert "grade its 3 calibration exemplars" in round_page
    _calibrate(client, calibrated, calibrated.ta)
    assert client.get(f"/grading/questions/{calibrated.question.pk}/").status_code == 200
    assert client.get(f"/grading/responses/{calibrated.response.pk}/").status_code == 200


def test_instructors_are_not_gated(client, calibrated):
    client.force_login(calibrated.instructor)
    assert client.get(f"/grading/questions/{calibrated.question.pk}/").status_code == 200


def test_after_the_round_the_ta_sees_reference_against_theirs_and_the_error(client, calibrated):
    client.force_login(calibrated.ta)
    first = CalibrationExemplar.objects.order_by("id").first()
    page = client.get(f"/grading/exemplars/{first.pk}/").content.decode()
    assert "Exemplar 1 of 3" in page
    assert first.response.pseudonym not in page  # shown anonymised
    assert "EXCELLENT</strong>" in page and "9 EXCELLENT" not in page  # no reference before the round is done
    _calibrate(client, calibrated, calibrated.ta)
    results = client.get(f"/grading/questions/{calibrated.question.pk}/calibration/")
    round_ = results.context["round"]
    assert [item.error for item in round_.items] == [1, 1, 3]
    assert round_.mean_error == pytest.approx(5 / 3)
    assert 'id="mean-error">1.67' in results.content.decode()


def test_calibration_grades_never_touch_the_students_grade(client, calibrated):
    exemplar = CalibrationExemplar.objects.order_by("id").first()
    grade(exemplar.response, calibrated.instructor, score=6, label="SATISFACTORY", feedback="Real grade.")
    _calibrate(client, calibrated, calibrated.ta)
    real = Grade.objects.get(response=exemplar.response)
    assert (real.score, real.version, real.feedback) == (6, 1, "Real grade.")
    assert CalibrationAttempt.objects.filter(grader=calibrated.ta).count() == 3


def test_an_exemplar_is_graded_once_per_grader(client, calibrated):
    exemplar = CalibrationExemplar.objects.order_by("id").first()
    client.force_login(calibrated.ta)
    client.post(f"/grading/exemplars/{exemplar.pk}/", {"band": band(calibrated.question, "GOOD").pk, "score": 8})
    again = client.post(f"/grading/exemplars/{exemplar.pk}/",
                        {"band": band(calibrated.question, "EXCELLENT").pk, "score": 10})
    assert again.status_code == 400
    assert CalibrationAttempt.objects.get(exemplar=exemplar, grader=calibrated.ta).score == 8


def test_an_exemplar_someone_calibrated_on_is_kept(client, calibrated):
    _calibrate(client, calibrated, calibrated.ta)
    exemplar = CalibrationExemplar.objects.order_by("id").first()
    client.force_login(calibrated.instructor)
    reply = client.post(f"/grading/exemplars/{exemplar.pk}/remove/", follow=True)
    assert "stays" in reply.content.decode() and CalibrationExemplar.objects.count() == 3


def test_an_unused_exemplar_can_be_removed(client, calibrated):
    exemplar = CalibrationExemplar.objects.order_by("id").first()
    client.force_login(calibrated.instructor)
    client.post(f"/grading/exemplars/{exemplar.pk}/remove/")
    assert CalibrationExemplar.objects.count() == 2


def test_the_analytics_page_shows_each_graders_calibration_error(client, calibrated):
    ta2 = make_user("ta2")
    enroll(ta2, calibrated.course, Role.TA)
    _calibrate(client, calibrated, calibrated.ta)  # errors 1, 1, 3
    _calibrate(client, calibrated, ta2, scores=(("EXCELLENT", 9), ("GOOD", 7), ("SATISFACTORY", 6)))  # 0, 0, 1
    grade(calibrated.response, calibrated.ta)
    client.force_login(calibrated.instructor)
    report = client.get(f"/grading/{calibrated.course.slug}/analytics/").context["report"]
    errors = {g.username: (g.calibrated, g.calibration_error) for g in report.graders}
    assert errors["ta"] == (3, pytest.approx(5 / 3))
    assert errors["ta2"] == (3, pytest.approx(1 / 3))  # calibrated, graded nothing yet: still listed


def test_the_demo_seeds_a_calibration_round_and_a_double_marked_question(settings):
    import io

    from django.core.management import call_command

    from grading.models import DoubleMarkingPolicy

    settings.DEBUG = True
    call_command("load_demo", stdout=io.StringIO())
    call_command("load_demo", stdout=io.StringIO())  # twice: nothing doubles
    exemplars = CalibrationExemplar.objects.filter(question__module__slug="activations", question__number=2)
    assert sorted(e.score for e in exemplars) == [6, 8, 10]
    policy = DoubleMarkingPolicy.objects.get()
    assert (policy.question.module.slug, policy.question.number, policy.share) == ("activations", 3, 100)
    assert policy.question.responses.filter(status="submitted").count() == 3  # student3 near-copies student2
