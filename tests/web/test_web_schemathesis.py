"""A bounded schemathesis run against the JSON API's OpenAPI schema, signed in as the chair
(session cookie + CSRF header): no generated request may get a 5xx."""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings

from tests.web.conftest import Web

EXAMPLES = 25  # per operation: bounded, derandomized (the same cases every run)


def test_no_server_errors(web: Web) -> None:
    """Whatever the fuzzer sends to each API operation, the answer is not a 5xx."""
    web.sign_in(web.world.chair_key)
    headers = {"Cookie": f"congvan_phien={web.client.cookies.get('congvan_phien')}",
               "X-CSRF-Token": web.client.headers["X-CSRF-Token"]}
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", web.app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 5
    seen: list[tuple[str, int]] = []
    for operation in operations:
        @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def run(case: Any) -> None:
            response = case.call(headers=headers)
            seen.append((case.formatted_path, response.status_code))
            assert response.status_code < 500, (case.method, case.formatted_path,
                                                response.text[:300])
        run()
    assert len(seen) >= len(operations)
