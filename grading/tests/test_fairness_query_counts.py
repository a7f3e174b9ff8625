"""The double-marking, moderation and calibration pages run a fixed number of SQL queries, whatever the class size."""

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from courses.models import Enrollment, Response, ResponseStatus, Role
from courses.tests.factories import enroll, make_user
from grading.models import CalibrationAttempt, CalibrationExemplar, DoubleMarkingPolicy, Grade, SecondMark
from grading.tests.helpers import band

User = get_user_model()
LABELS = ["EXCELLENT", "GOOD", "SATISFACTORY", "NEEDS IMPROVEMENT"]
SCORES = {"EXCELLENT": 9, "GOOD": 7, "SATISFACTORY": 5, "NEEDS IMPROVEMENT": 3}


@pytest.fixture
def ta2(world):
    user = make_user("ta2")
    enroll(user, world.course, Role.TA)
    return user


def _populate(world, ta2, students: int) -> None:
    """`students` more submitted answers, all in a 100% sample, graded by the instructor; the even ones second-marked
    by the TA (bands drifting, so some are far apart); three exemplars, calibrated on by ta2."""
    users = User.objects.bulk_create(User(username=f"bulk{i:05d}") for i in range(students))
    Enrollment.objects.bulk_create(Enrollment(user=u, course=world.course, role=Role.STUDENT) for u in users)
    now = timezone.now()
    responses = Response.objects.bulk_create(
        Response(student=u, question=world.question, text="some words", submitted_text="some words", version=1,
                 status=ResponseStatus.SUBMITTED, submitted_at=now, submitted_word_count=2, submission_count=1,
                 pseudonym=f"B{i:05d}")
        for i, u in enumerate(users)
    )
    bands = {label: band(world.question, label) for label in LABELS}
    Grade.objects.bulk_create(
        Grade(response=r, band=bands[LABELS[i % 4]], score=SCORES[LABELS[i % 4]], points=10,
              graded_by=world.instructor)
        for i, r in enumerate(responses)
    )
    SecondMark.objects.bulk_create(
        SecondMark(response=r, grader=world.ta, band=bands[LABELS[(i // 2) % 4]], score=SCORES[LABELS[(i // 2) % 4]],
                   points=10)
        for i, r in enumerate(responses) if i % 2 == 0
    )
    DoubleMarkingPolicy.objects.create(question=world.question, share=100, changed_by=world.instructor)
    for r in responses[:3]:
        exemplar = CalibrationExemplar.objects.create(question=world.question, response=r, band=bands["GOOD"],
                                                      score=7, chosen_by=world.instructor)
        CalibrationAttempt.objects.create(exemplar=exemplar, grader=ta2, band=bands["GOOD"], score=8)


SIZES = [10, 1000]


@pytest.mark.parametrize("students", SIZES)
def test_the_double_marking_settings_page(client, world, ta2, students, django_assert_num_queries):
    _populate(world, ta2, students)
    client.force_login(world.instructor)
    # session, user, question via staff enrollment, the share, the sampled answers with grade and second mark,
    # the question's bands (for the band distance)
    with django_assert_num_queries(6):
        page = client.get(f"/grading/questions/{world.question.pk}/double-marking/")
    assert page.status_code == 200 and page.context["page"].paginator.count == students + 2


@pytest.mark.parametrize("students", SIZES)
def test_the_second_markers_queue(client, world, ta2, students, django_assert_num_queries):
    _populate(world, ta2, students)
    client.force_login(ta2)
    # session, user, question via staff enrollment, the share, the sampled answers with grade and second mark
    with django_assert_num_queries(5):
        page = client.get(f"/grading/questions/{world.question.pk}/second-marking/")
    assert page.status_code == 200 and page.context["page"].paginator.count == students // 2


@pytest.mark.parametrize("students", SIZES)
def test_the_second_markers_page(client, world, ta2, students, django_assert_num_queries):
    _populate(world, ta2, students)
    waiting = Response.objects.get(pseudonym="B00001")
    client.force_login(ta2)
    # session, user, answer via staff enrollment with question, course and second mark, the share,
    # the bands, who gave the first grade
    with django_assert_num_queries(6):
        page = client.get(f"/grading/responses/{waiting.pk}/second-mark/")
    assert page.status_code == 200 and 'id="second-mark-form"' in page.content.decode()


@pytest.mark.parametrize("students", SIZES)
def test_the_agreement_page(client, world, ta2, students, django_assert_num_queries):
    _populate(world, ta2, students)
    client.force_login(world.instructor)
    # session, user, course via staff enrollment, questions, the double-marked pairs, the bands
    with django_assert_num_queries(6):
        page = client.get(f"/grading/{world.course.slug}/agreement/")
    assert page.context["report"].overall.result.n == (students + 1) // 2


@pytest.mark.parametrize("students", SIZES)
def test_the_moderation_queue(client, world, ta2, students, django_assert_num_queries):
    _populate(world, ta2, students)
    client.force_login(world.instructor)
    # session, user, course via staff enrollment; waiting: second marks with answers, grades and graders, bands;
    # moderated: second marks (none, so no bands)
    with django_assert_num_queries(6):
        page = client.get(f"/grading/{world.course.slug}/moderation/")
    assert page.context["page"].paginator.count > 0


@pytest.mark.parametrize("students", SIZES)
def test_the_moderation_page(client, world, ta2, students, django_assert_num_queries):
    _populate(world, ta2, students)
    far = Response.objects.get(pseudonym="B00006")  # graded SATISFACTORY (6 % 4 = 2), second-marked NEEDS IMPROVEMENT
    client.force_login(world.instructor)
    # session, user, second mark via staff enrollment with answer, question, course, grade, graders; bands for the
    # distance, bands for the form, the release
    with django_assert_num_queries(7):
        page = client.get(f"/grading/responses/{far.pk}/moderate/")
    assert page.status_code == 200


@pytest.mark.parametrize("students", SIZES)
def test_the_exemplars_page(client, world, ta2, students, django_assert_num_queries):
    _populate(world, ta2, students)
    client.force_login(world.instructor)
    # session, user, question via staff enrollment, exemplars with answers and bands, their attempts,
    # paginator count, one page of answers, the bands
    with django_assert_num_queries(8):
        page = client.get(f"/grading/questions/{world.question.pk}/exemplars/")
    assert len(page.context["exemplars"]) == 3


@pytest.mark.parametrize("students", SIZES)
def test_the_calibration_round_and_exemplar_pages(client, world, ta2, students, django_assert_num_queries):
    _populate(world, ta2, students)
    client.force_login(ta2)
    # session, user, question via staff enrollment, exemplars, the grader's attempts
    with django_assert_num_queries(5):
        page = client.get(f"/grading/questions/{world.question.pk}/calibration/")
    assert page.context["round"].done
    exemplar = CalibrationExemplar.objects.order_by("id").first()
    # session, user, exemplar via staff enrollment with question, course, answer and band; exemplars,
    # the grader's attempts, the bands
    with django_assert_num_queries(6):
        client.get(f"/grading/exemplars/{exemplar.pk}/")


@pytest.mark.parametrize("students", SIZES)
def test_the_queue_with_double_marking_on(client, world, ta2, students, django_assert_num_queries):
    _populate(world, ta2, students)
    client.force_login(ta2)
    # session, user, question via staff enrollment, exemplars left for the TA, whether they have answers assigned,
    # paginator count, one page of answers, the share, which of the page's sampled answers have a second mark,
    # the next ungraded one
    with django_assert_num_queries(10):
        page = client.get(f"/grading/questions/{world.question.pk}/")
    assert page.status_code == 200
