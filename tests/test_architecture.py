"""The house's shape, read from the source: which module imports which (imports inside functions count too).

- ``portal/`` knows no domain package, except its composition root (the app factory, the CLI, the models
  registry and the demo data): packages register their pages, owner rules and jobs with it instead.
- No two modules import each other, directly or through others.
- No source file grows past ~450 lines.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("portal", "coaching", "vouchers")
DOMAIN_PACKAGES = ("coaching", "vouchers")
COMPOSITION_ROOT = ("portal", "portal.cli", "portal.models_registry", "portal.demo")
MAX_LINES = 450


def module_files(root: Path = ROOT) -> dict[str, Path]:
    modules = {}
    for package in PACKAGES:
        for path in (root / package).rglob("*.py"):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            modules[".".join(parts)] = path
    return modules


def imported_modules(module: str, path: Path, known: dict[str, Path]) -> set[str]:
    """The project's modules that ``module`` imports anywhere in its file, each resolved to the module file."""

    def resolve(name: str) -> str | None:
        while name and name not in known:
            name = name.rpartition(".")[0]
        return name or None

    is_package = path.name == "__init__.py"
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".") if is_package else module.split(".")[:-1]
                base = base[: len(base) - node.level + 1]
                prefix = ".".join(base + ([node.module] if node.module else []))
            else:
                prefix = node.module or ""
            # ``from pkg import submodule`` imports the submodule; ``from module import name`` the module.
            names = [f"{prefix}.{alias.name}" if f"{prefix}.{alias.name}" in known else prefix for alias in node.names]
        else:
            continue
        for name in names:
            target = resolve(name)
            if target and target != module:
                found.add(target)
    return found


def import_graph(root: Path = ROOT) -> dict[str, set[str]]:
    known = module_files(root)
    return {module: imported_modules(module, path, known) for module, path in known.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def in_composition_root(module: str) -> bool:
    return any(module == root or module.startswith(root + ".") for root in COMPOSITION_ROOT if root != "portal") \
        or module == "portal"


def portal_reaching_into_domains(graph: dict[str, set[str]]) -> dict[str, list[str]]:
    return {module: sorted(t for t in targets if t.split(".")[0] in DOMAIN_PACKAGES)
            for module, targets in graph.items()
            if module.split(".")[0] == "portal" and not in_composition_root(module)
            and any(t.split(".")[0] in DOMAIN_PACKAGES for t in targets)}


def test_portal_knows_no_domain_package_outside_its_composition_root():
    assert portal_reaching_into_domains(import_graph()) == {}


def test_no_import_cycle_between_modules():
    assert cycles(import_graph()) == []


def test_no_source_file_outgrows_one_room():
    long = {str(path.relative_to(ROOT)): count for path in module_files().values()
            if (count := len(path.read_text().splitlines())) > MAX_LINES}
    assert long == {}


# The checks must be able to fail: each is run on a small tree made for it.

def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    for package in PACKAGES:
        (tmp_path / package).mkdir(exist_ok=True)
        (tmp_path / package / "__init__.py").touch()
    return tmp_path


def test_an_import_inside_a_function_closes_a_cycle(tmp_path):
    root = _tree(tmp_path, {
        "coaching/a.py": "from coaching import b\n",
        "coaching/b.py": "def later():\n    from coaching.a import thing\n",
    })
    assert cycles(import_graph(root)) == [["coaching.a", "coaching.b"]]


def test_a_relative_import_and_a_package_import_are_followed(tmp_path):
    root = _tree(tmp_path, {
        "vouchers/x/__init__.py": "",
        "vouchers/x/one.py": "from . import two\n",
        "vouchers/x/two.py": "import vouchers.x.one\n",
    })
    assert cycles(import_graph(root)) == [["vouchers.x.one", "vouchers.x.two"]]


@pytest.mark.parametrize(("module", "allowed"), [("portal/mail.py", False), ("portal/cli.py", True),
                                                  ("portal/demo/money.py", True), ("portal/auth/views.py", False)])
def test_portal_importing_a_domain_package_is_seen(tmp_path, module, allowed):
    root = _tree(tmp_path, {module: "def f():\n    from vouchers import models\n", "vouchers/models.py": "",
                            "portal/demo/__init__.py": "", "portal/auth/__init__.py": ""})
    reaching = portal_reaching_into_domains(import_graph(root))
    assert (reaching == {}) is allowed
