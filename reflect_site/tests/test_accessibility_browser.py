"""axe-core finds no serious or critical accessibility violation on any kind of page, as student, TA and instructor.

axe-playwright-python evaluates its bundled axe.min.js through the browser's debugging protocol, which a
page's Content-Security-Policy does not govern: the site's strict policy stays on while axe runs.
"""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe

from courses.models import Module, Question, Response
from grading.double_marking import second_mark_save
from grading.models import CalibrationExemplar, RegradeRequest, SimilarPair
from grading.services import grade_save, grades_release
from grading.similarity import similar_answers_check

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "reflect-demo"
BLOCKING = {"serious", "critical"}


def _graded_and_released(demo) -> Response:
    """A graded, released answer of student2 with a regrade request, so the grade panel shows everything."""
    response = Response.objects.filter(student=demo["student2"], question__module__slug="activations",
                                       status="submitted").order_by("question__number").first()
    band = response.question.bands.get(label="GOOD")
    grade_save(response_id=response.pk, actor=demo["ta1"], band_id=band.pk, score=7, feedback="Quantify it.",
               base_version=0)
    grades_release(questions=[response.question], actor=demo["instructor"], released=True)
    RegradeRequest.objects.create(response=response, reason="Please look at paragraph two.")
    return response


def _fairness(demo) -> dict[str, int]:
    """On the demo's double-marked Q3: one answer waiting for its blind second mark, one two bands apart
    waiting for moderation, and its near-duplicate pair found; the ids of the pages they make."""
    q3 = Question.objects.get(module__course__slug="tinytorch", module__slug="activations", number=3)
    waiting, apart = list(q3.responses.filter(status="submitted").order_by("pseudonym"))[:2]
    top, middle = q3.bands.get(label="EXCELLENT"), q3.bands.get(label="SATISFACTORY")
    for response in (waiting, apart):
        grade_save(response_id=response.pk, actor=demo["instructor"], band_id=top.pk, score=10, feedback="",
                   base_version=0)
    second_mark_save(response_id=apart.pk, actor=demo["ta1"], band_id=middle.pk, score=5, feedback="Thin.")
    similar_answers_check(question=q3, actor=demo["ta1"])
    return {"q3": q3.pk, "waiting": waiting.pk, "apart": apart.pk, "pair": SimilarPair.objects.get().pk,
            "q2": CalibrationExemplar.objects.values_list("question_id", flat=True).first(),
            "exemplar": CalibrationExemplar.objects.order_by("pk").values_list("pk", flat=True).first()}


