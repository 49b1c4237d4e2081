"""The YAML route format (the Go GOTRS ``RouteGroup``): declared here, served by :mod:`goatkit.routing`.

This model checks the shape of a file (keys, types); whether the names in it resolve (handlers, middleware tokens,
templates) and whether two routes collide is checked by the route loader at start-up, which knows the registries.

Example::

    apiVersion: v1
    kind: RouteGroup
    metadata: {name: orders}
    spec:
      prefix: /orders
      middleware: [auth]
      routes:
        - path: /:id
          handler: orders.show
          params: {id: {type: int}}
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from goatkit.specs.base import SpecModel

HttpMethod = Literal["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]

#: A path or prefix: starts with ``/``; parameters are ``:name`` segments (Flask's ``<...>`` is not accepted).
PATH_PATTERN = r"^/[^<>]*$"


class Metadata(SpecModel):
    name: str
    description: str = ""
    namespace: str = ""
    enabled: bool = True
    version: str = ""
    labels: dict[str, str] = {}


class RateLimit(SpecModel):
    """At most ``requests`` per ``period`` (``30s``, ``5m``, ``1h``), counted per client ``key``."""

    requests: int = Field(ge=1)
    period: str = Field(pattern=r"^[1-9]\d*(s|m|h)$")
    key: Literal["ip", "user", "ip+user"] = "ip"


class RouteParam(SpecModel):
    """The type of a ``:name`` path segment; a value that does not fit answers 404."""

    type: Literal["string", "int", "float", "uuid", "path"] = "string"


class Route(SpecModel):
    path: str = Field(pattern=PATH_PATTERN)
    method: HttpMethod | list[HttpMethod] = "GET"
    handler: str = ""
    handlers: dict[HttpMethod, str] = {}
    template: str = ""
    middleware: list[str] = []
    description: str = ""
    name: str = ""
    redirect_to: str = Field(default="", alias="redirectTo")
    status: int | None = Field(default=None, ge=300, le=399)
    rate_limit: RateLimit | None = Field(default=None, alias="rateLimit")
    params: dict[str, RouteParam] = {}


class RouteGroupSpec(SpecModel):
    api_version: Literal["v1"] = Field(alias="apiVersion")
    kind: Literal["RouteGroup"]
    metadata: Metadata
    spec: RouteGroupBody


class RouteGroupBody(SpecModel):
    prefix: str = Field(default="", pattern=r"^(/[^<>]*)?$")
    middleware: list[str] = []
    routes: list[Route] = []


RouteGroupSpec.model_rebuild()
