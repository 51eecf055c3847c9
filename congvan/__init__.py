"""congvan: the shell — settings, the `congvan` CLI and the web app. Nothing imports it.

Entry points: :mod:`congvan.settings` (``get_settings``: every ``CONGVAN_*`` variable),
:mod:`congvan.cli` (``main``; one module per command group, registered in ``MODULES``),
:mod:`congvan.web` (``create_app``: FastAPI + Jinja2 + HTMX; routes are adapters that call one
service inside ``transaction()``), :mod:`congvan.runtime` (``open_registry``).
"""

__version__ = "0.1.0"
