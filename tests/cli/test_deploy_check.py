"""Production settings pass Django's deployment checklist without a single warning."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path


def _production_env(data_dir: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        # The check must see production settings only, not the test run's database or flags.
        # (the browser tests allow sync ORM calls inside their event loop; production never does)
        if k
        not in {
            "DATABASE_URL",
            "SAMBANDH_TEST_DB_NAME",
            "SAMBANDH_TESTING",
            "REDIS_URL",
            "DJANGO_ALLOW_ASYNC_UNSAFE",
        }
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "sambandh.settings",
            "SECRET_KEY": secrets.token_urlsafe(60),
            "SAMBANDH_HTTPS": "1",
            "ALLOWED_HOSTS": "crm.example.com",
            "DEBUG": "0",
            "SAMBANDH_DATA_DIR": str(data_dir),
        }
    )
    return env


def test_check_deploy_is_clean_for_production_settings(tmp_path: Path) -> None:
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "django", "check", "--deploy", "--fail-level", "WARNING"],
        env=_production_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "System check identified no issues (0 silenced)."
    assert "WARNING" not in result.stderr


def test_check_deploy_warns_when_https_is_not_configured(tmp_path: Path) -> None:
    """The test above is only worth something if the checklist does catch a bad setup."""
    env = _production_env(tmp_path)
    del env["SAMBANDH_HTTPS"]
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "django", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1
    for check_id in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert check_id in result.stderr
