from django.apps import AppConfig


class ReflectSiteConfig(AppConfig):
    name = "reflect_site"
    verbose_name = "Site"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from reflect_site import security  # noqa: F401  (connects the login signal receiver)
