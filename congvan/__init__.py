"""congvan: the shell — settings, the `congvan` CLI and the web app."""

__version__ = "0.1.0"
