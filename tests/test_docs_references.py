"""Every function and test that docs/math names exists, so the links stay true."""

import ast
import importlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = sorted((ROOT / "docs" / "math").glob("*.rst"))
FUNCTION = re.compile(r":func:`(skann\.[\w.]+)`")
TEST = re.compile(r"``(tests/[\w/]+\.py)::(\w+)``")


def _references(pattern):
    found = set()
    for page in PAGES:
        found.update(pattern.findall(page.read_text(encoding="utf-8")))
    return sorted(found)


def test_math_pages_name_code_and_tests():
    assert PAGES, "docs/math has no pages"
    assert _references(FUNCTION) and _references(TEST)


@pytest.mark.parametrize("dotted", _references(FUNCTION))
def test_named_function_exists(dotted):
    module, _, name = dotted.rpartition(".")
    assert callable(getattr(importlib.import_module(module), name))


@pytest.mark.parametrize(("path", "name"), _references(TEST))
def test_named_test_exists(path, name):
    tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
    names = {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}
    assert name in names, f"{path} has no {name}"
