"""The backend registry and model specs of the form BACKEND:NAME."""

from __future__ import annotations

from collections.abc import Callable

from pydantic import BaseModel, ConfigDict, Field

from demur.backends.base import Backend
from demur.registry import LazyRegistry


class BackendOptions(BaseModel):
    """Settings a backend may use; each backend reads the fields that concern it."""

    model_config = ConfigDict(frozen=True)

    base_url: str | None = None
    api_key_env: str = Field(
        default="OPENAI_API_KEY", description="Name of the environment variable holding the key."
    )
    timeout_s: float = Field(default=120.0, gt=0)
    max_retries: int = Field(default=4, ge=0)
    concurrency: int | None = Field(default=None, ge=1)
    n_threads: int | None = None
    n_ctx: int = 2048
    script: str | None = Field(default=None, description="Mock backend: a JSON or JSONL script.")


BackendFactory = Callable[[str, BackendOptions], Backend]

backends: LazyRegistry[BackendFactory] = LazyRegistry("backend", "demur.backends")
backends.add("llamacpp", "demur.backends.llamacpp:create")
backends.add("openai", "demur.backends.openai:create")
backends.add("hf", "demur.backends.hf:create", extra="hf")
backends.add("mock", "demur.backends.mock:create")


class ModelSpec(BaseModel):
    """A parsed BACKEND:NAME model spec."""

    model_config = ConfigDict(frozen=True)

    backend: str
    name: str

    def __str__(self) -> str:
        return f"{self.backend}:{self.name}"


def parse_model_spec(spec: str) -> ModelSpec:
    """Split BACKEND:NAME; a bare NAME means the embedded llamacpp default."""
    backend, sep, name = spec.partition(":")
    if not sep:
        raise ValueError(
            f"model spec {spec!r} has no backend; write BACKEND:NAME, e.g. llamacpp:default, "
            f"openai:gpt-4o-mini, hf:./my-model or mock:refuse"
        )
    if not backends.knows(backend):
        raise ValueError(
            f"unknown backend {backend!r} in {spec!r}; known: {', '.join(backends.names())}"
        )
    return ModelSpec(backend=backend, name=name or "default")


def create_backend(spec: str | ModelSpec, options: BackendOptions | None = None) -> Backend:
    """Build the backend a model spec names."""
    parsed = spec if isinstance(spec, ModelSpec) else parse_model_spec(spec)
    factory = backends.get(parsed.backend)
    return factory(parsed.name, options or BackendOptions())
