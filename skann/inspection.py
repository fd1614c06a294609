"""Plots of fitted skann estimators, in scikit-learn's Display style.

matplotlib is imported only when something is drawn; install it with
``pip install "skann[plot]"``.
"""

import numpy as np
from sklearn.utils.validation import check_is_fitted

__all__ = ["HistoryDisplay"]


def _check_matplotlib(caller):
    """Import matplotlib's pyplot, or raise an ImportError that names the extra."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError(
            f'{caller} requires matplotlib. Install it with: pip install "skann[plot]"'
        ) from exc
    return plt


class HistoryDisplay:
    """Training history: the loss per epoch, the validation score, the best epoch.

    Draws ``loss_curve_`` against the epoch (1, 2, ...), the validation accuracy
    ``validation_scores_`` on a second y-axis when early stopping ran, and a
    vertical line at ``best_iteration_``, the epoch whose weights the model kept.
    Works for :class:`~skann.PerceptronClassifier` and
    :class:`~skann.BackpropMLPClassifier` alike.

    Create it with :meth:`from_estimator`; the constructor only stores the curves,
    and :meth:`plot` draws them. Needs matplotlib (``pip install "skann[plot]"``).

    Parameters
    ----------
    loss_curve : array-like of shape (n_epochs,)
        Training loss after each epoch.
    validation_scores : array-like of shape (n_epochs,) or None, default=None
        Validation score after each epoch; None draws no score axis.
    best_iteration : int or None, default=None
        1-based epoch to mark; None marks nothing.
    estimator_name : str or None, default=None
        Name shown in the title.
    x_label : str, default="Epoch"
        Label of the x-axis (``"Iteration"`` for the MLP's ``"lbfgs"`` solver).

    Attributes
    ----------
    figure_ : matplotlib Figure
        Figure holding the plot.
    ax_ : matplotlib Axes
        Axes of the training loss.
    score_ax_ : matplotlib Axes or None
        Twin axes of the validation score, None without validation scores.
    lines_ : list of matplotlib Line2D
        The training-loss line, then the validation-score line if drawn.
    best_line_ : matplotlib Line2D or None
        The vertical line at the best epoch, None if not marked.

    See Also
    --------
    HistoryDisplay.from_estimator : Build and draw from a fitted estimator.
    sklearn.model_selection.LearningCurveDisplay : scikit-learn's display of
        scores against the training-set size.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from skann.inspection import HistoryDisplay
    >>> display = HistoryDisplay(
    ...     loss_curve=[0.9, 0.5, 0.4, 0.42],
    ...     validation_scores=[0.6, 0.8, 0.9, 0.85],
    ...     best_iteration=3,
    ... ).plot()
    >>> display.lines_[0].get_xdata().tolist()
    [1, 2, 3, 4]
    >>> float(display.best_line_.get_xdata()[0])
    3.0
    """

    def __init__(
        self,
        *,
        loss_curve,
        validation_scores=None,
        best_iteration=None,
        estimator_name=None,
        x_label="Epoch",
    ):
        self.loss_curve = loss_curve
        self.validation_scores = validation_scores
        self.best_iteration = best_iteration
        self.estimator_name = estimator_name
        self.x_label = x_label

    def plot(self, ax=None, *, loss_kw=None, score_kw=None, best_kw=None):
        """Draw the history.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw the loss on; None creates a figure and axes.
        loss_kw : dict, default=None
            Keyword arguments of ``ax.plot`` for the training loss.
        score_kw : dict, default=None
            Keyword arguments of ``ax.plot`` for the validation score.
        best_kw : dict, default=None
            Keyword arguments of ``ax.axvline`` for the best epoch.

        Returns
        -------
        display : HistoryDisplay
            This object, with ``figure_``, ``ax_``, ``score_ax_``, ``lines_`` and
            ``best_line_`` set.
        """
        plt = _check_matplotlib(f"{type(self).__name__}.plot")
        if ax is None:
            _, ax = plt.subplots()
        loss = np.asarray(self.loss_curve, dtype=float)
        epochs = np.arange(1, len(loss) + 1)
        loss_line = ax.plot(
            epochs, loss, **{"label": "Training loss", "color": "C0", **(loss_kw or {})}
        )[0]
        self.lines_ = [loss_line]
        ax.set_xlabel(self.x_label)
        ax.set_ylabel("Training loss")

        self.score_ax_ = None
        if self.validation_scores is not None:
            scores = np.asarray(self.validation_scores, dtype=float)
            self.score_ax_ = ax.twinx()
            score_line = self.score_ax_.plot(
                np.arange(1, len(scores) + 1),
                scores,
                **{"label": "Validation score", "color": "C1", **(score_kw or {})},
            )[0]
            self.score_ax_.set_ylabel("Validation score")
            self.lines_.append(score_line)

        self.best_line_ = None
        if self.best_iteration is not None:
            self.best_line_ = ax.axvline(
                self.best_iteration,
                **{
                    "label": f"Best {self.x_label.lower()} ({self.best_iteration})",
                    "color": "C2",
                    "linestyle": "--",
                    **(best_kw or {}),
                },
            )

        handles = [*self.lines_]
        if self.best_line_ is not None:
            handles.append(self.best_line_)
        # On the twin axes when there is one: it is drawn above the loss axes.
        (self.score_ax_ or ax).legend(handles=handles, loc="best")
        if self.estimator_name is not None:
            ax.set_title(self.estimator_name)
        self.ax_ = ax
        self.figure_ = ax.figure
        return self

    @classmethod
    def from_estimator(
        cls, estimator, *, ax=None, name=None, loss_kw=None, score_kw=None, best_kw=None
    ):
        """Draw the training history of a fitted skann estimator.

        Parameters
        ----------
        estimator : PerceptronClassifier, BackpropMLPClassifier or Pipeline
            Fitted; a :class:`~sklearn.pipeline.Pipeline` is drawn through its
            last step. Its ``loss_curve_`` is drawn, its ``validation_scores_``
            when early stopping ran, and its ``best_iteration_`` when set.
        ax : matplotlib Axes, default=None
            Axes to draw on; None creates a figure and axes.
        name : str, default=None
            Title of the plot; None uses the estimator's class name.
        loss_kw, score_kw, best_kw : dict, default=None
            Keyword arguments of the training-loss line, the validation-score
            line and the best-epoch line (see :meth:`plot`).

        Returns
        -------
        display : HistoryDisplay
            The display, drawn.

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> from sklearn.datasets import load_iris
        >>> from skann import PerceptronClassifier
        >>> from skann.inspection import HistoryDisplay
        >>> X, y = load_iris(return_X_y=True)
        >>> clf = PerceptronClassifier(early_stopping=True, random_state=0).fit(X, y)
        >>> display = HistoryDisplay.from_estimator(clf)
        >>> len(display.lines_[0].get_ydata()) == len(clf.loss_curve_)
        True
        >>> display.best_line_ is not None
        True
        """
        _check_matplotlib(f"{cls.__name__}.from_estimator")
        if hasattr(estimator, "steps"):  # a Pipeline: its final estimator
            estimator = estimator[-1]
        check_is_fitted(estimator)
        if not hasattr(estimator, "loss_curve_"):
            raise ValueError(
                f"{type(estimator).__name__} has no loss_curve_ to draw; "
                "HistoryDisplay draws skann's PerceptronClassifier and "
                "BackpropMLPClassifier."
            )
        lbfgs = getattr(estimator, "solver", None) == "lbfgs"
        display = cls(
            loss_curve=estimator.loss_curve_,
            validation_scores=getattr(estimator, "validation_scores_", None),
            best_iteration=getattr(estimator, "best_iteration_", None),
            estimator_name=type(estimator).__name__ if name is None else name,
            x_label="Iteration" if lbfgs else "Epoch",
        )
        return display.plot(ax=ax, loss_kw=loss_kw, score_kw=score_kw, best_kw=best_kw)
