"""The panel a question page includes to show its lab beside the question."""

import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory

from activations import benchmark
from courses.models import Lab


@pytest.fixture
def render_panel(world):
    def render(lab: str) -> str:
        world.question.lab = lab
        request = RequestFactory().get(world.question.get_absolute_url())
        request.user = world.student
        return render_to_string("activations/_lab_panel.html", {"question": world.question}, request=request)

    return render


@pytest.mark.parametrize("lab", [choice for choice in Lab.values if choice])
def test_each_lab_panel_renders_without_a_query_and_links_its_page(render_panel, lab, django_assert_num_queries):
    # No queries: the panel reads only question.lab and computes a few dozen values.
    with django_assert_num_queries(0):
        html = render_panel(lab)
    assert f'data-lab="{lab}"' in html
    page = {"explorer": "/activations/", "cost": "/activations/cost/", "stability": "/activations/stability/",
            "precision": "/activations/precision/"}[lab]
    assert f'href="{page}"' in html


def test_a_question_without_a_lab_shows_no_panel(render_panel):
    assert render_panel(Lab.NONE).strip() == ""


def test_the_stability_panel_shows_the_overflow_of_the_naive_variant(render_panel):
    html = render_panel(Lab.STABILITY)
    assert "Softmax of [1000, 1001, 1002]" in html
    assert '<span class="nan">nan</span>' in html and "0.665241" in html


def test_the_cost_panel_offers_the_benchmark_without_running_it(render_panel):
    # With the slot held, any benchmark started by rendering would raise BenchmarkBusy.
    with benchmark.benchmark_slot():
        html = render_panel(Lab.COST)
    assert "Run the benchmark" in html and 'name="csrfmiddlewaretoken"' in html
    assert "js/activations/cost.js" in html and "vendor/chartjs-4.6.1/chart.umd.min.js" in html


def test_the_precision_panel_summarises_relu_across_dtypes(render_panel):
    html = render_panel(Lab.PRECISION)
    assert "ReLU of one input in three dtypes" in html and "float16" in html and "2.44e-05" in html


def test_the_explorer_panel_shows_a_small_table(render_panel):
    html = render_panel(Lab.EXPLORER)
    assert "GELU (exact)" in html and "0.841345" in html


@pytest.mark.parametrize("lab", [choice for choice in Lab.values if choice])
def test_the_question_page_shows_its_lab_beside_the_question_without_extra_queries(client, world, lab):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(world.student)
    url = world.question.get_absolute_url()
    with CaptureQueriesContext(connection) as without_lab:
        assert client.get(url).status_code == 200
    world.question.lab = lab
    world.question.save(update_fields=["lab"])
    with CaptureQueriesContext(connection) as with_lab:
        response = client.get(url)
    assert f'data-lab="{lab}"' in response.content.decode()
    assert len(with_lab) == len(without_lab)
