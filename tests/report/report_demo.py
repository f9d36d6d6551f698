"""The demo results store the report tests share, built by scripts/screenshot_report.py."""

from __future__ import annotations

import importlib.util
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]


def load_demo_script() -> ModuleType:
    """scripts/screenshot_report.py as a module, so tests build the very demo it renders."""
    name = "demur_screenshot_report"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / "screenshot_report.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@dataclass(frozen=True)
class Demo:
    results: Path
    store: Path
    run_ids: list[str]
