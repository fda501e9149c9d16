"""The layout's rules (docs/architecture.md), checked on the source so that they stay true:
no import circles, the engine never imports the bot, settings read in the config
modules only, the queue store touched through the client only, small modules."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from tests.support.workers import REPO

PACKAGES = ("bot", "engine")
MAX_LINES = 400
TEXT_CATALOGUES = "bot.texts."  # one module per language; bot.texts itself is code


def modules() -> dict[str, Path]:
    """Every product module: dotted name → file."""
    found = {}
    for package in PACKAGES:
        for path in sorted((REPO / package).rglob("*.py")):
            parts = list(path.relative_to(REPO).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def imports(name: str, path: Path, known: set[str]) -> set[str]:
    """The product modules ``name`` imports (at any depth of its code)."""
    found = set()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text())):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[:len(package.split(".")) - node.level + 1]
                                + ([base] if base else []))
            submodules = [f"{base}.{alias.name}" for alias in node.names]
            # ``from engine.queue import keys`` imports the module, not the package's names
            targets = [m for m in submodules if m in known] or [base]
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def import_graph() -> dict[str, set[str]]:
    mods = modules()
    return {name: imports(name, path, set(mods)) for name, path in mods.items()}


def test_no_import_circles():
    graph = import_graph()
    # A package's __init__ re-exporting its modules is not a circle of meaning:
    # a module importing its own package's __init__ is what would make one.
    state: dict[str, int] = {}
    circles = []

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if nxt in stack and not (stack[-1].startswith(nxt + ".") and nxt in PACKAGES):
                circles.append(stack[stack.index(nxt):] + [nxt])
            elif state.get(nxt) is None:
                visit(nxt, stack + [nxt])
        state[node] = 2

    for start in sorted(graph):
        if state.get(start) is None:
            visit(start, [start])
    assert circles == []


def test_the_engine_never_imports_the_bot():
    graph = import_graph()
    wrong = {m: sorted(d for d in deps if d.split(".")[0] == "bot")
             for m, deps in graph.items() if m.split(".")[0] == "engine"}
    assert {m: d for m, d in wrong.items() if d} == {}


def environment_reads(path: Path) -> list[int]:
    """Lines that read a variable: os.environ.get(...), os.environ[...], os.getenv(...)."""
    lines = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = ast.unparse(node.func.value)
            if (owner == "os.environ" and node.func.attr == "get") or \
                    ast.unparse(node.func) == "os.getenv":
                lines.append(node.lineno)
        if isinstance(node, ast.Subscript) and ast.unparse(node.value) == "os.environ" \
                and isinstance(node.ctx, ast.Load):
            lines.append(node.lineno)
    return lines


def test_settings_are_read_in_the_config_modules_only():
    """engine.config reads the engine's variables (the bot shares them), bot.config
    the bot's own; every other module is handed its settings."""
    readers = {name for name, path in modules().items() if environment_reads(path)}
    assert readers == {"engine.config", "bot.config"}


def test_only_the_queue_client_touches_the_store():
    """The one door: key names and huey's storage stay inside engine.queue."""
    graph = import_graph()
    users = {m for m, deps in graph.items()
             if deps & {"engine.queue.keys", "engine.queue.store"}}
    assert users <= {"engine.queue", "engine.queue.client", "engine.queue.keys"}
    for name, path in modules().items():
        if not name.startswith("engine.queue"):
            assert ".storage" not in path.read_text(), name


def test_no_product_module_is_over_400_lines():
    """Text catalogues (``bot.texts.en``, ``bot.texts.es``) are data, not code: exempt."""
    long = {name: n for name, path in modules().items()
            if (n := len(path.read_text().splitlines())) > MAX_LINES
            and not name.startswith(TEXT_CATALOGUES)}
    assert long == {}


def test_the_bot_never_imports_keras():
    """The bot starts in under 2 s and stays small: Keras loads in the workers only."""
    code = ("import sys, bot.app, bot.handlers, bot.jobs, engine.queue; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('keras', 'tensorflow', 'jax')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, check=True)
    assert out.stdout.strip() == "[]"


# The engine's shelves (docs/architecture.md, "engine/"): each may use those named
# here and the shared vocabulary at the top (config, errors, params, queue), no other.
SHELF_USES = {
    "engine.media": set(),
    "engine.catalogue": {"engine.media"},
    "engine.core": {"engine.media"},
    "engine.clip": {"engine.media", "engine.core"},
    "engine.look": {"engine.media", "engine.catalogue", "engine.core"},
    "engine.worker": {"engine.media", "engine.catalogue", "engine.core", "engine.clip",
                      "engine.look"},
    "engine.cli": {"engine.media", "engine.catalogue", "engine.core", "engine.clip",
                   "engine.look", "engine.worker"},
}


def test_the_engines_shelves_build_on_each_other_one_way():
    def shelf(module: str) -> str | None:
        return next((s for s in SHELF_USES if module == s or module.startswith(s + ".")), None)

    wrong = {}
    for module, deps in import_graph().items():
        if (own := shelf(module)) is None:
            continue
        crossing = sorted(d for d in deps if (other := shelf(d)) not in (None, own)
                          and other not in SHELF_USES[own])
        if crossing:
            wrong[module] = crossing
    assert wrong == {}
