"""scikit-learn's own Perceptron tests, run against skann with the import swapped.

Drop-in first: code written for ``sklearn.linear_model.Perceptron`` keeps working, and
the installed scikit-learn's ``linear_model/tests/test_perceptron.py`` is the proof.
"""

import subprocess
import sys
from pathlib import Path

import pytest
import sklearn

ROOT = Path(__file__).resolve().parents[1]


def test_scikit_learns_perceptron_tests_pass_against_skann(tmp_path):
    source = Path(sklearn.__file__).parent / "linear_model/tests/test_perceptron.py"
    if not source.exists():
        pytest.skip("this scikit-learn install ships no tests")
    text = source.read_text()
    original = "from sklearn.linear_model import Perceptron\n"
    assert original in text
    swapped = tmp_path / "test_swapped_perceptron.py"
    swapped.write_text(
        text.replace(original, "from skann import PerceptronClassifier as Perceptron\n")
    )
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(swapped)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert run.returncode == 0, run.stdout[-3000:]
