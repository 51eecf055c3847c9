"""Flows read congvan's settings themselves: the registry, an absolute files root under
CONGVAN_HOME, keys, channels — and say in Vietnamese which setting is wrong."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from registry import db, schema
from registry.settings import Settings, get_settings
from reporting import reminder_plan
from workflows import flow_env, issuance


@pytest.fixture
def fresh_process_state(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No registry configured and no cached settings, as in a worker's new flow process."""
    for key in [k for k in os.environ if k.startswith("CONGVAN_")]:
        monkeypatch.delenv(key)
    saved = db._engine, db._sessionmaker
    db._engine, db._sessionmaker = None, None
    get_settings.cache_clear()
    flow_env._opened_url.clear()
    yield
    if db._engine is not None:
        db._engine.dispose()
    db._engine, db._sessionmaker = saved
    get_settings.cache_clear()
    flow_env._opened_url.clear()
    issuance.configure(organization=None)


class TestSettings:
    def test_paths_are_absolute_under_home(self, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
        """A relative CONGVAN_HOME becomes absolute; files, keys and the SQLite file sit in it."""
        monkeypatch.chdir(tmp_path)
        monkeypatch.delenv("CONGVAN_DATABASE_URL", raising=False)  # the default is asked for
        s = Settings(home=Path("nha"))
        assert s.home == tmp_path / "nha"
        assert s.files_dir == tmp_path / "nha" / "files"
        assert s.keys_dir == tmp_path / "nha" / "keys"
        assert s.database_url == f"sqlite:///{tmp_path / 'nha' / 'congvan.db'}"

    def test_congvan_settings_reexports_the_same_model(self) -> None:
        """congvan.settings.get_settings is the registry's (one model, one cache)."""
        import congvan.settings

        assert congvan.settings.get_settings is get_settings
        assert congvan.settings.Settings is Settings


class TestReady:
    def test_opens_the_registry_named_by_the_home(self, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch,
                                                  fresh_process_state: None) -> None:
        """With only CONGVAN_HOME set, ready() opens its database and returns absolute paths."""
        engine = db.make_engine(f"sqlite:///{tmp_path / 'congvan.db'}")
        schema.upgrade(engine)
        engine.dispose()
        monkeypatch.setenv("CONGVAN_HOME", str(tmp_path))
        monkeypatch.setenv("CONGVAN_CHANNELS", '["folder", "email"]')
        cycle = flow_env.ready()
        assert cycle.files_dir == str(tmp_path / "files")
        assert cycle.keys_dir == str(tmp_path / "keys")
        assert cycle.channels == ["folder", "email"]
        assert db.get_engine().url.database == str(tmp_path / "congvan.db")

    def test_an_empty_database_names_the_setting(self, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch,
                                                 fresh_process_state: None) -> None:
        """A home without a migrated database fails with CONGVAN_DATABASE_URL and the fix."""
        monkeypatch.setenv("CONGVAN_HOME", str(tmp_path))
        with pytest.raises(flow_env.FlowSettingsError) as err:
            flow_env.ready()
        assert "CONGVAN_DATABASE_URL" in str(err.value)
        assert "congvan db upgrade" in str(err.value)

    def test_an_unreachable_database_hides_the_password(self, monkeypatch: pytest.MonkeyPatch,
                                                       fresh_process_state: None) -> None:
        """A PostgreSQL URL nobody answers at fails naming CONGVAN_DATABASE_URL, password masked."""
        monkeypatch.setenv("CONGVAN_HOME", "/tmp")
        monkeypatch.setenv("CONGVAN_DATABASE_URL",
                           "postgresql+psycopg://congvan:bimat@127.0.0.1:1/congvan")
        with pytest.raises(flow_env.FlowSettingsError) as err:
            flow_env.ready()
        assert "CONGVAN_DATABASE_URL" in str(err.value)
        assert "bimat" not in str(err.value)

    def test_a_relative_home_in_a_worker_run_is_refused(self, monkeypatch: pytest.MonkeyPatch,
                                                        fresh_process_state: None) -> None:
        """Run by a worker (a deployment run) with CONGVAN_HOME unset: the message names it."""
        monkeypatch.setattr(flow_env, "_deployment_run", lambda: True)
        with pytest.raises(flow_env.FlowSettingsError) as err:
            flow_env.ready()
        assert "CONGVAN_HOME" in str(err.value)
        assert "tuyệt đối" in str(err.value)

    def test_a_bad_setting_is_named(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                    fresh_process_state: None) -> None:
        """A malformed CONGVAN_SMTP_SECURITY is reported by its variable name, in Vietnamese."""
        monkeypatch.setenv("CONGVAN_HOME", str(tmp_path))
        monkeypatch.setenv("CONGVAN_SMTP_SECURITY", "tls")
        with pytest.raises(flow_env.FlowSettingsError) as err:
            flow_env.ready()
        assert "CONGVAN_SMTP_SECURITY" in str(err.value)

    def test_an_unknown_channel_is_named(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                         fresh_process_state: None) -> None:
        """CONGVAN_CHANNELS with a channel congvan does not have fails naming the variable."""
        engine = db.make_engine(f"sqlite:///{tmp_path / 'congvan.db'}")
        schema.upgrade(engine)
        engine.dispose()
        monkeypatch.setenv("CONGVAN_HOME", str(tmp_path))
        monkeypatch.setenv("CONGVAN_CHANNELS", '["fax"]')
        with pytest.raises(flow_env.FlowSettingsError, match="CONGVAN_CHANNELS"):
            flow_env.ready()

    def test_a_token_without_its_pin_is_named(self, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch,
                                              fresh_process_state: None) -> None:
        """The organisation's key on a token without CONGVAN_ORG_PIN fails naming it."""
        engine = db.make_engine(f"sqlite:///{tmp_path / 'congvan.db'}")
        schema.upgrade(engine)
        engine.dispose()
        monkeypatch.setenv("CONGVAN_HOME", str(tmp_path))
        monkeypatch.setenv("CONGVAN_PKCS11_MODULE", "/usr/lib/softhsm/libsofthsm2.so")
        monkeypatch.setenv("CONGVAN_ORG_TOKEN", "co-quan")
        with pytest.raises(flow_env.FlowSettingsError, match="CONGVAN_ORG_PIN"):
            flow_env.ready()

    def test_missing_key_files_name_the_keys_setting(self, tmp_path: Path) -> None:
        """Issuing with a keys folder without organization.p12 names CONGVAN_KEYS_DIR."""
        from registry.errors import ValidationError

        os.environ.setdefault("CONGVAN_KEY_PASSWORD", "x")
        with pytest.raises(ValidationError, match="CONGVAN_KEYS_DIR"):
            issuance.current(keys_dir=str(tmp_path / "khong-co"))


class TestAFlowInItsOwnProcess:
    def test_reconciler_with_defaults_uses_the_home(self, tmp_path: Path) -> None:
        """A fresh process that runs reconcile_approved() with no parameters reads CONGVAN_HOME's
        registry (started from another directory) and finishes."""
        home = tmp_path / "home"
        elsewhere = tmp_path / "elsewhere"
        elsewhere.mkdir()
        engine = db.make_engine(f"sqlite:///{home / 'congvan.db'}")
        schema.upgrade(engine)
        engine.dispose()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("CONGVAN_", "PREFECT_"))}
        env.update({"CONGVAN_HOME": str(home), "DO_NOT_TRACK": "1",
                    "PREFECT_HOME": str(tmp_path / "prefect"),
                    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
                    "PREFECT_LOGGING_LEVEL": "ERROR",
                    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "180"})
        code = ("from workflows.instruct_units import reconcile_approved\n"
                "from workflows.remind_late_units import remind_late_units\n"
                "print(reconcile_approved(), remind_late_units())\n")
        out = subprocess.run([sys.executable, "-c", code], env=env, cwd=elsewhere,
                             capture_output=True, text=True, timeout=300)
        assert out.returncode == 0, out.stderr[-3000:]
        assert out.stdout.strip().splitlines()[-1] == "[] {'handling': 0, 'handover': 0}"
        assert not (elsewhere / "var").exists()


