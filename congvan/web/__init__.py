"""The web shell: FastAPI + Jinja2 + HTMX pages for clerks and leaders, and a small JSON API.

``create_app(settings)`` builds the application; ``congvan web`` serves it with uvicorn.
"""

from congvan.web.app import create_app

__all__ = ["create_app"]
