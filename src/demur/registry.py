"""Lazy registries: one per extension point, loaded on first use.

Built-in entries name a "module:attribute" target so heavy imports happen only when an entry is
used. Third parties add entries through the entry-point group given to the registry.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Generic, TypeVar

T = TypeVar("T")


class MissingExtraError(ImportError):
    """An entry needs an optional dependency that is not installed."""


@dataclass
class LazyRegistry(Generic[T]):
    """Maps stable names to factories, importing each only when it is asked for."""

    kind: str
    entry_point_group: str
    _targets: dict[str, tuple[str, str | None]] = field(default_factory=dict)

    def add(self, name: str, target: str, *, extra: str | None = None) -> None:
        """Register `target` ("module:attribute") under `name`; `extra` names the pip extra."""
        self._targets[name] = (target, extra)

    def names(self) -> list[str]:
        found = set(self._targets)
        found.update(ep.name for ep in entry_points(group=self.entry_point_group))
        return sorted(found)

    def knows(self, name: str) -> bool:
        """Whether `name` is registered; built-in names answer without scanning plugins."""
        return name in self._targets or name in self.names()

    def get(self, name: str) -> T:
        if name in self._targets:
            target, extra = self._targets[name]
            module_name, _, attribute = target.partition(":")
            try:
                module = importlib.import_module(module_name)
            except ImportError as exc:
                hint = f'pip install "demur[{extra}]"' if extra else "pip install demur"
                raise MissingExtraError(
                    f"the {self.kind} {name!r} needs a package that is missing ({exc.name}): "
                    f"run {hint}"
                ) from exc
            loaded: T = getattr(module, attribute)
            return loaded
        for ep in entry_points(group=self.entry_point_group):
            if ep.name == name:
                plugin: T = ep.load()
                return plugin
        raise KeyError(f"unknown {self.kind} {name!r}; known: {', '.join(self.names())}")
