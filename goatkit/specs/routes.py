"""The YAML route format (the Go GOTRS ``RouteGroup``): declared here, served by the router."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from goatkit.specs.base import SpecModel

HttpMethod = Literal["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]


class Metadata(SpecModel):
    name: str
    description: str = ""
    namespace: str = ""
    enabled: bool = True
    version: str = ""
    labels: dict[str, str] = {}


class RateLimit(SpecModel):
    requests: int = Field(ge=1)
    period: str = Field(pattern=r"^\d+(s|m|h)$")
    key: Literal["ip", "user", "ip+user"] = "ip"


class Route(SpecModel):
    path: str = Field(pattern=r"^/")
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
    params: dict[str, Any] = {}


class RouteGroupSpec(SpecModel):
    api_version: Literal["v1"] = Field(alias="apiVersion")
    kind: Literal["RouteGroup"]
    metadata: Metadata
    spec: RouteGroupBody


class RouteGroupBody(SpecModel):
    prefix: str = Field(default="", pattern=r"^(/.*)?$")
    middleware: list[str] = []
    routes: list[Route] = []


RouteGroupSpec.model_rebuild()