class TestReminderPlan:
    def test_no_open_request_means_nothing_to_remind(self, kontum_url: str) -> None:
        """Without open requests the daily reminder has no period to work on."""
        from reporting.reminders import ReminderPolicy

        with db.transaction() as s:
            assert reminder_plan.due_periods(session=s, today=date(2026, 11, 30),
                                             policy=ReminderPolicy()) == []


class TestRunGuard:
    def test_kill_9_leaves_no_helper_process_or_temp_dir(self, tmp_path: Path) -> None:
        """After kill -9 of a guarded run's process, the process it started (as LibreOffice would
        be) is killed and the run's temporary directory removed."""
        import signal
        import time

        code = ("import subprocess, sys, tempfile, time\n"
                "from workflows import flow_env\n"
                "d = flow_env.guard_run()\n"
                "(d / 'profile').mkdir()\n"
                "helper = subprocess.Popen(['sleep', '600'])\n"
                "print(helper.pid, d, tempfile.gettempdir(), flush=True)\n"
                "time.sleep(600)\n")
        run = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True,
                               cwd=tmp_path, start_new_session=True)
        try:
            assert run.stdout is not None
            pid, folder, tmpdir = run.stdout.readline().split()
            assert folder == tmpdir and Path(folder).is_dir()
            run.send_signal(signal.SIGKILL)
            run.wait(10)
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and (Path(f"/proc/{pid}").exists()
                                                   or Path(folder).exists()):
                time.sleep(0.2)
            alive = Path(f"/proc/{pid}").exists() and "Z" not in Path(
                f"/proc/{pid}/stat").read_text().split()[2]
            assert not alive, "the helper outlived its run"
            assert not Path(folder).exists()
        finally:
            if run.poll() is None:
                run.kill()
