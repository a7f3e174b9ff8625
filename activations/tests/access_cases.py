"""Access-matrix cases for the activation labs and their API (see reflect_site/access.py).

The labs hold no per-course data, so every signed-in user may use them. Anonymous visitors
are sent to log in from the pages; the JSON API answers them 401 instead of a redirect.
"""

from reflect_site.access import AccessCase

SIGNED_IN = {"student": 200, "other_student": 200, "ta": 200, "instructor": 200, "outsider": 200, "other_ta": 200}
PAGE = {"anonymous": 302, **SIGNED_IN}
API = {"anonymous": 401, **SIGNED_IN}

CASES: list[AccessCase] = [
    AccessCase("activations:explorer", lambda w: "/activations/", PAGE),
    AccessCase("activations:stability_lab", lambda w: "/activations/stability/", PAGE),
    AccessCase("activations:precision_lab", lambda w: "/activations/precision/", PAGE),
    AccessCase("activations:cost_lab", lambda w: "/activations/cost/", PAGE),
    AccessCase("activations:cost_lab", lambda w: "/activations/cost/", PAGE, method="post",
               data=lambda w: {"functions": ["relu", "sigmoid"], "n": "1000", "dtype": "float32"}),
    AccessCase("activations:api_evaluate", lambda w: "/activations/api/evaluate", API, method="post",
               data=lambda w: {"function": "softmax", "x": [1000, 1001, 1002], "dtype": "float32"},
               content_type="application/json"),
    AccessCase("activations:api_benchmark", lambda w: "/activations/api/benchmark", API, method="post",
               data=lambda w: {"functions": ["relu"], "n": 1000, "dtype": "float32"},
               content_type="application/json"),
]
