"""What admin-written lambdas may read with ``db.query``: the helpdesk's data, never its secrets.

GoatKit already hides its own tables and the ``password`` fields of every loaded module.  On top of that, tables
that hold sign-in sessions, tokens, keys, per-user settings and web service credentials are never readable, and
password columns of tables no module shows are hidden too.
"""

from __future__ import annotations

from collections.abc import Callable

from goatkit.lambdas.extension import module_policy
from goatkit.lambdas.sqlguard import ReadPolicy

#: Tables no lambda may read: secrets, credentials and private per-user state.
DENIED_TABLES = frozenset(
    {
        "sessions",
        "user_preferences",
        "customer_preferences",
        "system_data",
        "smime_keys",
        "oauth2_token",
        "oauth2_token_config",
        "gi_webservice_config",
        "gi_webservice_config_history",
        "gi_debugger_entry",
        "gi_debugger_entry_content",
        "web_upload_cache",
        "form_draft",
        "package_repository",
        "sysconfig_default",
        "sysconfig_modified",
        "sysconfig_default_version",
        "sysconfig_modified_version",
        "sysconfig_deployment",
    }
)
#: Columns hidden wherever they are read from, shown by a module or not.
HIDDEN_COLUMNS = {"users": ["pw"], "customer_user": ["pw"], "mail_account": ["pw"]}


def lambda_read_policy() -> Callable[[], ReadPolicy]:
    """The policy GOTRS gives the lambda runtime (``gotrs_app.create_app``)."""
    return module_policy(lambda table: table in DENIED_TABLES, HIDDEN_COLUMNS)
