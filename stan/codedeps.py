"""Which ``stan/`` files a workflow script depends on: the closure of its imports.

The workflow lists these files as inputs of each rule, so that editing a module reruns exactly
the rules whose script imports it, directly or through other modules. The imports are read
statically with :mod:`ast` (every ``import`` statement in a file, including those inside
functions, so that a lazily imported module counts too); only modules of the ``stan`` package
are followed. Importing ``stan.a.b`` runs ``stan/__init__.py`` and ``stan/a/__init__.py`` as
well, so those belong to the closure. Results are cached per file and modification time.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

PACKAGE = "stan"


def module_file(root: Path, name: str) -> Path | None:
    """The file of module ``name`` (dotted, e.g. ``stan.flow.cache``) under ``root``, if any."""
    base = root.joinpath(*name.split("."))
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.is_file():
            return path
    return None


def module_name(root: Path, path: Path) -> str:
    """The dotted name of the module in ``path`` (a file under ``root``)."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_names(path: Path, name: str) -> set[str]:
    """Dotted names a file imports (``from a import b`` gives both ``a`` and ``a.b``)."""
    is_package = path.name == "__init__.py"
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = name.split(".") if is_package else name.split(".")[:-1]
                package = package[: len(package) - (node.level - 1)]
                base = ".".join(package + ([base] if base else []))
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return {n for n in names if n == PACKAGE or n.startswith(PACKAGE + ".")}


@cache
def _direct(path: Path, mtime_ns: int, root: Path) -> frozenset[Path]:
    """Files of the ``stan`` modules (and their parent packages) that ``path`` imports."""
    files = set()
    name = module_name(root, path) if path.is_relative_to(root) else "__main__"
    for dotted in imported_names(path, name):
        parts = dotted.split(".")
        for i in range(1, len(parts) + 1):
            found = module_file(root, ".".join(parts[:i]))
            if found is not None:
                files.add(found)
    return frozenset(files)


def import_closure(script: str | Path, root: str | Path) -> list[str]:
    """Sorted paths of the ``stan`` files that ``script`` imports, directly or not.

    ``root`` is the folder that holds the ``stan`` package (the repository root).
    """
    root = Path(root).resolve()
    todo = [Path(script).resolve()]
    seen: set[Path] = set()
    while todo:
        path = todo.pop()
        for dep in _direct(path, path.stat().st_mtime_ns, root):
            if dep not in seen:
                seen.add(dep)
                todo.append(dep)
    return sorted(str(p) for p in seen)
