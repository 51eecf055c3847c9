"""One app per test module (no tests here): a migrated SQLite file, the web scenario committed,
a TestClient on it. Module-scoped fixtures build it once; tests that change state must leave
the others' expectations true (they only add submissions, links and events)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from congvan.web import create_app
from registry import db, schema
from tests.web import scenario
from tests.web.conftest import Web, client_class, web_settings


@contextmanager
def module_web(home: Path, url: str | None = None, **settings: Any) -> Iterator[Web]:
    """The app on a fresh database at ``url`` (default: a SQLite file in ``home``), seeded with
    the scenario and signed in as the clerk."""
    url = url or f"sqlite:///{home / 'congvan.db'}"
    # The app exports CONGVAN_DATABASE_URL (runtime.open_registry); the module's tests see it,
    # later modules must not.
    saved_env = {k: v for k, v in os.environ.items() if k.startswith("CONGVAN_")}
    engine = db.make_engine(url)
    schema.upgrade(engine)
    engine.dispose()
    config = web_settings(url, home, **settings)
    app = create_app(config)
    assert config.files_dir is not None
    with db.transaction() as session:
        world = scenario.build(session, config.files_dir)
    client = client_class()(app)
    web = Web(app, client, config, world)
    web.sign_in(world.clerk_key)
    try:
        yield web
    finally:
        client.close()
        db.get_engine().dispose()
        for key in [k for k in os.environ if k.startswith("CONGVAN_")]:
            del os.environ[key]
        os.environ.update(saved_env)
