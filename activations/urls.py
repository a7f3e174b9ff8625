from django.urls import path

from activations import views

app_name = "activations"
urlpatterns = [
    path("", views.explorer, name="explorer"),
    path("cost/", views.cost_lab, name="cost_lab"),
    path("stability/", views.stability_lab, name="stability_lab"),
    path("precision/", views.precision_lab, name="precision_lab"),
    path("api/evaluate", views.api_evaluate, name="api_evaluate"),
    path("api/benchmark", views.api_benchmark, name="api_benchmark"),
]
