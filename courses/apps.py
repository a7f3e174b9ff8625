from django.apps import AppConfig


class CoursesConfig(AppConfig):
    name = "courses"
    verbose_name = "Courses"

    def ready(self) -> None:
        from courses.questions import version_rubric_before_change
        from courses.signals import rubric_changing

        rubric_changing.connect(version_rubric_before_change, dispatch_uid="courses.version_rubric_before_change")
