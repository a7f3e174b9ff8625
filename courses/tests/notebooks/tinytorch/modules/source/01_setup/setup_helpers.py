"""Helpers for the setup module; plain Python, not a notebook."""


def version_string() -> str:
    return "0.1"
