"""Synthetic results directories and contexts, generated once per test session."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from analysis.context import Context, build_context
from analysis.dataset import read_dataset
from testkit.synthetic import SyntheticSpec, generate


@pytest.fixture(scope="session")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Path]:
    """scenario (+ SyntheticSpec fields) -> a generated results dir (shared: do not modify)."""
    made: dict[tuple[str, tuple[tuple[str, object], ...]], Path] = {}

    def make(scenario: str, **fields: object) -> Path:
        key = (scenario, tuple(sorted(fields.items())))
        if key not in made:
            out = tmp_path_factory.mktemp(scenario.replace(".", "_"))
            made[key] = generate(out, SyntheticSpec(scenario=scenario, **fields))
        return made[key]

    return make


@pytest.fixture(scope="session")
def context_of(synthetic: Callable[..., Path]) -> Callable[[str], Context]:
    built: dict[str, Context] = {}

    def make(scenario: str) -> Context:
        if scenario not in built:
            built[scenario] = build_context(read_dataset(synthetic(scenario)))
        return built[scenario]

    return make


@pytest.fixture
def copy_of(synthetic: Callable[..., Path], tmp_path: Path) -> Callable[[str], Path]:
    """A private copy of a scenario's results dir, safe to damage."""

    copies = iter(range(1000))

    def make(scenario: str) -> Path:
        return Path(shutil.copytree(synthetic(scenario), tmp_path / f"{scenario}-{next(copies)}"))

    return make
