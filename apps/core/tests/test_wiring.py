"""Start-up wiring (apps/core/wiring.py): every app's `wiring.connect()` ran, once, in
INSTALLED_APPS order, and no apps.py registers anything from an import inside `ready()`."""

import ast
import copy
from importlib import import_module
from pathlib import Path

from django.apps import apps as django_apps
from django.utils.module_loading import module_has_submodule

from apps.ai.providers import offline
from apps.core import events, navigation, personal_data, release_flags, schedules, wiring
from apps.core.wiring import connect_all, connected_apps, has_wiring
from apps.leads import panels

APPS_DIR = Path(__file__).resolve().parents[2]


def _our_configs():
    return [c for c in django_apps.get_app_configs() if c.name.startswith("apps.")]


def _registries():
    return copy.deepcopy(
        (
            dict(events._in_transaction),
            dict(events._after_commit),
            navigation._items,
            schedules._schedules,
            personal_data._registry,
            personal_data._retention,
            personal_data._processing_checks,
            release_flags._check,
            panels._panels,
            offline._handlers,
        )
    )


def test_every_wiring_module_was_connected_in_installed_apps_order():
    with_wiring = [c.name for c in _our_configs() if (Path(c.path) / "wiring.py").exists()]
    assert with_wiring[0] == "apps.core"
    assert connected_apps() == tuple(with_wiring)
    assert [c.name for c in _our_configs() if has_wiring(c)] == with_wiring


def test_each_apps_sidebar_links_and_schedules_are_registered():
    nav_keys = {item.key for item in navigation.nav_items()}
    registered = set(schedules.registered_schedules())
    for config in _our_configs():
        if module_has_submodule(config.module, "navigation") and config.name != "apps.core":
            nav = import_module(f"{config.name}.navigation").NAV
            assert {item.key for item in nav} <= nav_keys, config.name
        if module_has_submodule(config.module, "schedules") and config.name != "apps.core":
            declared = import_module(f"{config.name}.schedules").SCHEDULES
            assert set(declared) <= registered, config.name


def test_connect_all_again_registers_nothing_twice(monkeypatch):
    before = _registries()
    connected = connected_apps()
    connect_all()  # each app is connected once per process
    assert (_registries(), connected_apps()) == (before, connected)

    monkeypatch.setattr(wiring, "_connected", [])  # as if ready() ran a second time
    connect_all()
    assert connected_apps() == connected
    assert _registries() == before  # every registration is idempotent: no handler twice


def test_no_apps_py_imports_inside_a_function_and_only_core_has_ready():
    for path in sorted(APPS_DIR.rglob("apps.py")):
        tree = ast.parse(path.read_text())
        functions = [
            node
            for node in ast.walk(tree)
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        ]
        nested = [
            node.lineno
            for function in functions
            for node in ast.walk(function)
            if isinstance(node, ast.Import | ast.ImportFrom)
        ]
        assert nested == [], f"{path}: imports inside a function at lines {nested}"
        readies = [f.name for f in functions if f.name == "ready"]
        assert readies == ([] if path.parent.name != "core" else ["ready"]), path
