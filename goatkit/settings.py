"""Settings: environment variables (``GOTRS_`` prefix) over an optional YAML file over defaults.

The YAML file is ``$GOTRS_CONFIG`` if set, else ``./gotrs.yaml`` if it exists.  Keys are the field names below, in
lower case (``database_url: postgresql+psycopg://...``).  Nothing here requires a server: the embedded default is a
SQLite file under ``var/`` and no Redis.

Example::

    settings = load_settings(var_dir="/tmp/gotrs")   # keyword arguments win over everything
    settings.database_url    # 'sqlite:////tmp/gotrs/gotrs.db'
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict, YamlConfigSettingsSource

S = TypeVar("S", bound="Settings")

SECRET_KEY_FILE = "secret_key"  # noqa: S105 - a file name, not a secret


def _config_file() -> Path | None:
    explicit = os.environ.get("GOTRS_CONFIG")
    if explicit:
        return Path(explicit)
    default = Path("gotrs.yaml")
    return default if default.exists() else None


class Settings(BaseSettings):
    """Every setting of a GoatKit application, validated at start-up."""

    model_config = SettingsConfigDict(env_prefix="GOTRS_", extra="forbid", validate_default=True)

    var_dir: Path = Field(default=Path("var"), description="Runtime data: SQLite file, secret key, uploads")
    database_url: str = Field(default="", description="SQLAlchemy URL; empty means SQLite under var_dir")
    redis_url: str = Field(default="", description="Optional Redis; empty means in-process fallbacks")
    secret_key: str = Field(default="", description="Signing key; generated and persisted under var_dir when empty")
    modules_path: str = Field(default="", description="Extra module directories, os.pathsep-separated")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["json", "text"] = "json"
    config: str = Field(default="", description="Path of the YAML config file that was read (informational)")

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        config_file = _config_file()
        if config_file is not None:
            if not config_file.exists():
                raise FileNotFoundError(f"GOTRS_CONFIG names {config_file}, which does not exist")
            sources.append(YamlConfigSettingsSource(settings_cls, yaml_file=config_file))
        return tuple(sources)

    @property
    def extra_module_dirs(self) -> list[Path]:
        """The directories named by ``modules_path``, in order."""
        return [Path(part) for part in self.modules_path.split(os.pathsep) if part.strip()]


def load_settings(settings_class: type[S] | None = None, **overrides: Any) -> S:
    """Read settings and fill in the derived defaults (database URL, persisted secret key).

    Applications add their own settings by subclassing :class:`Settings` and passing the subclass.
    """
    settings: S = (settings_class or Settings)(**overrides)  # type: ignore[assignment]
    config_file = _config_file()
    if config_file is not None:
        settings.config = str(config_file)
    var_dir = settings.var_dir.resolve()
    settings.var_dir = var_dir
    if not settings.database_url:
        settings.database_url = f"sqlite:///{var_dir / 'gotrs.db'}"
    if not settings.secret_key:
        settings.secret_key = persistent_secret_key(var_dir)
    return settings


def persistent_secret_key(var_dir: Path) -> str:
    """Return the secret key stored in ``var_dir``, creating it (mode 0600) on first use.

    The key survives restarts so sessions and tokens stay valid; it is never a constant in the code.
    """
    path = var_dir / SECRET_KEY_FILE
    if path.exists():
        key = path.read_text().strip()
        if key:
            return key
    var_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    # O_EXCL: when two workers start at once, the first writer wins and the other reads its key.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(key + "\n")
    return key
