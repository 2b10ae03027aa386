"""The layers of DESIGN.md are enforced by import-linter, and docs/architecture.md is drawn
from the same contract and the code: both are checked here so neither can drift."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")

sys.path.insert(0, str(ROOT / "scripts"))
import architecture  # noqa: E402


def _lint_imports(cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"], cwd=cwd, capture_output=True, text=True, check=False
    )


@pytest.fixture
def tree_copy(tmp_path):
    """apps/ and pyproject.toml copied aside, so a test can break the layers safely."""
    shutil.copytree(ROOT / "apps", tmp_path / "apps", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_the_tree_keeps_its_layers():
    result = _lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


def test_an_upward_import_fails_the_layers_contract(tree_copy):
    # given a low app (billing) that imports an app above it (leads)
    probe = tree_copy / "apps" / "billing" / "probe_upward.py"
    probe.write_text("from apps.leads import models  # an upward import\n")

    # when the contracts run
    result = _lint_imports(tree_copy)

    # then they fail and name the offending import
    assert result.returncode == 1
    assert "apps.billing is not allowed to import apps.leads" in result.stdout
    assert "apps.billing.probe_upward -> apps.leads.models" in result.stdout


def test_core_may_import_no_app(tree_copy):
    (tree_copy / "apps" / "core" / "probe_upward.py").write_text("import apps.tenants.models\n")

    result = _lint_imports(tree_copy)

    assert result.returncode == 1
    assert "apps.core is not allowed to import apps.tenants" in result.stdout


def test_the_architecture_document_matches_the_tree():
    out_of_date = architecture.stale(architecture.generate())
    assert out_of_date == [], "run: python scripts/architecture.py"


def test_every_app_says_what_it_owns():
    for layer in architecture.read_layers():
        for app in layer.apps:
            assert not architecture.app_summary(app).startswith("(no docstring"), app
