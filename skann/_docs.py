"""Where skann's documentation lives, for the links in the estimators' HTML repr."""

from skann._version import __version__

#: The documentation of this version of skann: a release links to its own pages,
#: a development version to the latest build.
DOCS_URL = "https://skann.readthedocs.io/en/{}/".format(
    "latest" if "dev" in __version__ else __version__
)

#: scikit-learn's ``_doc_link_template`` for skann's estimators: the page that
#: ``docs/api.rst`` generates for each public name, ``gen_modules/skann.<name>.html``.
API_PAGE = DOCS_URL + "gen_modules/{estimator_module}.{estimator_name}.html"
