"""Baseline: the OTRS 6 schema with the Znuny 7 additions and the GOTRS extras (123 tables).

Creates exactly the tables listed below from their frozen definitions in ``modules/db/schema/``.  The fingerprint
of those definitions is pinned here; ``tests/modules/db/test_migrations.py`` fails when they are edited in place.
Change the schema with a new revision instead.

Revision ID: 0001_baseline
Revises:
Create Date: 2026-11-21
"""

from __future__ import annotations

from alembic import op
from sqlalchemy import Table

from modules.db.schema import metadata

revision = "0001_baseline"
down_revision = None
branch_labels = None
depends_on = None

BASELINE_FINGERPRINT = "176abf4ef7d5989d7f9c0f668b32decae46fdfd1ebc4e21589394486309ba64c"

BASELINE_TABLES = (
    "acl",
    "acl_sync",
    "acl_ticket_attribute_relations",
    "system_maintenance",
    "generic_agent_jobs",
    "search_profile",
    "notification_event",
    "notification_event_message",
    "notification_event_item",
    "article_sender_type",
    "article_flag",
    "communication_channel",
    "article",
    "article_data_mime",
    "article_search_index",
    "article_data_mime_plain",
    "article_data_mime_attachment",
    "article_data_mime_send_error",
    "article_data_otrs_chat",
    "calendar",
    "calendar_appointment",
    "calendar_appointment_plugin",
    "calendar_appointment_ticket",
    "customer_user",
    "customer_preferences",
    "customer_company",
    "customer_user_customer",
    "link_type",
    "link_state",
    "link_object",
    "link_relation",
    "dynamic_field_value",
    "dynamic_field",
    "dynamic_field_obj_id_name",
    "ticket_priority",
    "ticket_type",
    "ticket_lock_type",
    "ticket_state",
    "ticket_state_type",
    "ticket",
    "ticket_flag",
    "ticket_history",
    "ticket_history_type",
    "ticket_watcher",
    "ticket_index",
    "ticket_lock_index",
    "ticket_loop_protection",
    "time_accounting",
    "ticket_number_counter",
    "mention",
    "article_color",
    "mail_account",
    "postmaster_filter",
    "smime_signer_cert_relations",
    "mail_queue",
    "communication_log",
    "communication_log_object",
    "communication_log_object_entry",
    "communication_log_obj_lookup",
    "smime_keys",
    "oauth2_token_config",
    "oauth2_token",
    "pm_process",
    "pm_activity",
    "pm_activity_dialog",
    "pm_transition",
    "pm_transition_action",
    "pm_entity_sync",
    "salutation",
    "signature",
    "system_address",
    "follow_up_possible",
    "queue",
    "queue_preferences",
    "standard_template",
    "queue_standard_template",
    "standard_attachment",
    "standard_template_attachment",
    "auto_response_type",
    "auto_response",
    "queue_auto_response",
    "service",
    "service_preferences",
    "service_customer_user",
    "sla",
    "sla_preferences",
    "service_sla",
    "cloud_service_config",
    "sysconfig_default",
    "sysconfig_default_version",
    "sysconfig_modified",
    "sysconfig_modified_version",
    "sysconfig_deployment_lock",
    "sysconfig_deployment",
    "sessions",
    "process_id",
    "web_upload_cache",
    "system_data",
    "xml_storage",
    "virtual_fs",
    "virtual_fs_preferences",
    "virtual_fs_db",
    "package_repository",
    "scheduler_task",
    "scheduler_future_task",
    "scheduler_recurrent_task",
    "form_draft",
    "valid",
    "users",
    "user_preferences",
    "permission_groups",
    "group_user",
    "group_role",
    "group_customer_user",
    "group_customer",
    "roles",
    "role_user",
    "personal_queues",
    "personal_services",
    "gi_webservice_config",
    "gi_webservice_config_history",
    "gi_debugger_entry",
    "gi_debugger_entry_content",
)


def baseline_tables() -> list[Table]:
    return [metadata.tables[name] for name in BASELINE_TABLES]


def upgrade() -> None:
    metadata.create_all(op.get_bind(), tables=baseline_tables(), checkfirst=False)


def downgrade() -> None:
    metadata.drop_all(op.get_bind(), tables=baseline_tables(), checkfirst=False)
