"""A demo results store built by the real pipeline: mock models, the runner, the default judge."""

from __future__ import annotations

import pytest
from report_demo import Demo, load_demo_script


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    results = tmp_path_factory.mktemp("demo")
    store, run_ids = load_demo_script().build_demo(results, sample=60)
    return Demo(results, store, run_ids)
