"""The Content-Security-Policy (no inline code, nothing from elsewhere) breaks no page, in Chromium."""


import pytest

from courses.models import Question, Response

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "reflect-demo"


def _pages_by_user() -> dict[str, list[str]]:
    questions = list(Question.objects.filter(module__course__slug="tinytorch", module__slug="activations"))
    answered = Response.objects.filter(student__username="student2", status="submitted").first()
    graded = Response.objects.filter(question=questions[0], status="submitted").first()
    return {
        "student2": [
            "/", "/courses/tinytorch/", "/courses/tinytorch/activations/",
            *[f"/questions/{q.pk}/" for q in questions],
            f"/responses/{answered.pk}/",
            "/activations/", "/activations/cost/", "/activations/stability/", "/activations/precision/",
        ],
        "ta1": [
            "/grading/tinytorch/", f"/grading/questions/{questions[0].pk}/", f"/grading/responses/{graded.pk}/",
            "/grading/tinytorch/gradebook/", "/grading/tinytorch/analytics/",
            f"/grading/questions/{questions[2].pk}/second-marking/",
            f"/grading/questions/{questions[1].pk}/calibration/",
        ],
        "instructor": ["/authoring/tinytorch/import/", "/grading/tinytorch/", "/grading/tinytorch/passback/",
                       f"/grading/questions/{questions[2].pk}/double-marking/", "/grading/tinytorch/agreement/",
                       "/grading/tinytorch/moderation/", f"/grading/questions/{questions[1].pk}/exemplars/"],
        "admin": ["/admin/", f"/admin/courses/question/{questions[0].pk}/change/", "/admin/courses/course/",
                  "/lti/setup/", "/admin/courses/ltiplatform/add/"],
    }


def test_no_page_of_any_role_breaks_the_content_security_policy(browser, live_server, login, demo):
    for username, paths in _pages_by_user().items():
        context = browser.new_context()
        page = context.new_page()
        violations: list[str] = []
        page.on("console", lambda message, into=violations: into.append(message.text)
                if "Content Security Policy" in message.text else None)
        page.on("pageerror", lambda error, into=violations: into.append(str(error)))
        login(page, demo[username], PASSWORD)
        for path in paths:
            response = page.goto(f"{live_server.url}{path}")
            assert response.status == 200, f"{username} {path}: {response.status}"
            assert "script-src 'self'" in response.headers["content-security-policy"]
            page.wait_for_load_state("networkidle")
        context.close()
        assert violations == [], f"{username}: {violations}"


def test_the_policy_stops_an_inline_script_that_got_into_a_page(page, live_server, login, demo):
    """If markup ever slipped past the sanitiser, the browser still would not run it."""
    login(page, demo["student1"], PASSWORD)
    refused: list[str] = []
    page.on("console", lambda message: refused.append(message.text)
            if "Content Security Policy" in message.text else None)

    def inject(route):
        served = route.fetch()  # the real page with the site's real headers
        body = served.text().replace("</body>", "<script>document.body.dataset.ran = 'yes'</script></body>")
        route.fulfill(response=served, body=body)

    page.route(f"{live_server.url}/", inject)
    response = page.goto(f"{live_server.url}/")
    policy = response.headers["content-security-policy"]
    assert "'unsafe-inline'" not in policy and "'unsafe-eval'" not in policy
    assert "img-src 'self' data:" in policy and "frame-ancestors 'none'" in policy
    assert page.evaluate("document.body.dataset.ran") is None
    assert any("inline script" in text for text in refused), refused
