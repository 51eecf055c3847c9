"""The pages' languages: Vietnamese by default, English from the Babel catalog."""

from __future__ import annotations

from pathlib import Path

from babel.messages.pofile import read_po

from congvan.web import i18n
from tests.web.conftest import Web

LOCALE = Path(i18n.__file__).with_name("locale")


class TestCatalogs:
    def test_every_message_has_an_english_translation(self) -> None:
        """The en catalog translates every msgid of the template (run `make i18n` after edits)."""
        with (LOCALE / "messages.pot").open("rb") as fp:
            wanted = {m.id for m in read_po(fp) if m.id}
        with (LOCALE / "en" / "LC_MESSAGES" / "messages.po").open("rb") as fp:
            english = {m.id: m.string for m in read_po(fp, locale="en") if m.id}
        assert wanted <= set(english)
        assert not [m for m in wanted if not english[m]]

    def test_po_is_compiled_in_memory_when_no_mo_exists(self, tmp_path: Path,
                                                         monkeypatch: object) -> None:
        """A fresh clone without compiled .mo files still shows English."""
        import shutil

        target = tmp_path / "locale"
        shutil.copytree(LOCALE, target, ignore=shutil.ignore_patterns("*.mo"))
        setattr_ = monkeypatch.setattr  # type: ignore[attr-defined]
        setattr_(i18n, "LOCALE_DIR", target)
        i18n.translations.cache_clear()
        try:
            assert i18n.translations("en").gettext("Đăng nhập") == "Sign in"
        finally:
            i18n.translations.cache_clear()


class TestPages:
    def test_vietnamese_is_the_default(self, web: Web) -> None:
        """Without a choice the page is Vietnamese, with lang="vi"."""
        page = web.client.get("/").text
        assert '<html lang="vi">' in page and "Hộp thư đi" in page and "Đăng xuất" in page

    def test_english_by_query_then_cookie(self, web: Web) -> None:
        """?lang=en switches to English and the choice is remembered."""
        page = web.client.get("/?lang=en").text
        assert '<html lang="en">' in page and "Outbox" in page and "Sign out" in page
        assert "Issued" in page  # a status label through the catalog
        again = web.client.get("/requests").text
        assert "Reports due" in again and "Late" in again

    def test_an_english_browser_still_gets_vietnamese_until_it_chooses(self, web: Web) -> None:
        """Accept-Language does not switch the language; the page's link does."""
        web.sign_out()
        page = web.client.get("/dang-nhap", headers={"Accept-Language": "en-GB,en;q=0.9"}).text
        assert "Mật khẩu" in page and "English" in page
        page = web.client.get("/dang-nhap?lang=en").text
        assert "Sign in" in page and "Password" in page
