"""The version of skann in a saved estimator, and the check made when it is loaded.

``pickle``, ``joblib`` and ``skops.io`` all save what an estimator's
``__getstate__`` returns and hand it to ``__setstate__`` on load, so the version
written by :func:`stamp_version` is checked by :func:`check_saved_version` whichever
of them is used.

The rule: a model loads in any skann whose major.minor version lies between
:data:`OLDEST_READABLE` and its own (the same major.minor always loads); a model
saved by another version raises an error naming both versions.
"""

import re

from skann._version import __version__

#: The key of the saved state that holds the version of skann that saved it.
VERSION_KEY = "_skann_version"

#: The oldest major.minor version whose saved models this skann loads. Raise it to
#: the new version when the saved state changes in a way ``__setstate__`` does not
#: convert.
OLDEST_READABLE = "0.1"

#: The version assumed for a model saved before skann recorded its version.
UNRECORDED_VERSION = "0.1.0.dev0"


def stamp_version(state):
    """``state`` with the version of the running skann added.

    Parameters
    ----------
    state : dict
        An estimator's state; not modified.

    Returns
    -------
    state : dict
    """
    return {**state, VERSION_KEY: __version__}


def check_saved_version(estimator_name, state):
    """``state`` without its skann version; raise if this skann cannot load it.

    Parameters
    ----------
    estimator_name : str
        The estimator's class, for the message.
    state : dict
        A saved state; not modified.

    Returns
    -------
    state : dict

    Raises
    ------
    ValueError
        If the model was saved by a skann version before :data:`OLDEST_READABLE`
        or after this one (major.minor), naming both versions.
    """
    state = dict(state)
    saved = state.pop(VERSION_KEY, UNRECORDED_VERSION)
    saved_minor = _major_minor(saved)
    if saved_minor is not None and (
        _major_minor(OLDEST_READABLE) <= saved_minor <= _major_minor(__version__)
    ):
        return state
    oldest, current = OLDEST_READABLE, _minor_text(__version__)
    readable = f"{current}.x" if oldest == current else f"{oldest}.x to {current}.x"
    if saved_minor is None:
        advice = "that is not a version number; the state was not saved by skann"
    elif saved_minor > _major_minor(__version__):
        advice = f'upgrade skann (pip install "skann>={_minor_text(saved)}")'
    else:
        advice = (
            f'load it with the skann that saved it (pip install "skann=={saved}") '
            "and train a new model with this one"
        )
    shown = repr(saved) if saved_minor is None else saved
    raise ValueError(
        f"This {estimator_name} was saved by skann {shown} and cannot be loaded "
        f"by skann {__version__}, which loads models saved by skann {readable}: "
        f"{advice}."
    )


def _major_minor(version):
    """``(major, minor)`` of a version string, or None if it has none."""
    match = re.match(r"(\d+)\.(\d+)", version) if isinstance(version, str) else None
    return None if match is None else (int(match[1]), int(match[2]))


def _minor_text(version):
    return "{}.{}".format(*_major_minor(version))
