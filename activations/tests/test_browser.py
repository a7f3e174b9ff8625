"""What only a browser shows: the plots drawn from the API's numbers, and the stability table."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _painted_pixels(page, selector: str) -> int:
    """How many pixels of the chart's canvas are not transparent."""
    return page.eval_on_selector(
        f"{selector} canvas",
        """canvas => {
            const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
            let painted = 0;
            for (let i = 3; i < data.length; i += 4) if (data[i] > 0) painted++;
            return painted;
        }""",
    )


@pytest.fixture
def student(transactional_db):
    from courses.tests.factories import make_user

    return make_user("student")


def test_the_explorer_draws_relu_then_softmax_from_the_api(page, live_server, login, student):
    login(page, student)
    page.goto(f"{live_server.url}/activations/?functions=relu&start=-3&stop=3&points=61")
    chart = page.locator("#explorer-chart")
    expect(page.locator("#explorer-chart")).to_have_attribute("data-drawn", "relu")
    assert chart.get_attribute("data-points") == "61"
    assert _painted_pixels(page, "#explorer-chart") > 500

    page.check("input[name=functions][value=softmax]")  # re-evaluates both through the API (CSRF header)
    expect(page.locator("#explorer-chart")).to_have_attribute("data-drawn", "relu,softmax")
    assert page.locator("#explorer-error").is_hidden()
    assert _painted_pixels(page, "#explorer-chart") > 500
    assert page.locator("#explorer-table thead").inner_text().split() == ["x", "ReLU", "ReLU′", "Softmax", "Softmax′"]


def test_the_explorer_shows_the_servers_error_for_a_bad_vector(page, live_server, login, student):
    login(page, student)
    page.goto(f"{live_server.url}/activations/")
    page.fill("#id_vector", "1, two")
    page.click("#explorer-form button[type=submit]")
    page.wait_for_selector("#explorer-error:not([hidden])")
    assert page.inner_text("#explorer-error") == 'x[1] is not a number: "two".'


def test_the_stability_lab_shows_naive_float32_overflow_and_a_finite_stable_result(page, live_server, login, student):
    login(page, student)
    page.goto(f"{live_server.url}/activations/stability/")
    naive = page.locator("tr[data-variant=naive][data-dtype=float32]")
    assert "inf" in naive.inner_text() and "nan" in naive.locator(".softmax-result").inner_text()
    stable = page.locator("tr[data-variant=stable][data-dtype=float32] .softmax-result").inner_text()
    assert stable == "0.0900306, 0.244728, 0.665241"


def test_the_cost_lab_draws_a_bar_chart_of_the_benchmark(page, live_server, login, student):
    login(page, student)
    page.goto(f"{live_server.url}/activations/cost/")
    page.fill("#id_n", "1000")
    page.click(".cost-form button[type=submit]")
    expect(page.locator(".cost-chart").first).to_have_attribute("data-drawn", re.compile(r"^relu,"))
    assert _painted_pixels(page, ".cost-chart") > 500
    assert page.locator(".cost-results tbody tr").count() == 7
    assert page.locator(".cost-results tbody tr").first.inner_text().split("\t")[2] == "1.00×"
