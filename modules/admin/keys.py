"""The hook ``fixed_key``: a primary key typed in on create (``customer_company.customer_id``) never changes.

Customer users, tickets and group permissions refer to a customer company by its customer ID, with no foreign key
that could cascade a change; so once created the key stays.  An update may repeat the stored value (a form sends
every field) but not change it.

Example::

    # modules/customer_company.yaml
    module: {name: customer_company, table: customer_company, primary_key: customer_id}
    hooks: [fixed_key]
"""

from __future__ import annotations

from goatkit.engine.fieldtypes import label_text
from goatkit.engine.forms import FormErrors
from goatkit.engine.hooks import ModuleHook, WriteContext, register


class FixedKey(ModuleHook):
    """Refuses an update that changes the module's primary key field."""

    def validate(self, ctx: WriteContext) -> FormErrors:
        key = ctx.module.primary_key.name
        if ctx.old is None or key not in ctx.values or ctx.values[key] == ctx.old[key]:
            return {}
        field = ctx.module.by_name.get(key)
        label = label_text(field.spec.label, key) if field is not None else key
        return {key: [f"{label} cannot be changed once the record exists."]}


register("fixed_key", FixedKey())
