"""Accounts, sessions, CSRF and sign-in throttling against the app (TestClient)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from congvan.auth import accounts, passwords
from registry import db
from registry.errors import PermissionDenied, ValidationError
from registry.models import Person, UserAccount, WebSession
from tests.web.conftest import Web, csrf_of
from tests.web.scenario import PASSWORD


def _session_cookie(web: Web) -> str:
    return web.client.cookies.get("congvan_phien")


def _use(web: Web, token: str) -> None:
    web.client.cookies.clear()
    web.client.cookies.set("congvan_phien", token)


class TestPasswords:
    def test_hash_is_argon2id_and_verifies_nfc_equivalents(self) -> None:
        """A hash is argon2id; the same password typed decomposed (NFD) still matches."""
        stored = passwords.hash_password("Mật khẩu dài đủ 2026")
        assert stored.startswith("$argon2id$")
        decomposed = "M\u0061\u0323\u0302t kh\u00e2\u0309u d\u00e0i \u0111u\u0309 2026"
        assert passwords.verify(stored, decomposed)
        assert not passwords.verify(stored, "mật khẩu dài đủ 2026")

    @pytest.mark.parametrize("bad", ["ngan", "1234567890", "tran-thi-b"])
    def test_weak_new_passwords_are_refused_naming_the_field(self, bad: str) -> None:
        """Too short, common, or the login itself: a ValidationError on mat_khau."""
        with pytest.raises(ValidationError) as caught:
            passwords.check_new(bad, login="tran-thi-b")
        assert caught.value.field == "mat_khau"


class TestSignIn:
    def test_no_credential_no_session(self, web: Web) -> None:
        """Without signing in, pages redirect to the form and the API answers 403."""
        web.sign_out()
        assert web.client.get("/", follow_redirects=False).status_code == 303
        assert web.client.get("/api/documents").status_code == 403
        assert web.client.get("/api/session").status_code == 403

    def test_wrong_password_is_401_and_stores_no_session(self, web: Web) -> None:
        """A wrong password re-shows the form with one message for every case."""
        web.sign_out()
        token = web.form_token("/dang-nhap")
        for login in (web.world.clerk_key, "khong-ton-tai"):
            answer = web.client.post("/dang-nhap", data={
                "login": login, "password": "sai mật khẩu rồi", "csrf_token": token})
            assert answer.status_code == 401
            assert "Tên đăng nhập hoặc mật khẩu không đúng" in answer.text
        assert _session_cookie(web) is None

    def test_session_is_renewed_at_sign_in_and_dead_after_sign_out(self, web: Web) -> None:
        """Signing in again in the same browser ends its old session and sets a new cookie;
        after sign-out the cookie opens nothing."""
        first = _session_cookie(web)
        web.client.post("/dang-nhap", data={
            "login": web.world.clerk_key, "password": PASSWORD,
            "csrf_token": web.form_token("/dang-nhap")}, follow_redirects=False)
        second = _session_cookie(web)
        web.client.headers["X-CSRF-Token"] = web.client.get("/api/session").json()["csrf_token"]
        assert first and second and first != second
        # The earlier cookie was ended when the new session started.
        _use(web, first)
        assert web.client.get("/", follow_redirects=False).status_code == 303
        _use(web, second)
        assert web.client.get("/").status_code == 200
        token = web.client.headers["X-CSRF-Token"]
        assert web.client.post("/dang-xuat", data={"csrf_token": token},
                               follow_redirects=False).status_code == 303
        _use(web, second)  # replay the signed-out cookie
        assert web.client.get("/", follow_redirects=False).status_code == 303
        assert web.client.get("/api/session").status_code == 403

    def test_forged_cookie_is_no_session(self, web: Web) -> None:
        """A made-up or edited token names no session."""
        real = _session_cookie(web)
        _use(web, real[:-2] + ("AA" if real[-2:] != "AA" else "BB"))
        assert web.client.get("/", follow_redirects=False).status_code == 303

    def test_cookie_flags(self, web: Web) -> None:
        """The session cookie is HttpOnly and SameSite=Lax; Secure and __Host- over https."""
        web.sign_out()
        response = web.client.post("/dang-nhap", follow_redirects=False, data={
            "login": web.world.clerk_key, "password": PASSWORD,
            "csrf_token": web.form_token("/dang-nhap")})
        cookie = next(v for v in response.headers.get_list("set-cookie")
                      if v.startswith("congvan_phien="))
        assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie

    def test_idle_session_dies(self, web: Web) -> None:
        """A session unused for longer than the idle time is ended on its next request."""
        with db.transaction() as s:
            s.execute(update(WebSession).values(
                last_seen_at=datetime.now(UTC) - timedelta(minutes=31)))
        assert web.client.get("/", follow_redirects=False).status_code == 303
        assert web.client.get("/api/session").status_code == 403

    def test_tenth_wrong_password_in_a_minute_is_slowed(self, web: Web) -> None:
        """Past the limit, sign-in answers 429 with Retry-After — even the right password."""
        web.sign_out()
        token = web.form_token("/dang-nhap")
        codes = [web.client.post("/dang-nhap", data={
            "login": web.world.chair_key, "password": f"sai {i} lần rồi",
            "csrf_token": token}).status_code for i in range(10)]
        assert codes[:5] == [401] * 5 and codes[9] == 429
        right = web.client.post("/dang-nhap", data={
            "login": web.world.chair_key, "password": PASSWORD, "csrf_token": token},
            follow_redirects=False)
        assert right.status_code == 429 and int(right.headers["Retry-After"]) >= 1
        assert "Hãy đợi" in right.text
        # Another person on another login is not locked out by the guesses at this one.
        web.sign_in(web.world.clerk_key)

    def test_login_form_needs_its_csrf_token(self, web: Web) -> None:
        """A sign-in POST without the form's token (login CSRF) is refused with 403."""
        web.sign_out()
        web.client.get("/dang-nhap")
        answer = web.client.post("/dang-nhap", data={"login": web.world.clerk_key,
                                                    "password": PASSWORD})
        assert answer.status_code == 403 and "CSRF" in answer.text
        assert _session_cookie(web) is None

    def test_disabled_account_cannot_sign_in_and_its_sessions_end(self, web: Web) -> None:
        """Disabling ends the account's live sessions; the right password no longer works."""
        with db.transaction() as s:
            accounts.set_active(session=s, login=web.world.clerk_key, active=False)
        assert web.client.get("/", follow_redirects=False).status_code == 303
        web.sign_out()
        answer = web.client.post("/dang-nhap", data={
            "login": web.world.clerk_key, "password": PASSWORD,
            "csrf_token": web.form_token("/dang-nhap")})
        assert answer.status_code == 401


