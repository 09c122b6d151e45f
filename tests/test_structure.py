"""The package's shape, checked so that it cannot erode: stages depend downwards (the
``[tool.importlinter]`` contract in pyproject.toml), only the web layer imports the web
framework, no two modules import each other at load time, and every import is a declared
dependency (deptry)."""

from __future__ import annotations

import ast
import importlib
import importlib.util
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "server"
PACKAGE = SOURCE / "spacekg"
WEB = {"flask", "werkzeug", "jinja2", "markupsafe"}
#: Modules that may import the web framework: the web layer and the entry points that run it.
WEB_ALLOWED = ("spacekg.http", "spacekg.app", "spacekg.serve", "spacekg.cli")


def module_name(path: Path) -> str:
    parts = path.relative_to(SOURCE).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imports(path: Path, *, load_time_only: bool) -> Iterator[str]:
    """Absolute names ``path`` imports; with ``load_time_only``, only those run when the
    module loads (not inside functions, nor under ``if TYPE_CHECKING``)."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]

    def walk(nodes: list[ast.stmt]) -> Iterator[str]:
        for node in nodes:
            if isinstance(node, ast.Import):
                yield from (alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                    base = f"{parent}.{base}" if base else parent
                yield base
                yield from (f"{base}.{alias.name}" for alias in node.names)
            elif load_time_only and isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            elif (load_time_only and isinstance(node, ast.If)
                  and "TYPE_CHECKING" in ast.unparse(node.test)):
                yield from walk(node.orelse)
            else:
                for field in ("body", "orelse", "finalbody", "handlers"):
                    children = getattr(node, field, None)
                    if isinstance(children, list):
                        yield from walk(children)

    yield from walk(ast.parse(path.read_text(), str(path)).body)


def test_stages_depend_only_downwards() -> None:
    """``lint-imports`` checks the layers contract in pyproject.toml against the source."""
    lint = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert lint, "import-linter is not installed (it is in the test extra)"
    done = subprocess.run(
        [lint, "--no-cache"], cwd=ROOT, capture_output=True, text=True,
        env={**os.environ, "PYTHONPATH": str(SOURCE)}, timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


def test_only_the_web_layer_imports_the_web_framework() -> None:
    offenders = {
        name: sorted(i for i in imports(path, load_time_only=False) if i.split(".")[0] in WEB)
        for name, path in modules().items()
        if not name.startswith(WEB_ALLOWED)
    }
    assert {name: found for name, found in offenders.items() if found} == {}


def test_no_two_modules_import_each_other_at_load_time() -> None:
    known = modules()
    graph = {
        name: {i for i in imports(path, load_time_only=True) if i in known and i != name}
        for name, path in known.items()
    }
    cycles: list[list[str]] = []
    state: dict[str, int] = {}  # 1 on the path, 2 done

    def visit(name: str, path: list[str]) -> None:
        state[name] = 1
        for other in sorted(graph[name]):
            if state.get(other) == 1:
                cycles.append([*path[path.index(other):], other])
            elif other not in state:
                visit(other, [*path, other])
        state[name] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert cycles == []


def test_every_import_is_a_declared_dependency() -> None:
    """deptry: nothing the package imports is missing from (or only in an extra of) the
    project's dependencies, and nothing declared goes unused."""
    deptry = shutil.which("deptry", path=str(Path(sys.executable).parent))
    assert deptry, "deptry is not installed (it is in the test extra)"
    done = subprocess.run([deptry, "server/spacekg"], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.slow
def test_a_plain_install_imports_every_module(tmp_path: Path) -> None:
    """``pip install .`` without extras gives an environment in which every module of the
    package imports (an undeclared dependency would fail here, not in a server's worker)."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", str(ROOT)],
        capture_output=True, text=True, timeout=900,
    )
    assert install.returncode == 0, install.stdout + install.stderr
    names = sorted(modules())
    script = "import importlib, sys\nfor name in sys.argv[1:]:\n    importlib.import_module(name)\n"
    done = subprocess.run([str(python), "-c", script, *names], cwd=tmp_path,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr


def test_every_document_the_code_cites_is_in_the_repository() -> None:
    cited = re.compile(r"(?<![\w./-])((?:[\w-]+/)*[A-Za-z][\w-]*\.md)\b")
    files = [p for p in PACKAGE.rglob("*") if p.suffix in {".py", ".rq", ".html"}]
    missing = {
        (str(path.relative_to(ROOT)), name)
        for path in files
        for name in cited.findall(path.read_text())
        if not (ROOT / name).exists() and not any(PACKAGE.rglob(Path(name).name))
    }
    assert missing == set()


def submodule(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:  # the parent is a module, not a package
        return False


def test_every_import_of_the_package_resolves_even_inside_functions() -> None:
    """Imports inside functions run late (on a command, in a child process): a stale one
    would fail only there, so each is resolved here."""
    unresolved = []
    for path in [*PACKAGE.rglob("*.py"), *ROOT.glob("tests/*.py"), *ROOT.glob("bench/*.py")]:
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("spacekg"):
                module = importlib.import_module(node.module)  # type: ignore[arg-type]
                for alias in node.names:
                    if not hasattr(module, alias.name) and not submodule(
                            f"{node.module}.{alias.name}"):
                        unresolved.append(f"{path.relative_to(ROOT)}: {node.module}.{alias.name}")
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.startswith("spacekg"):
                        try:
                            importlib.import_module(alias.name)
                        except ImportError:
                            unresolved.append(f"{path.relative_to(ROOT)}: {alias.name}")
    assert unresolved == []