def _pages(demo) -> dict[str, list[str | tuple[str, int]]]:
    """The pages each person visits; a (path, status) pair is a page answered with another status on purpose."""
    released = _graded_and_released(demo)
    question = released.question
    module = Module.objects.get(course__slug="tinytorch", slug="activations")
    overdue = Question.objects.filter(module__course__slug="tinytorch", module__slug="tensor").first()
    fair = _fairness(demo)
    return {
        "student2": [
            "/", "/courses/tinytorch/", "/courses/tinytorch/activations/", f"/questions/{question.pk}/",
            f"/questions/{overdue.pk}/", f"/responses/{released.pk}/", "/account/notices/",
            "/account/notices/preferences/", "/join/",
            "/activations/", "/activations/cost/", "/activations/stability/", "/activations/precision/",
        ],
        "ta1": [
            "/", "/courses/tinytorch/activations/", f"/questions/{question.pk}/", "/grading/tinytorch/",
            f"/grading/questions/{question.pk}/", f"/grading/responses/{released.pk}/",
            # Closed to TAs while an answer waits for its blind second mark: the page that says so.
            ("/grading/tinytorch/gradebook/", 403), "/grading/tinytorch/analytics/",
            f"/grading/questions/{fair['q2']}/calibration/", f"/grading/exemplars/{fair['exemplar']}/",
            f"/grading/questions/{fair['q3']}/similar/", f"/grading/similar-pairs/{fair['pair']}/",
        ],
        "ta2": [
            f"/grading/questions/{fair['q3']}/second-marking/", f"/grading/responses/{fair['waiting']}/second-mark/",
        ],
        "instructor": [
            "/grading/tinytorch/", f"/grading/questions/{question.pk}/release/confirm/",
            f"/grading/tinytorch/modules/{module.slug}/release/confirm/",
            "/manage/tinytorch/", "/manage/tinytorch/settings/", "/manage/tinytorch/modules/",
            "/manage/tinytorch/modules/new/", f"/manage/tinytorch/modules/{module.slug}/",
            f"/manage/tinytorch/modules/{module.slug}/questions/new/", f"/manage/tinytorch/questions/{question.pk}/",
            "/manage/tinytorch/people/", "/manage/tinytorch/people/import/",
            "/manage/tinytorch/sections/", "/manage/tinytorch/copy/", "/manage/tinytorch/extensions/",
            "/manage/tinytorch/grading-team/", f"/manage/tinytorch/grading-team/questions/{question.pk}/",
            "/manage/tinytorch/notices/", "/authoring/tinytorch/import/",
            "/grading/tinytorch/gradebook/", f"/grading/questions/{fair['q3']}/double-marking/",
            "/grading/tinytorch/agreement/", "/grading/tinytorch/moderation/",
            f"/grading/responses/{fair['apart']}/moderate/", f"/grading/questions/{fair['q2']}/exemplars/",
            "/grading/tinytorch/passback/",
        ],
        "admin": ["/lti/setup/"],
    }


def _blocking(page) -> list[str]:
    results = Axe().run(page)
    found = []
    for violation in results.response["violations"]:
        if violation["impact"] in BLOCKING:
            targets = [" ".join(map(str, node["target"])) for node in violation["nodes"][:5]]
            found.append(f'{violation["id"]} ({violation["impact"]}): {violation["help"]} at {targets}')
    return found


def test_no_page_of_any_role_has_a_serious_or_critical_violation(browser, live_server, login, demo):
    problems: list[str] = []
    for username, paths in _pages(demo).items():
        context = browser.new_context()
        page = context.new_page()
        login(page, demo[username], PASSWORD)
        for visit in paths:
            path, status = visit if isinstance(visit, tuple) else (visit, 200)
            response = page.goto(f"{live_server.url}{path}")
            assert response.status == status, f"{username} {path}: {response.status}"
            assert "script-src 'self'" in response.headers["content-security-policy"]
            page.wait_for_load_state("networkidle")
            problems += [f"{username} {path}: {found}" for found in _blocking(page)]
        context.close()
    assert problems == [], "\n".join(problems)


def test_the_student_pages_on_a_phone_have_no_serious_or_critical_violation(browser, live_server, login, demo):
    """The phone layout (stacked tables, the question text in its own scrolling box) is checked too."""
    paths = _pages(demo)["student2"][:6]
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    problems: list[str] = []
    try:
        login(page, demo["student2"], PASSWORD)
        for path in paths:
            page.goto(f"{live_server.url}{path}")
            page.wait_for_load_state("networkidle")
            problems += [f"{path}: {found}" for found in _blocking(page)]
    finally:
        context.close()
    assert problems == [], "\n".join(problems)


def test_the_login_page_has_no_serious_or_critical_violation(page, live_server):
    page.goto(f"{live_server.url}/accounts/login/")
    assert _blocking(page) == []


def test_axe_does_find_a_violation_when_one_is_there(page, live_server, login, demo):
    """The check can fail: an image without a text alternative slipped into a page is reported."""
    login(page, demo["student2"], PASSWORD)

    def inject(route):
        served = route.fetch()
        route.fulfill(response=served, body=served.text().replace("</main>", '<img src="/static/x.png"></main>'))

    page.route(f"{live_server.url}/", inject)
    page.goto(f"{live_server.url}/")
    assert any(problem.startswith("image-alt") for problem in _blocking(page))
