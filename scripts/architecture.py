"""Draw the app layers from the code: docs/architecture.md and one picture per layer.

The layers are read from the import-linter contract in pyproject.toml (the same list that
`lint-imports` enforces), the imports from the code (grimp, import-linter's engine), and each
app's paragraph from the docstring of its `apps/<app>/__init__.py`. So the document cannot
drift from the tree: `python scripts/architecture.py --check` (run by the test suite) fails
when a regenerated file differs from the committed one.

    python scripts/architecture.py          # write docs/architecture.md and docs/architecture/*
    python scripts/architecture.py --check  # exit 1 if anything is out of date
"""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
import tomllib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
PICTURES = DOCS / "architecture"
SKIPPED_PARTS = {"tests", "migrations", "management"}


@dataclass(frozen=True)
class Layer:
    number: int  # 0 = ground floor
    apps: tuple[str, ...]  # only the apps that exist in the tree


def read_layers(root: Path = ROOT) -> list[Layer]:
    """The layers contract of pyproject.toml, bottom first, without apps not yet built."""
    config = tomllib.loads((root / "pyproject.toml").read_text())
    contracts = config["tool"]["importlinter"]["contracts"]
    [contract] = [c for c in contracts if c["type"] == "layers"]
    layers = []
    for line in reversed(contract["layers"]):
        names = [part.strip().strip("()").removeprefix("apps.") for part in re.split("[|:]", line)]
        present = tuple(sorted(n for n in names if (root / "apps" / n / "__init__.py").exists()))
        if present:
            layers.append(Layer(len(layers), present))
    return layers


def _product_module(module: str) -> bool:
    return not SKIPPED_PARTS & set(module.split("."))


def _unit(module: str) -> str:
    """apps.leads.ingestion.writer -> apps.leads.ingestion: a picture shows each app's
    top-level modules and packages."""
    return ".".join(module.split(".")[:3])


def app_of(module: str) -> str:
    return module.split(".")[1]


def import_counts(graph) -> tuple[Counter, Counter]:
    """(app -> app) and (unit -> unit) counts of import statements between product modules."""
    apps, units = Counter(), Counter()
    for importer in sorted(graph.modules):
        if not (importer.startswith("apps.") and _product_module(importer)):
            continue
        for imported in graph.find_modules_directly_imported_by(importer):
            if not (imported.startswith("apps.") and _product_module(imported)):
                continue
            if len(imported.split(".")) < 3 or len(importer.split(".")) < 3:
                continue
            if app_of(importer) != app_of(imported):
                apps[(app_of(importer), app_of(imported))] += 1
            if _unit(importer) != _unit(imported):
                units[(_unit(importer), _unit(imported))] += 1
    return apps, units


def app_summary(app: str, root: Path = ROOT) -> str:
    doc = ast.get_docstring(ast.parse((root / "apps" / app / "__init__.py").read_text()))
    return " ".join((doc or f"(no docstring in apps/{app}/__init__.py)").split())


def _quote(text: str) -> str:
    return '"' + text.replace('"', r"\"") + '"'


