"""Every Python block of the README, the quick start and the callbacks page runs as
pasted, warning-free.

The blocks of one file run in order in one namespace (a reader pastes them one after
the other); a README block followed by a ``text`` block must print exactly that text.
"""

import contextlib
import importlib.util
import io
import re
import warnings
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def markdown_blocks(text):
    """(code, expected output or None) for each ```python block."""
    pattern = re.compile(r"```python\n(.*?)```\n(?:\s*```text\n(.*?)```)?", re.S)
    return [(m.group(1), m.group(2)) for m in pattern.finditer(text)]


def rst_blocks(text):
    """(code, None) for each ``.. code-block:: python`` directive."""
    blocks = []
    for m in re.finditer(r"\.\. code-block:: python\n\n((?:   .*\n|\n)+)", text):
        lines = [line[3:] for line in m.group(1).splitlines()]
        blocks.append(("\n".join(lines).strip() + "\n", None))
    return blocks


@pytest.mark.parametrize(
    ("path", "reader"),
    [
        ("README.md", markdown_blocks),
        ("docs/quickstart.rst", rst_blocks),
        pytest.param(
            "docs/callbacks.rst",
            rst_blocks,
            marks=pytest.mark.skipif(
                importlib.util.find_spec("sklearn.callback") is None,
                reason="scikit-learn < 1.9 has no callbacks",
            ),
        ),
    ],
)
def test_blocks_run_as_pasted(path, reader):
    blocks = reader((ROOT / path).read_text())
    assert blocks, f"no Python block found in {path}"
    namespace = {"__name__": "__main__"}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for code, expected in blocks:
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                exec(compile(code, path, "exec"), namespace)
            if expected is not None:
                assert out.getvalue() == expected
