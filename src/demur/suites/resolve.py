"""Turning a suite spec ("noncompliance,contrast", "coconot:PATH") into prompts.

A loader spec may carry options after the path: `table:data.csv?text=question&category=cat`.
Each option is a keyword argument of the loader; an unknown one is an error naming the known.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from urllib.parse import parse_qsl

from demur.registry import LazyRegistry
from demur.suites.errors import SuiteFormatError
from demur.suites.jsonl import load_jsonl_suite, parse_prompts
from demur.suites.model import Prompt, Suite

# Called as loader(path, **options); options are strings from the spec's query part.
SuiteLoader = Callable[..., Suite]

loaders: LazyRegistry[SuiteLoader] = LazyRegistry("suite loader", "demur.suite_loaders")
loaders.add("jsonl", "demur.suites.jsonl:load_jsonl_suite")
loaders.add("coconot", "demur.suites.loaders.coconot:load_coconot")
loaders.add("xstest", "demur.suites.loaders.xstest:load_xstest")
loaders.add("jailbreakbench", "demur.suites.loaders.jailbreakbench:load_jailbreakbench")
loaders.add("table", "demur.suites.loaders.table:load_table")


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
    loader_name, sep, rest = spec.partition(":")
    if sep and loaders.knows(loader_name):
        path, options = split_options(rest)
        file = Path(path)
        if not file.is_file():
            raise SuiteFormatError(path, None, f"no such file (for loader {loader_name!r})")
        loader = loaders.get(loader_name)
        _check_options(loader_name, loader, path, options)
        return loader(file, **options)
    if spec.endswith(".jsonl") and Path(spec).is_file():
        return load_jsonl_suite(spec)
    return load_builtin_suite(spec)


def split_options(rest: str) -> tuple[str, dict[str, str]]:
    """PATH and its options from "PATH?key=value&key=value" (a file named with '?' wins)."""
    path, sep, query = rest.partition("?")
    if not sep or Path(rest).is_file():
        return rest, {}
    try:
        pairs = parse_qsl(query, keep_blank_values=True, strict_parsing=True)
    except ValueError as exc:
        raise SuiteFormatError(
            path, None, f"bad options {query!r}: use key=value&key=value"
        ) from exc
    options: dict[str, str] = {}
    for key, value in pairs:
        if key in options:
            raise SuiteFormatError(path, None, f"option {key!r} is given twice")
        options[key] = value
    return path, options


def _check_options(name: str, loader: SuiteLoader, path: str, options: dict[str, str]) -> None:
    parameters = list(inspect.signature(loader).parameters.values())[1:]
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters):
        return
    known = [p.name for p in parameters]
    unknown = [key for key in options if key not in known]
    if unknown:
        raise SuiteFormatError(
            path,
            None,
            f"unknown option(s) {', '.join(unknown)} for loader {name!r}; "
            f"known: {', '.join(known) or 'none'}",
        )


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
