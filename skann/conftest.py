"""Doctest collection of ``skann/``: skip modules whose optional extra is absent.

Not shipped in the wheel (``pyproject.toml`` excludes it).

``skann.onnx`` imports skl2onnx when imported (the ``onnx`` extra), and the
examples of ``skann.inspection`` draw with matplotlib (the ``plot`` extra).
"""

from importlib.util import find_spec

collect_ignore = []
if find_spec("skl2onnx") is None or find_spec("onnxruntime") is None:
    collect_ignore.append("onnx.py")
if find_spec("matplotlib") is None:
    collect_ignore.append("inspection.py")
