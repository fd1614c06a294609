"""numba kernels: one module per ``skann._math`` module that they speed up.

Each kernel has the name and signature of the NumPy reference it reproduces in
``skann._math``, and a test proves the two equal. They are chosen through
:mod:`skann._backend`, never imported directly by the estimators.
"""
