"""The admin API's shape stays readable: short modules, roles and shared parameters in one place."""

from __future__ import annotations

import ast
from pathlib import Path

import admin_api

PACKAGE = Path(admin_api.__file__).resolve().parent
MAX_LINES = 400
REASON = "over 400 lines because"


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_no_module_is_over_400_lines_without_a_reason_at_its_top() -> None:
    long = [(str(p.relative_to(PACKAGE)), n) for p in _modules()
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES
            and REASON not in (ast.get_docstring(ast.parse(p.read_text(encoding="utf-8"))) or "")]
    assert long == [], f"split these, or say at the top why not ('{REASON} ...'): {long}"


def test_routes_take_roles_from_deps_only() -> None:
    """Role aliases are defined once, in admin_api/api/deps.py; a route module never calls require()."""
    offenders = []
    for path in sorted((PACKAGE / "api" / "routes").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "require":
                offenders.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
    assert offenders == []
