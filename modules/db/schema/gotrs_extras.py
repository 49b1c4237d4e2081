"""GOTRS's own additions to the OTRS schema: display colours for priorities, states and articles.

Neither OTRS nor Znuny has them; the Go GOTRS does (its migration 000006 and its ``article_color`` table), so its
databases fit this schema too.  They are kept apart from the generated OTRS files so that it stays obvious what is
OTRS's and what is ours.  Everything here is nullable or a table of its own: OTRS and Znuny code, which never
mention these columns, keep working on a GOTRS database.

Hand-written, not generated; like the rest of the baseline it is frozen, and later changes are Alembic migrations.
"""

from modules.db.schema._types import audit_columns, smallint, table, unique, varchar
from modules.db.schema.ticket import ticket_priority, ticket_state

COLOR_SIZE = 25
"""Long enough for any CSS colour: ``#rrggbbaa``, ``rgb(255, 255, 255)`` or a colour name."""


# The OTRS 6 XML already has ticket_priority.color as VARCHAR(20) DEFAULT ''; the wider column replaces it and keeps
# the default, so rows inserted by OTRS code look the same.
ticket_priority.append_column(varchar("color", COLOR_SIZE, nullable=True, default=""), replace_existing=True)
ticket_state.append_column(varchar("color", COLOR_SIZE, nullable=True))

article_color = table(
    "article_color",
    smallint("id", primary_key=True),
    varchar("name", 200),
    varchar("color", COLOR_SIZE),
    smallint("valid_id", references="valid"),
    *audit_columns(),
    unique("article_color_name", "name"),
)
