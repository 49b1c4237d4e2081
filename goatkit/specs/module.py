"""The YAML module format (``spec/MODULES.md``): a superset of the Go GOTRS format.

Every key of the reference is declared, including those the Go original parsed but ignored.  The engine that serves
modules builds on these models; here they are the contract that ``gotrs check`` enforces.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator

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
    display_as: Literal["", "chip"] = ""
    display_map: dict[Any, str] = {}
    widget: Literal["", "typeahead"] = ""

    @field_validator("type")
    @classmethod
    def _known_type(cls, value: str) -> str:
        if value not in FIELD_TYPES:
            raise ValueError(f"unknown field type '{value}'; expected one of: {', '.join(sorted(FIELD_TYPES))}")
        return value


class ComputedField(SpecModel):
    name: str = Field(pattern=NAME_PATTERN)
    label: str = ""
    lambda_: str = Field(alias="lambda")
    show_in_list: bool = True
    show_in_form: bool = False
    list_position: int | None = None
    html: bool = False


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
    custom_rules: list[Any] = []


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


class LambdaConfig(SpecModel):
    timeout_ms: int | None = Field(default=None, ge=1, le=1000)
    memory_limit_mb: int | None = Field(default=None, ge=1, le=256)


class ModuleSpec(SpecModel):
    """One module file."""

    module: ModuleInfo
    fields: list[FieldSpec] = Field(min_length=1)
    computed_fields: list[ComputedField] = []
    features: dict[Literal[FEATURES], bool] = {}  # type: ignore[valid-type]
    filters: list[FilterSpec] = []
    permissions: list[str] | dict[str, Any] = []
    validation: ValidationSpec = ValidationSpec()
    ui: UiSpec = UiSpec()
    lambda_config: LambdaConfig = LambdaConfig()
    hooks: list[str] = []  # names of hook classes the application registered (goatkit/engine/hooks.py)

    @field_validator("permissions")
    @classmethod
    def _known_permissions(cls, value: list[str] | dict[str, Any]) -> list[str] | dict[str, Any]:
        unknown = sorted(set(value) - PERMISSIONS)
        if unknown:
            raise ValueError(f"unknown action(s) {unknown}; expected some of: {', '.join(sorted(PERMISSIONS))}")
        return value
