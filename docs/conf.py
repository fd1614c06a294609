"""Sphinx configuration for the skann documentation.

Build (warnings are errors)::

    python -m sphinx -W -b html docs docs/_build/html

No extension here needs the network: ``intersphinx`` is deliberately left out
(it would try to fetch inventories, warn, and ``-W`` would fail the build).
MathJax is loaded by the reader's browser, not at build time.
"""

import inspect
import os
import sys
from datetime import date

import matplotlib

# Examples are run headless: the gallery must never try to open a window.
matplotlib.use("Agg")

# Import skann from this checkout, installed or not.
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.abspath(os.path.join(HERE, "..")))

import skann  # noqa: E402

# -- Project -----------------------------------------------------------------

project = "skann"
author = "skann developers"
copyright = f"{date.today().year}, {author}"
release = skann.__version__
version = ".".join(release.split(".")[:2])

# -- General -----------------------------------------------------------------

extensions = [
    "numpydoc",
    "sphinx.ext.mathjax",
    "sphinx.ext.autosummary",
    "sphinx.ext.viewcode",
    "sphinx_gallery.gen_gallery",
]

templates_path = ["_templates"]
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]
root_doc = "index"
default_role = "literal"
# Equation numbers restart per page, so "(3)" means the same on screen and in print.
math_numfig = True
numfig = False

# -- autosummary / numpydoc ----------------------------------------------------

autosummary_generate = True
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True

# -- sphinx-gallery ----------------------------------------------------------

sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "image_scrapers": ("matplotlib",),
    "matplotlib_animations": False,
    # Links from example code to this API reference only (no remote inventories).
    "doc_module": ("skann",),
    "reference_url": {"skann": None},
    "backreferences_dir": "gen_modules/backreferences",
    "download_all_examples": False,
    "remove_config_comments": True,
    "abort_on_example_error": False,
    "only_warn_on_example_error": False,
    "plot_gallery": "True",
}

# -- HTML --------------------------------------------------------------------

html_theme = "alabaster"
html_title = f"skann {release}"
html_static_path = []
html_theme_options = {
    "description": "Neural-network estimators for scikit-learn on plain NumPy",
    "fixed_sidebar": True,
    # Room for the wider displayed equations of the math pages.
    "page_width": "1160px",
    "body_max_width": "none",
    "show_relbars": True,
}
html_sidebars = {
    "**": ["about.html", "navigation.html", "relations.html", "searchbox.html"],
}


# -- viewcode ------------------------------------------------------------------


def _defining_module(app, modname, fullname):
    """The module whose source defines a class that names itself ``skann.X``.

    The estimators' ``__module__`` is ``skann`` (the name saved models use), which
    holds no source; their methods keep the module that defines them.
    """
    obj = sys.modules.get(modname)
    for part in fullname.split("."):
        obj = getattr(obj, part, None)
    if inspect.isclass(obj) and obj.__module__ == modname:
        for member in vars(obj).values():
            if inspect.isfunction(member) and member.__module__ != modname:
                return member.__module__
    return None


def setup(app):
    app.connect("viewcode-follow-imported", _defining_module)
