"""Reading a JSON request body field by field: every missing, blank, non-text or too long field is named.

Example::

    fields, errors = read_fields({"login": 200, "password": 1024})
    if errors:
        return validation_error(errors)     # 422 {"error": {"message": "login is required.", "fields": {...}}}
"""

from __future__ import annotations

from flask import Response, g, jsonify, request


def read_fields(limits: dict[str, int]) -> tuple[dict[str, str], dict[str, str]]:
    """The text fields named in ``limits`` (name -> longest length) and the problems found, by field."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return {}, {"body": "must be a JSON object"}
    fields: dict[str, str] = {}
    errors: dict[str, str] = {}
    for name, longest in limits.items():
        value = body.get(name)
        if value is None:
            errors[name] = "is required"
        elif not isinstance(value, str):
            errors[name] = "must be a string"
        elif not value.strip():
            errors[name] = "must not be blank"
        elif len(value) > longest:
            errors[name] = f"must be at most {longest} characters"
        else:
            fields[name] = value
    return fields, errors


def validation_error(errors: dict[str, str]) -> Response:
    """422 naming the first problem in the message and every problem in ``fields``."""
    name, problem = next(iter(errors.items()))
    message = f"The request {problem}." if name == "body" else f"{name} {problem}."
    response = jsonify(error={"status": 422, "message": message, "fields": errors, "ref": g.get("request_id", "-")})
    response.status_code = 422
    return response
