"""The application factory, the error mapping and the demo-grade identity."""

from __future__ import annotations

from pathlib import Path

import pytest

from congvan.web import create_app
from tests.web.conftest import Web, client_class, web_settings


class TestCreateApp:
    def test_refuses_a_placeholder_secret_outside_the_demo(self, tmp_path: Path) -> None:
        """A placeholder secret key stops start-up unless CONGVAN_DEMO is set."""
        url = f"sqlite:///{tmp_path / 'x.db'}"
        with pytest.raises(ValueError, match="CONGVAN_SECRET_KEY"):
            create_app(web_settings(url, tmp_path, secret_key="demo-not-secret"))

    @pytest.mark.parametrize("key", ["changethis", "CHANGE_ME", "short-but-random-9f3", "x" * 40,
                                     "your-secret-key", "Super-Secret-Key"])
    def test_refuses_weak_secrets_not_only_the_default(self, tmp_path: Path, key: str) -> None:
        """Placeholders in any spelling, short keys and keys of few characters are refused."""
        url = f"sqlite:///{tmp_path / 'x.db'}"
        with pytest.raises(ValueError, match="CONGVAN_SECRET_KEY"):
            create_app(web_settings(url, tmp_path, secret_key=key))

    def test_out_of_date_schema_answers_503_naming_the_fix(self, tmp_path: Path) -> None:
        """On an unmigrated database every page is a 503 that says to run `congvan db upgrade`."""
        url = f"sqlite:///{tmp_path / 'empty.db'}"
        app = create_app(web_settings(url, tmp_path, demo=True, secret_key="demo-not-secret"))
        client = client_class()(app)
        page = client.get("/")
        assert page.status_code == 503
        assert "congvan db upgrade" in page.text and "Hệ thống chưa sẵn sàng" in page.text
        api = client.post("/api/requests/1/submission", json={"values": {}})
        assert api.status_code == 503 and "congvan db upgrade" in api.json()["detail"]
        assert client.get("/static/style.css").status_code == 200


class TestErrors:
    def test_unknown_document_is_a_vietnamese_404_page(self, web: Web) -> None:
        """NotFound from the registry becomes a 404 page in Vietnamese."""
        response = web.client.get("/documents/999999")
        assert response.status_code == 404
        assert "Không tìm thấy" in response.text and "không có văn bản #999999" in response.text

    def test_unknown_path_is_a_vietnamese_404_page(self, web: Web) -> None:
        """A path that does not exist gets the same page, not Starlette's English JSON."""
        response = web.client.get("/khong-co")
        assert response.status_code == 404 and "Không có trang này" in response.text

    def test_htmx_errors_are_fragments_retargeted_to_the_message_area(self, web: Web) -> None:
        """An HTMX request that fails gets an alert fragment swapped into #thong-bao."""
        web.sign_in(web.world.reporter_key)
        response = web.client.post(f"/outbox/deliveries/{web.world.dead_id}/retry",
                                   headers={"HX-Request": "true"})
        assert response.status_code == 403
        assert response.headers["HX-Retarget"] == "#thong-bao"
        assert "<html" not in response.text and "không có vai trò" in response.text

    def test_issued_document_cannot_be_approved_409(self, web: Web) -> None:
        """InvalidTransition/ImmutableDocument from the approval service becomes 409."""
        web.sign_in(web.world.chair_key)
        response = web.client.post(f"/documents/{web.world.issued_id}/approve")
        assert response.status_code == 409
        assert "đã ban hành" in response.text
