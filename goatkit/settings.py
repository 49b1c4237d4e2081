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

#: The Content-Security-Policy every response carries (docs/FRONTEND.md: the page shell works under it).
DEFAULT_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


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
    database_pool_size: int = Field(
        default=0,
        ge=0,
        le=1000,
        description="Server connections a process pools (PostgreSQL, MariaDB), as many more at peak; 0: 10, and "
        "under `gotrs serve --workers` the worker's thread count (a request may hold a reading and a writing one)",
    )
    redis_url: str = Field(default="", description="Optional Redis; empty means in-process fallbacks")
    secret_key: str = Field(default="", description="Signing key; generated and persisted under var_dir when empty")
    modules_path: str = Field(default="", description="Extra module directories, os.pathsep-separated")
    modules_builtin: bool = Field(default=True, description="Load the modules shipped in <root>/modules")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["json", "text"] = "json"
    config: str = Field(default="", description="Path of the YAML config file that was read (informational)")
    routes_watch: bool = Field(default=False, description="Reload routes/*.yaml when they change (development)")
    modules_watch: bool = Field(default=True, description="Reload module YAML files within a second of a change")

    # Sign-in (goatkit.auth)
    auth_access_token_seconds: int = Field(default=900, ge=1, description="Lifetime of an access token")
    auth_refresh_token_seconds: int = Field(default=7 * 24 * 3600, ge=1, description="Lifetime of a sign-in session")
    auth_cookie_secure: Literal["auto", "always", "never"] = Field(
        default="auto", description="Secure flag on sign-in cookies; auto: when the request came over https"
    )
    auth_login_failures: int = Field(default=5, ge=1, description="Failed sign-ins per login before a lock-out")
    auth_ip_failures: int = Field(default=20, ge=1, description="Failed sign-ins per client IP before a lock-out")
    auth_failure_window_seconds: int = Field(default=300, ge=1, description="Window in which failures count")
    auth_lockout_seconds: int = Field(default=30, ge=1, description="First lock-out; each further one doubles")
    auth_lockout_max_seconds: int = Field(default=3600, ge=1, description="Longest lock-out")
    auth_session_touch_seconds: int = Field(default=60, ge=0, description="How often a session's last-seen is saved")
    content_security_policy: str = Field(default=DEFAULT_CSP, description="Content-Security-Policy header value")
    upload_max_bytes: int = Field(
        default=10 * 1024 * 1024, ge=1, description="Largest file a file field takes unless its spec says max"
    )
    request_max_bytes: int = Field(
        default=64 * 1024 * 1024, ge=1024, description="Largest request body; a larger one is refused (413) unread"
    )

    # Lambdas (goatkit.lambdas): JavaScript from the specs, run in sandbox processes
    lambdas_path: str = Field(default="", description="Extra shared-lambda directories (os.pathsep-separated)")
    lambda_workers: int = Field(default=2, ge=1, le=32, description="Sandbox processes per web process")
    lambda_timeout_ms: int = Field(default=50, ge=1, le=1000, description="Time a lambda call may take")
    lambda_max_timeout_ms: int = Field(default=1000, ge=1, le=10000, description="Cap on a module's timeout_ms")
    lambda_memory_mb: int = Field(default=32, ge=8, le=1024, description="Heap a sandbox may use")
    lambda_max_memory_mb: int = Field(default=256, ge=8, le=4096, description="Cap on a module's memory_limit_mb")
    lambda_budget_ms: int = Field(default=1000, ge=10, description="Lambda time one request may spend in all")
    lambda_query_timeout_ms: int = Field(default=250, ge=1, description="Statement timeout of a db.query")
    lambda_query_rows: int = Field(default=100, ge=1, le=10000, description="Most rows a db.query may return")

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
    def extra_lambda_dirs(self) -> list[Path]:
        """The directories named by ``lambdas_path``, in order (after the application's ``lambdas/``)."""
        return [Path(part) for part in self.lambdas_path.split(os.pathsep) if part.strip()]

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
