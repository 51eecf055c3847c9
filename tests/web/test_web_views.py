"""Read-only views on one app: the deadlines board's flow runs note, the printed register
book, the document page's signatures, trace and audit trail."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.outbox.smtp_server import free_port
from tests.web.conftest import Web
from tests.web.module_world import module_web


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Web]:
    with module_web(tmp_path_factory.mktemp("views")) as built:
        yield built


class TestDeadlinesBoard:
    def test_board_has_totals_reminders_figures_and_loads_the_runs(self, web: Web) -> None:
        """The period's board shows totals, "send reminders now", the figures so far, and
        asks for the flow runs after it has rendered."""
        page = web.client.get("/requests", params={"period": "2022-Q4"}).text
        for text in ("Đã nộp", "Chậm nộp", "Gửi nhắc các đơn vị chưa nộp ngay",
                     "Số liệu tổng hợp đến nay", 'hx-get="/requests/luot-chay?period=2022-Q4"'):
            assert text in page, text

    def test_runs_without_a_prefect_server_say_not_connected(self, web: Web) -> None:
        """No CONGVAN_PREFECT_API_URL: the runs section says so, the page does not fail."""
        answer = web.client.get("/requests/luot-chay", params={"period": "2022-Q4"},
                                headers={"HX-Request": "true"})
        assert answer.status_code == 200 and "<html" not in answer.text
        assert "Chưa kết nối máy chủ Prefect" in answer.text

    def test_runs_with_a_server_that_is_down(self, web: Web) -> None:
        """A configured server that does not answer gives a note naming it, not an error."""
        web.settings.prefect_api_url = f"http://127.0.0.1:{free_port()}/api"
        try:
            answer = web.client.get("/requests/luot-chay", params={"period": "2022-Q4"})
        finally:
            web.settings.prefect_api_url = None
        assert answer.status_code == 200 and "Không đọc được máy chủ Prefect" in answer.text

    def test_reporters_do_not_see_the_runs(self, web: Web) -> None:
        """Flow runs are for the collecting body's staff."""
        web.sign_in(web.world.reporter_key)
        try:
            assert web.client.get("/requests/luot-chay?period=2022-Q4").status_code == 403
        finally:
            web.sign_in(web.world.clerk_key)
