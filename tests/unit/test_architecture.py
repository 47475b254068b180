"""docs/architecture.md stays true: every path its capability table names exists, each
capability's listeners are a package, no two capabilities' services import each other, and no
service, schedule, builder or listener module grows past one concern's length."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "architecture.md"
CAPABILITIES = {
    "membership",
    "stories",
    "knowledge",
    "rounds",
    "pairing",
    "checkins",
    "meetings",
    "home",
}


def capability_rows() -> dict[str, list[str]]:
    rows: dict[str, list[str]] = {}
    for line in DOC.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and cells and cells[0] in CAPABILITIES:
            rows[cells[0]] = cells[1:]
    return rows


def test_every_capability_has_its_row_and_every_named_path_exists() -> None:
    rows = capability_rows()
    assert set(rows) == CAPABILITIES
    for capability, cells in rows.items():
        assert len(cells) == 7, capability
        for cell in cells:
            for path in re.findall(r"`([^`]+)`", cell):
                assert (ROOT / path).exists(), f"{capability}: {path} is named but missing"
            if not cell.startswith("`"):
                assert cell.startswith("—"), f"{capability}: {cell!r} is neither a path nor —"


def test_each_capability_has_a_listener_package_with_register() -> None:
    for capability in CAPABILITIES:
        package = ROOT / "handlers" / capability / "__init__.py"
        assert package.exists(), capability
        assert "def register(" in package.read_text(encoding="utf-8"), capability
    flat = [p.name for p in (ROOT / "handlers").glob("*.py")]
    assert sorted(flat) == ["__init__.py", "errors.py", "forms.py", "middleware.py", "registry.py"]


def _capability_imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            parts = node.module.split(".")
            if parts[:2] == ["bot", "services"] and len(parts) > 2:
                found.add(parts[2])
            elif node.module == "bot.services":
                found.update(alias.name for alias in node.names)
    return found & CAPABILITIES


def test_no_two_capabilities_services_import_each_other() -> None:
    services = ROOT / "bot" / "services"
    uses: dict[str, set[str]] = {}
    for capability in CAPABILITIES:
        folder = services / capability
        files = list(folder.rglob("*.py")) if folder.is_dir() else [services / f"{capability}.py"]
        uses[capability] = set()
        for path in files:
            if path.exists():
                uses[capability] |= _capability_imports(path) - {capability}
    for a, deps in uses.items():
        for b in deps:
            assert a not in uses.get(b, set()), f"{a} and {b} import each other"


def test_services_schedules_builders_and_listeners_are_split_by_concern() -> None:
    folders = [ROOT / "bot" / f for f in ("services", "schedules", "builders")] + [
        ROOT / "handlers"
    ]
    too_long = [
        f"{p.relative_to(ROOT)}: {n}"
        for folder in folders
        for p in folder.rglob("*.py")
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > 420
    ]
    assert too_long == []
