"""The floor plan (docs/architecture.md), enforced.

Apps are stacked in ``LAYERS``: a module may import its own app and the apps listed before
it, never one listed after it. Project code is imported at the top of a module, never inside
a function (those imports hid the upward arrows), and no two modules import each other, even
through others. Tests (``tests/`` folders) may import anything: they set up whole scenarios.

Run ``python tests/test_layers.py`` to print every violation without pytest.
"""

import ast
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "cartera"

# Bottom first. The timeline sits below orgs: it names every model it points to by string,
# and every app, orgs included, writes to it. Names without a package yet (fiscal, agreements, cases, api) hold their
# place so that the order is decided before the code arrives.
LAYERS = [
    "lib",
    "timeline",
    "orgs",
    "customers",
    "invoices",
    "payments",
    "fiscal",
    "agreements",
    "followup",
    "outreach",
    "dunning",
    "imports",
    "cases",
    "bulletins",
    "portal",
    "reports",
    "api",
    "web",
    "testing",
    "ops",
]

# Modules directly under cartera/ belong to the project's top floor.
PROJECT_MODULES = {"settings", "urls", "wsgi", "cli", "__init__"}

# Function-level imports of project code that are allowed, with the reason for each.
# (module path relative to cartera/, imported module): reason
ALLOWED_FUNCTION_IMPORTS: dict[tuple[str, str], str] = {
    # Signal receivers may connect only once the app registry is ready (AppConfig.ready).
    ("outreach/apps.py", "cartera.outreach"): "anymail's tracking signal receiver",
    ("outreach/apps.py", "cartera.outreach.webhooks"): "anymail's tracking signal receiver",
    # Outgoing webhooks hear every new timeline entry (ADR 0005: a signal connected in the
    # higher app's ready()).
    ("api/apps.py", "cartera.api"): "the timeline's post_save receiver (webhooks)",
    ("api/apps.py", "cartera.api.webhooks"): "the timeline's post_save receiver (webhooks)",
}


def app_of(path: Path) -> str:
    relative = path.relative_to(ROOT)
    if len(relative.parts) == 1:
        return "ops" if relative.stem in PROJECT_MODULES else relative.stem
    return relative.parts[0]


def layer_of(app: str) -> int:
    return LAYERS.index(app) if app in LAYERS else len(LAYERS)


def module_name(path: Path) -> str:
    parts = ("cartera", *path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def is_test(path: Path) -> bool:
    return "tests" in path.relative_to(ROOT).parts or path.name == "conftest.py"


def app_modules() -> list[Path]:
    return sorted(
        path
        for path in ROOT.rglob("*.py")
        if "migrations" not in path.parts and "static" not in path.parts and not is_test(path)
    )


def resolve(node: ast.ImportFrom, path: Path) -> str:
    if node.level == 0:
        return node.module or ""
    package = module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    base = package[: len(package) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def imports_of(path: Path):
    """(imported module, line, inside a function?) for every import of project code."""
    tree = ast.parse(path.read_text())
    in_function = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            in_function.update(
                id(sub) for sub in ast.walk(node) if isinstance(sub, ast.Import | ast.ImportFrom)
            )
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = resolve(node, path)
            names = [base]
            # "from cartera.x import y" may name a module y
            names += [f"{base}.{alias.name}" for alias in node.names if base]
        else:
            continue
        for name in names:
            yield name, node.lineno, id(node) in in_function


def upward_imports() -> list[str]:
    found = []
    for path in app_modules():
        source = app_of(path)
        for name, line, _ in imports_of(path):
            parts = name.split(".")
            if parts[0] != "cartera" or len(parts) < 2:
                continue
            target = parts[1]
            if target == source or not (ROOT / target).exists():
                continue
            if layer_of(target) > layer_of(source):
                found.append(f"{path.relative_to(ROOT)}:{line} {source} → {target}")
    return sorted(set(found))


def function_imports() -> list[str]:
    found = []
    for path in app_modules():
        relative = str(path.relative_to(ROOT))
        for name, line, inside in imports_of(path):
            if not inside or not name.startswith("cartera"):
                continue
            if (relative, name) in ALLOWED_FUNCTION_IMPORTS:
                continue
            found.append(f"{relative}:{line} imports project code inside a function")
    return sorted(set(found))


def module_graph() -> dict[str, set[str]]:
    known = {module_name(path): path for path in app_modules()}
    graph = defaultdict(set)
    for name, path in known.items():
        for imported, _, _ in imports_of(path):
            if imported in known and imported != name:
                graph[name].add(imported)
    return graph


def reachable(graph: dict[str, set[str]], start: str) -> set[str]:
    seen, stack = set(), [start]
    while stack:
        for nxt in graph.get(stack.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return seen


def import_cycles() -> list[str]:
    """Groups of modules that import each other, directly or through others, counting
    imports inside functions too: hoisting them must not be what breaks a cycle open."""
    graph = module_graph()
    reach = {node: reachable(graph, node) for node in graph}
    cycles = set()
    for node, targets in reach.items():
        group = {other for other in targets if node in reach.get(other, ())}
        if group:
            cycles.add(" ↔ ".join(sorted(group | {node})))
    return sorted(cycles)


def test_no_app_imports_an_app_above_it():
    assert upward_imports() == []


def test_no_project_imports_inside_functions():
    assert function_imports() == []


def test_no_import_cycles_between_modules():
    assert import_cycles() == []


def test_every_app_has_a_place_in_the_order():
    apps = {
        path.name
        for path in ROOT.iterdir()
        if path.is_dir() and (path / "__init__.py").exists() and path.name not in {"locale"}
    }
    assert sorted(apps - set(LAYERS)) == []


if __name__ == "__main__":
    for title, rows in [
        ("upward imports", upward_imports()),
        ("function-level imports", function_imports()),
        ("import cycles", import_cycles()),
    ]:
        print(f"## {title}: {len(rows)}")
        print("\n".join(rows))
