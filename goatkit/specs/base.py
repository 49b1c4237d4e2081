"""Shared base of the spec models: unknown keys are errors, and errors suggest the key that was meant."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from goatkit.yamlfile import Document, Problem, YamlSyntaxError, load_documents

M = TypeVar("M", bound=BaseModel)


class SpecModel(BaseModel):
    """Base for spec models: strict about unknown keys, lenient about YAML's scalar types."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


def problems_from_validation(doc: Document, model: type[BaseModel], error: ValidationError) -> list[Problem]:
    """Turn a pydantic error into file:line:key problems, with "did you mean" for unknown keys."""
    problems = []
    for item in error.errors():
        loc = tuple(item["loc"])
        key = ".".join(str(part) for part in loc)
        message = item["msg"]
        if item["type"] == "extra_forbidden":
            message = "unknown key" + _suggestion(model, loc)
        elif item["type"] == "missing":
            message = "required key is missing"
        problems.append(Problem(str(doc.path), doc.line_of(loc), key, message))
    return problems


def _suggestion(model: type[BaseModel], loc: tuple[Any, ...]) -> str:
    target = _model_at(model, loc[:-1])
    if target is None:
        return ""
    known = list(target.model_fields) + [f.alias for f in target.model_fields.values() if f.alias]
    close = difflib.get_close_matches(str(loc[-1]), known, n=1)
    return f"; did you mean '{close[0]}'?" if close else f"; expected one of: {', '.join(sorted(known))}"


def _model_at(model: type[BaseModel], loc: tuple[Any, ...]) -> type[BaseModel] | None:
    current: type[BaseModel] | None = model
    for part in loc:
        if isinstance(part, int):
            continue
        field = current.model_fields.get(part) if current is not None else None
        if field is None:
            return None
        current = _inner_model(field.annotation)
    return current


def _inner_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


def read_specs(path: Path, model: type[M], *, shown: str = "") -> tuple[list[tuple[Document, M]], list[Problem]]:
    """Parse every document of ``path`` and validate it as ``model``.

    Returns the valid specs with their documents, and a problem for each syntax error, empty file, non-mapping
    document or validation error.  ``shown`` replaces the path in problems and documents (e.g. a relative path).
    ``FileNotFoundError`` propagates: a file deleted meanwhile is the caller's business.

    Example::

        specs, problems = read_specs(Path("modules/priority.yaml"), ModuleSpec)
    """
    where = shown or str(path)
    try:
        documents = load_documents(path)
    except YamlSyntaxError as exc:
        problem = exc.problem
        return [], [Problem(where, problem.line, problem.key, problem.message)]
    except FileNotFoundError:
        raise
    except OSError as exc:
        return [], [Problem(where, 1, "", f"cannot be read ({exc.strerror})")]
    if not documents:
        return [], [Problem(where, 1, "", "the file is empty")]
    specs: list[tuple[Document, M]] = []
    problems: list[Problem] = []
    for doc in documents:
        doc.path = Path(where)
        if not isinstance(doc.data, dict):
            problems.append(Problem(where, doc.start_line, "", "expected a mapping at the top level"))
            continue
        try:
            specs.append((doc, model.model_validate(doc.data)))
        except ValidationError as exc:
            problems.extend(problems_from_validation(doc, model, exc))
    return specs, problems