class TestPasswordChange:
    def test_admin_reset_forces_a_change_then_the_new_password_works(self, web: Web) -> None:
        """After an admin's reset the person must change the password at sign-in."""
        web.sign_in(web.world.admin_key)
        page = web.client.get("/quan-tri/tai-khoan")
        assert page.status_code == 200 and web.world.clerk_key in page.text
        done = web.client.post(f"/quan-tri/tai-khoan/{web.world.clerk_key}/dat-lai",
                               data={"password": "mật khẩu tạm 01-2026"}, follow_redirects=False)
        assert done.status_code == 303
        web.sign_out()
        answer = web.client.post("/dang-nhap", follow_redirects=False, data={
            "login": web.world.clerk_key, "password": "mật khẩu tạm 01-2026",
            "csrf_token": web.form_token("/dang-nhap")})
        assert answer.headers["location"] == "/doi-mat-khau"
        token = web.form_token("/doi-mat-khau")
        changed = web.client.post("/doi-mat-khau", data={
            "current": "mật khẩu tạm 01-2026", "new": "mật khẩu mới của tôi 2026",
            "again": "mật khẩu mới của tôi 2026", "csrf_token": token})
        assert changed.status_code == 200 and "Đã đổi mật khẩu" in changed.text
        web.sign_in(web.world.clerk_key, "mật khẩu mới của tôi 2026")

    def test_only_admins_reset_and_only_in_their_organisation(self, web: Web) -> None:
        """A clerk gets 403 on the accounts page; an admin cannot reset another body's account."""
        web.sign_in(web.world.clerk_key)
        assert web.client.get("/quan-tri/tai-khoan").status_code == 403
        with db.transaction() as s:
            admin = s.scalar(select(Person).where(Person.key == web.world.admin_key))
            with pytest.raises(Exception, match="không có tài khoản"):
                accounts.reset_password(session=s, login=web.world.other_clerk_key,
                                        new="mật khẩu khác 2026 nhé", actor=admin)
            clerk = s.scalar(select(Person).where(Person.key == web.world.clerk_key))
            with pytest.raises(PermissionDenied):
                accounts.reset_password(session=s, login=web.world.chair_key,
                                        new="mật khẩu khác 2026 nhé", actor=clerk)


class TestCli:
    def test_users_add_list_passwd_disable(self, web: Web, monkeypatch: pytest.MonkeyPatch
                                           ) -> None:
        """`congvan users` adds an account (password from stdin), lists, resets and disables."""
        from typer.testing import CliRunner

        from congvan.cli import app
        from congvan.settings import get_settings

        monkeypatch.setenv("CONGVAN_DATABASE_URL", web.settings.database_url)
        get_settings.cache_clear()
        try:
            with db.transaction() as s:
                person = s.scalar(select(Person).where(Person.key == web.world.chair_key))
                s.delete(s.scalar(select(UserAccount).where(UserAccount.person_id == person.id)))
            runner = CliRunner()
            added = runner.invoke(app, ["users", "add", web.world.chair_key,
                                        "--password-stdin"], input="Mật khẩu của chủ tịch 1\n")
            assert added.exit_code == 0, added.output
            assert "Đã tạo tài khoản" in added.output
            listed = runner.invoke(app, ["users", "list"])
            assert web.world.chair_key in listed.output and "đang dùng" in listed.output
            weak = runner.invoke(app, ["users", "passwd", web.world.chair_key,
                                       "--password-stdin"], input="ngan\n")
            assert weak.exit_code == 1 and "ít nhất 10 ký tự" in weak.output
            off = runner.invoke(app, ["users", "disable", web.world.chair_key])
            assert off.exit_code == 0 and "Đã khoá" in off.output
            unknown = runner.invoke(app, ["users", "disable", "khong-co"])
            assert unknown.exit_code == 1 and "không có tài khoản" in unknown.output
        finally:
            get_settings.cache_clear()
        _ = csrf_of  # imported for the helpers above
