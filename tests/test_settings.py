"""Settings are typed, read from LRS_* variables, and every one is documented."""

from __future__ import annotations

from pathlib import Path

import config
from config.settings import Settings, documented_settings

ROOT = Path(__file__).resolve().parent.parent


def test_config_package_is_ours() -> None:
    assert Path(config.__file__).resolve().parent == ROOT / "config"


def test_from_env_parses_types() -> None:
    s = Settings.from_env(
        {
            "LRS_PORT": "9001",
            "LRS_DATA_DIR": "/tmp/x",
            "LRS_CORS_ORIGINS": "https://a.org, https://b.org",
        }
    )
    assert s.port == 9001
    assert s.data_dir == Path("/tmp/x")
    assert s.cors_origins == ("https://a.org", "https://b.org")
    assert s.resolved_store_url == "sqlite:////tmp/x/lrs.db"


def test_every_setting_documented_in_code_and_readme() -> None:
    readme = (ROOT / "README.md").read_text()
    for env_name, _default, doc in documented_settings():
        assert doc, f"{env_name} has no doc"
        assert f"`{env_name}`" in readme, f"{env_name} missing from README settings table"
