"""The math of skann: pure functions on NumPy arrays, no scikit-learn imports.

Each module holds the equations of one page of ``docs/math``.
"""