def overview_dot(layers: list[Layer], apps: Counter) -> str:
    rank = {app: layer.number for layer in layers for app in layer.apps}
    lines = [
        "digraph layers {",
        '  graph [rankdir=TB, newrank=true, fontname="Helvetica", nodesep=0.5, ranksep=0.5];',
        '  node [shape=box, style="rounded,filled", fillcolor="#eef4ff", fontname="Helvetica"];',
        '  edge [color="#7a869a", fontname="Helvetica", fontsize=9];',
    ]
    for layer in layers:
        lines.append(f"  subgraph cluster_layer{layer.number} {{")
        lines.append(f'    label="layer {layer.number}"; style=dashed; color="#b0b8c4";')
        lines.append("    rank=same;")
        lines += [f"    {_quote(app)};" for app in layer.apps]
        lines.append("  }")
    # invisible edges stack the layers: the top layer first, the ground floor last
    for upper, lower in zip(reversed(layers[1:]), reversed(layers[:-1]), strict=True):
        for app in upper.apps:
            lines.append(f"  {_quote(app)} -> {_quote(lower.apps[0])} [style=invis];")
    for src, dst in sorted(apps):
        upward = rank.get(dst, -1) > rank.get(src, -1)
        sideways = rank.get(dst, -1) == rank.get(src, -1)
        colour = ', color="#d1242f", fontcolor="#d1242f"' if upward else ""
        if upward or sideways:
            colour += ", constraint=false"  # keep the layers stacked in the picture
        lines.append(f"  {_quote(src)} -> {_quote(dst)} [{colour.lstrip(', ')}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def layer_dot(layer: Layer, apps: Counter, units: Counter) -> str:
    """One layer: each of its apps as a card listing its modules, and the apps below that it
    imports."""
    mine = set(layer.apps)
    lines = [
        f"digraph layer{layer.number} {{",
        '  graph [rankdir=TB, fontname="Helvetica", nodesep=0.4, ranksep=0.7];',
        '  node [shape=plaintext, fontname="Helvetica", fontsize=10];',
        '  edge [color="#7a869a", fontname="Helvetica", fontsize=9];',
    ]
    modules: dict[str, set[str]] = {app: set() for app in layer.apps}
    for src, dst in units:
        for unit in (src, dst):
            if app_of(unit) in mine:
                modules[app_of(unit)].add(unit.split(".")[2])
    for app in layer.apps:
        lines.append(f"  {_quote(app)} [label=<{_card(app, sorted(modules[app]))}>];")
    below = sorted({dst for (src, dst) in apps if src in mine and dst not in mine})
    for app in below:
        lines.append(
            f'  {_quote(app)} [shape=box, style="rounded,filled", fillcolor="#f1f3f5",'
            f' label="apps.{app}"];'
        )
    for src, dst in sorted(apps):
        if src in mine:
            lines.append(f"  {_quote(src)} -> {_quote(dst)};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _card(app: str, modules: list[str], per_row: int = 4) -> str:
    """An HTML-like Graphviz table: the app's name, then its modules four to a row."""
    rows = [modules[i : i + per_row] for i in range(0, len(modules), per_row)] or [[]]
    header = (
        f'<TR><TD COLSPAN="{per_row}" BGCOLOR="#4c6ef5"><FONT COLOR="white">'
        f"<B>apps.{app}</B></FONT></TD></TR>"
    )
    body = "".join(
        "<TR>"
        + "".join(f"<TD>{name}</TD>" for name in row)
        + "<TD></TD>" * (per_row - len(row))
        + "</TR>"
        for row in rows
    )
    return (
        '<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="4" BGCOLOR="#eef4ff">'
        f"{header}{body}</TABLE>"
    )


def markdown(layers: list[Layer], apps: Counter) -> str:
    names = {layer.number: ", ".join(layer.apps) for layer in layers}
    out = [
        "# Architecture: the app layers",
        "",
        "<!-- Generated by scripts/architecture.py from pyproject.toml's import-linter contract,",
        "     the imports in apps/ and each app's docstring. Do not edit by hand. -->",
        "",
        "Fast Lead is one Django project split into apps stacked in layers. An app imports only",
        "from the apps below it; `lint-imports` (contracts in `pyproject.toml`) fails CI on an",
        "upward import. When a lower app must make something happen above it, it emits a typed",
        "domain event (`apps/core/events.py`) or calls a registry the upper app filled at",
        "start-up (payment purposes, tenant limits, navigation, beat schedules). An app's start-up",
        "registrations are `connect()` of its `apps/<app>/wiring.py`; `apps/core/wiring.py` runs",
        "them all in INSTALLED_APPS order. Arrows point from the importer to the imported app.",
        "",
        "![The layers](architecture/layers.svg)",
        "",
        "| layer | apps |",
        "| --- | --- |",
    ]
    out += [f"| {layer.number} | {names[layer.number]} |" for layer in reversed(layers)]
    for layer in reversed(layers):
        out += ["", f"## Layer {layer.number}: {names[layer.number]}", ""]
        for app in layer.apps:
            uses = sorted({dst for (src, dst) in apps if src == app})
            used = ", ".join(f"`{u}`" for u in uses) or "no other app"
            out.append(f"**`apps/{app}`** (imports {used}). {app_summary(app)}")
            out.append("")
        out.append(f"![Layer {layer.number}](architecture/layer-{layer.number}.svg)")
    return "\n".join(out) + "\n"


def generate(root: Path = ROOT) -> dict[Path, str]:
    """Every generated text file, by path (the SVGs are rendered from the .dot files)."""
    layers = read_layers(root)
    graph = grimp.build_graph("apps", cache_dir=None)
    apps, units = import_counts(graph)
    files = {
        DOCS / "architecture.md": markdown(layers, apps),
        PICTURES / "layers.dot": overview_dot(layers, apps),
    }
    for layer in layers:
        files[PICTURES / f"layer-{layer.number}.dot"] = layer_dot(layer, apps, units)
    return files


def stale(files: dict[Path, str]) -> list[Path]:
    return [p for p, text in files.items() if not p.exists() or p.read_text() != text]


def write(files: dict[Path, str]) -> None:
    PICTURES.mkdir(parents=True, exist_ok=True)
    for old in PICTURES.glob("layer-*.*"):
        if old.with_suffix(".dot") not in files:
            old.unlink()
    dot = shutil.which("dot")
    for path, text in files.items():
        path.write_text(text)
        if path.suffix == ".dot":
            if dot is None:
                print(f"note: Graphviz `dot` not found; {path.name} not rendered", file=sys.stderr)
                continue
            svg = path.with_suffix(".svg")
            subprocess.run([dot, "-Tsvg", str(path), "-o", str(svg)], check=True)  # noqa: S603


def main(argv: list[str]) -> int:
    sys.path.insert(0, str(ROOT))
    files = generate()
    if "--check" in argv:
        out_of_date = stale(files)
        for path in out_of_date:
            print(f"out of date: {path.relative_to(ROOT)}", file=sys.stderr)
        if out_of_date:
            print("run: python scripts/architecture.py", file=sys.stderr)
        return 1 if out_of_date else 0
    write(files)
    print(f"wrote {len(files)} files under docs/")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
