"""The YAML module format (``spec/MODULES.md``): a superset of the Go GOTRS format.

Every key of the reference is declared, including those the Go original parsed but ignored.  The engine that serves
modules builds on these models; here they are the contract that ``gotrs check`` enforces.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, ValidationInfo, field_validator
from pydantic_core import PydanticKnownError

from goatkit.specs.base import SpecModel

FIELD_TYPES = frozenset(
    [
        "string",
        "text",
        "textarea",
        "notes",
        "int",
        "integer",
        "decimal",
        "float",
        "number",
        "bool",
        "boolean",
        "checkbox",
        "radio",
        "select",
        "multiselect",
        "range",
        "date",
        "datetime",
        "time",
        "email",
        "url",
        "phone",
        "tel",
        "color",
        "password",
        "file",
        "files",
        "json",  # a JSON object or list handed to the module's hooks as is (HTML: JSON text); usually virtual
    ]
)
FEATURES = (
    "soft_delete",
    "search",
    "filters",
    "import_csv",
    "export_csv",
    "status_toggle",
    "color_picker",
    "bulk_actions",
    "audit",
    "password_reset",
    "group_assignment",
)
PERMISSIONS = frozenset({"view", "create", "update", "delete", "export", "import"})
NAME_PATTERN = r"^[a-z][a-z0-9_]*$"


class Menu(SpecModel):
    section: str = "Administration"
    order: int = 100
    icon: str = ""


class ModuleInfo(SpecModel):
    name: str = Field(pattern=NAME_PATTERN)
    singular: str = ""
    plural: str = ""
    description: str = ""
    table: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    route_prefix: str = Field(default="", pattern=r"^(/[a-z0-9_\-/]*)?$")
    primary_key: str = "id"
    menu: Menu | None = None


class Option(SpecModel):
    value: Any
    label: str = ""
    group: str = ""


class LambdaUse(SpecModel):
    """A lambda written as an object: a shared lambda (``lambdas/<use>.js``) or inline ``code``, with ``args``.

    Example::

        lambda: {use: age_badge, args: {field: create_time, warn_days: 7}}
    """

    use: str = Field(default="", pattern=r"^([a-z][a-z0-9_]*)?$")
    code: str = Field(default="", validate_default=True)
    args: dict[str, Any] = {}

    @field_validator("code")
    @classmethod
    def _one_source(cls, value: str, info: ValidationInfo) -> str:
        if bool(value.strip()) == bool(info.data.get("use")):
            raise ValueError("give either 'use' (the name of a shared lambda) or 'code', not both or neither")
        return value


#: A lambda: a JavaScript function body (the Go GOTRS form), or a :class:`LambdaUse`.
LambdaRef = str | LambdaUse


class FieldSpec(SpecModel):
    name: str = Field(pattern=NAME_PATTERN)
    db_column: str = ""
    type: str = "string"
    label: str = ""
    help: str = ""
    placeholder: str = ""
    required: bool = False
    unique: bool = False
    readonly: bool = False
    virtual: bool = False
    show_in_list: bool = False
    show_in_form: bool = True
    show_in_detail: bool = True
    list_position: int | None = None
    list_class: str = ""
    searchable: bool = False
    sortable: bool = False
    filterable: bool = False
    default: Any = None
    validation: str = ""
    pattern: str = ""
    min: float | None = None
    max: float | None = None
    step: float | None = None
    min_length: int | None = Field(default=None, ge=0)
    max_length: int | None = Field(default=None, ge=0)
    rows: int | None = Field(default=None, ge=1)
    accept: str = ""
    multiple: bool = False
    options: list[Option] = []
    lookup_table: str = ""
    lookup_key: str = ""
    lookup_display: str = ""
    lookup_condition: str = ""
    #: GOTRS extension: ``false`` lets the field hold keys the lookup table lacks (OTRS's free-text CustomerID);
    #: by default a written key must name a row, and a newly chosen one must meet ``lookup_condition``.
    lookup_strict: bool = True
    display_as: Literal["", "chip"] = ""
    display_map: dict[Any, str] = {}
    widget: Literal["", "typeahead"] = ""
    #: GOTRS extension: a lambda that checks the value (``value``, ``item``: return true or an error message).
    #: A lambda default is written ``default: {lambda: ...}`` (``item``: the other defaults).
    validator: LambdaRef | None = None

    @field_validator("type")
    @classmethod
    def _known_type(cls, value: str) -> str:
        if value not in FIELD_TYPES:
            raise ValueError(f"unknown field type '{value}'; expected one of: {', '.join(sorted(FIELD_TYPES))}")
        return value


class ComputedField(SpecModel):
    """A column computed by a lambda from the row (``item``).  ``html``: unset renders strings holding markup as
    sanitized HTML (the Go GOTRS modules return HTML) and others as text; ``true`` always sanitized HTML; ``false``
    always text.  ``reads`` (GOTRS extension): the fields the lambda reads; ``item`` then holds only those (a
    lookup field with its ``<field>_display``), and a list page reads no display value the lambda does not need.
    Empty: the whole row."""

    name: str = Field(pattern=NAME_PATTERN)
    label: str = ""
    lambda_: LambdaRef = Field(alias="lambda")
    show_in_list: bool = True
    show_in_form: bool = False
    show_in_detail: bool = True
    list_position: int | None = None
    list_class: str = ""
    html: bool | None = None
    reads: list[str] = []


class CustomRule(SpecModel):
    """A record-level check (``validation.custom_rules``): the lambda reads ``item`` and returns ``true`` or an
    error message, shown beside ``field`` (or with the form, as ``_schema``, when no field is named)."""

    lambda_: LambdaRef = Field(alias="lambda")
    field: str = ""


class FilterSpec(SpecModel):
    field: str
    type: Literal["select", "text", "date_range", "multi_select"] = "select"
    label: str = ""
    options: list[Option] = []
    source: Literal["", "database", "static"] = ""
    query: str = ""
    lookup_table: str = ""
    lookup_key: str = ""
    lookup_display: str = ""


class ValidationSpec(SpecModel):
    unique_fields: list[str] = []
    required_fields: list[str] = []
    field_patterns: dict[str, str] = {}
    custom_rules: list[CustomRule | str] = []


class FormSection(SpecModel):
    title: str
    fields: list[str]
    description: str = ""
    collapsed: bool = False


class UiSpec(SpecModel):
    list_columns: list[str] = []
    default_sort: str = ""
    page_size: int | None = Field(default=None, ge=1, le=500)
    form_sections: list[FormSection] = []
    actions: list[dict[str, Any]] = []
    #: Where a row's first cell links (``/desk/items/{id}``); default: the module's detail page.
    row_url: str = Field(default="", pattern=r"^(/[^/\s\"'<>][^\s\"'<>]*)?$")
    #: A lambda returning the row's tone (``"red"``, ``"amber"``, ``"green"``, ``"blue"``, ``"zinc"``) or
    #: ``{tone, title}``: list rows are tinted with it.
    row_style: LambdaRef | None = None


class LambdaConfig(SpecModel):
    timeout_ms: int | None = Field(default=None, ge=1, le=1000)
    memory_limit_mb: int | None = Field(default=None, ge=1, le=256)


class RelationItem(SpecModel):
    """An item of a relation side that is not a row of its table (OTRS's ``<DEFAULT>`` customer login)."""

    key: str | int
    label: str


class RelationSide(SpecModel):
    """One side of a relation: the table whose rows are its items, their key and the column that names them."""

    table: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    key: str = "id"
    display: str = "name"
    condition: str = ""  # which items the screens list, in the grammar of lookup_condition (e.g. valid_id = 1)
    label: str = ""  # "Agent"
    plural: str = ""  # "Agents"
    search: list[str] = []  # columns a search matches (default: display)
    extra_items: list[RelationItem] = []


class RelationColumns(SpecModel):
    """The two columns of the relation table that hold a left key and a right key."""

    left: str
    right: str


class RelationPermissions(SpecModel):
    """Per-key grants: one row per granted key (``column``), counted when ``value_column`` is 1 (if there is one)."""

    column: str = "permission_key"
    keys: list[str] = Field(min_length=1)
    value_column: str | None = None
    implied_by: str = ""  # a key that implies all others (OTRS rw): granting it stores it alone


class RelationConstraint(SpecModel):
    """A rule every saved matrix must keep: at most one right item per value of ``one_per`` for each left item."""

    one_per: str
    message: str = ""


class RelationSpec(SpecModel):
    """The matrix kind of module (docs/MODULES-RELATIONS.md): rows of ``module.table`` link a left and a right item."""

    left: RelationSide
    right: RelationSide
    columns: RelationColumns
    permissions: RelationPermissions | None = None
    fixed: dict[str, str | int] = {}  # values every row of this relation has: filtered on read, written on insert
    constraints: list[RelationConstraint] = []


class ModuleSpec(SpecModel):
    """One module file."""

    module: ModuleInfo
    relation: RelationSpec | None = None  # declared before fields: a relation module needs no fields
    fields: list[FieldSpec] = Field(default=[], validate_default=True)
    computed_fields: list[ComputedField] = []
    features: dict[Literal[FEATURES], bool] = {}  # type: ignore[valid-type]
    filters: list[FilterSpec] = []
    permissions: list[str] | dict[str, Any] = []
    validation: ValidationSpec = ValidationSpec()
    ui: UiSpec = UiSpec()
    lambda_config: LambdaConfig = LambdaConfig()
    hooks: list[str] = []  # names of hook classes the application registered (goatkit/engine/hooks.py)

    @field_validator("fields")
    @classmethod
    def _fields_unless_relation(cls, value: list[FieldSpec], info: ValidationInfo) -> list[FieldSpec]:
        # A relation that failed validation is absent from info.data: its own error is enough.
        if not value and "relation" in info.data and info.data["relation"] is None:
            raise PydanticKnownError("too_short", {"field_type": "List", "min_length": 1, "actual_length": 0})
        return value

    @field_validator("permissions")
    @classmethod
    def _known_permissions(cls, value: list[str] | dict[str, Any]) -> list[str] | dict[str, Any]:
        unknown = sorted(set(value) - PERMISSIONS)
        if unknown:
            raise ValueError(f"unknown action(s) {unknown}; expected some of: {', '.join(sorted(PERMISSIONS))}")
        return value
