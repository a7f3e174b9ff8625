"""Near-duplicate answers' URLs; included in grading/urls.py under the grading namespace."""
from django.urls import path

from grading import similarity_views

urlpatterns: list = [
    path("questions/<int:pk>/similar/", similarity_views.similar_pairs, name="similar_pairs"),
    path("questions/<int:pk>/similar/check/", similarity_views.similar_check, name="similar_check"),
    path("similar-pairs/<int:pk>/", similarity_views.similar_pair, name="similar_pair"),
    path("similar-pairs/<int:pk>/review/", similarity_views.similar_review, name="similar_review"),
]
