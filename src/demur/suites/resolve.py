"""Turning a suite spec ("noncompliance,contrast", "coconot:PATH") into prompts."""

from __future__ import annotations

from collections.abc import Callable
from importlib import resources
from pathlib import Path

from demur.registry import LazyRegistry
from demur.suites.errors import SuiteFormatError
from demur.suites.jsonl import load_jsonl_suite, parse_prompts
from demur.suites.model import Prompt, Suite

SuiteLoader = Callable[[Path], Suite]

loaders: LazyRegistry[SuiteLoader] = LazyRegistry("suite loader", "demur.suite_loaders")
loaders.add("jsonl", "demur.suites.jsonl:load_jsonl_suite")


def builtin_suite_names() -> list[str]:
    folder = resources.files("demur.suites").joinpath("builtin")
    return sorted(
        p.name.removesuffix(".jsonl") for p in folder.iterdir() if p.name.endswith(".jsonl")
    )


def load_builtin_suite(name: str) -> Suite:
    """A suite shipped with demur, by name."""
    if name not in builtin_suite_names():
        known = ", ".join(builtin_suite_names())
        loader_names = ", ".join(loaders.names())
        raise KeyError(f"unknown suite {name!r}; built-in suites: {known}; loaders: {loader_names}")
    resource = resources.files("demur.suites").joinpath("builtin", f"{name}.jsonl")
    text = resource.read_text("utf-8")
    return Suite(
        name=name,
        prompts=tuple(parse_prompts(text, f"demur/suites/builtin/{name}.jsonl", name)),
        source=f"builtin:{name}",
    )


def load_suite(spec: str) -> Suite:
    """One suite from a built-in name, LOADER:PATH, or a path to a demur JSONL file."""
    loader_name, sep, path = spec.partition(":")
    if sep and loader_name in loaders.names():
        file = Path(path)
        if not file.is_file():
            raise SuiteFormatError(path, None, f"no such file (for loader {loader_name!r})")
        return loaders.get(loader_name)(file)
    if spec.endswith(".jsonl") and Path(spec).is_file():
        return load_jsonl_suite(spec)
    return load_builtin_suite(spec)


def resolve_prompts(spec: str) -> list[Prompt]:
    """Prompts of every suite in a comma-separated spec, in order; ids must be unique."""
    prompts: list[Prompt] = []
    seen: set[tuple[str, str]] = set()
    for part in (p.strip() for p in spec.split(",")):
        if not part:
            continue
        suite = load_suite(part)
        for prompt in suite.prompts:
            key = (prompt.suite, prompt.id)
            if key in seen:
                raise SuiteFormatError(suite.source, None, f"duplicate prompt id {prompt.id!r}")
            seen.add(key)
            prompts.append(prompt)
    return prompts
