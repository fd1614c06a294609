"""scikit-learn's callbacks in skann's training: a fit is a task, each epoch a subtask.

``set_callbacks`` (scikit-learn's ``CallbackSupportMixin``, scikit-learn 1.9 and later)
stores callbacks on an estimator. A ``fit`` or ``partial_fit`` call with callbacks makes
a :class:`FitTask`: the call is the task, and each epoch of
:func:`skann._training.run_epochs` (each iteration of the MLP's ``lbfgs``) is one of its
subtasks. Without callbacks :func:`fit_task` returns None and the training loop skips
every hook with one ``is None`` test, so callbacks cost nothing when none is set.
"""

from skann._compat import has_callbacks


class FitTask:
    """The callback context of one ``fit`` or ``partial_fit`` call and its subtasks.

    Creating it sets the callbacks up and calls their ``on_fit_task_begin`` for the
    call; :meth:`begin_subtask` and :meth:`end_subtask` bracket each epoch;
    :meth:`end` closes the call once the estimator is fitted. scikit-learn's
    ``_fit_context`` (on ``fit`` and ``partial_fit``) tears the callbacks down,
    whether the call succeeds or fails.

    Parameters
    ----------
    estimator : estimator with ``set_callbacks``
        The estimator being fitted.
    task_name : str
        ``"fit"`` or ``"partial_fit"``.
    max_subtasks : int
        Most epochs (or ``lbfgs`` iterations) the call may run.
    X, y : array-like
        The training data as the caller gave them; callbacks such as
        ``ScoringMonitor`` score the model on them. Given as they came rather than
        validated, so that a model fitted on a DataFrame is scored on the DataFrame
        (scoring its ndarray would warn about missing feature names).
    sample_weight : array-like or None
        Passed to the callbacks as ``metadata={"sample_weight": ...}`` when given.
    model_attributes : dict
        The fitted attributes, other than the weights, that a copy of the estimator
        needs to predict (for example ``classes_``); the weights come from the
        loop at each subtask.
    """

    def __init__(
        self, estimator, task_name, max_subtasks, X, y, sample_weight, model_attributes
    ):
        self.estimator = estimator
        self.model_attributes = model_attributes
        self.data = {
            "X": X,
            "y": y,
            "metadata": None
            if sample_weight is None
            else {"sample_weight": sample_weight},
        }
        self.context = estimator._init_callback_context(
            task_name=task_name, max_subtasks=max_subtasks
        )
        self.context.call_on_fit_task_begin(estimator=estimator, **self.data)
        self.subtask = None

    @property
    def subtask_open(self):
        """Whether a subtask has begun and not ended."""
        return self.subtask is not None

    def _fitted(self, weights):
        # Called by scikit-learn only when a callback asks for ``fitted_estimator``.
        return lambda: {**self.model_attributes, **weights()}

    def begin_subtask(self, weights, task_name="epoch"):
        """Call ``on_fit_task_begin`` for a new subtask.

        Parameters
        ----------
        weights : callable
            Returns the fitted attributes of the weights as they are now, as a dict
            of fresh arrays (``coef_`` and ``intercept_``, or ``coefs_`` and
            ``intercepts_``); called only if a callback asks for the model.
        task_name : str, default="epoch"
            The subtask's name.
        """
        self.subtask = self.context.subcontext(task_name=task_name)
        self.subtask.call_on_fit_task_begin(
            estimator=self.estimator,
            reconstruction_attributes=self._fitted(weights),
            **self.data,
        )

    def end_subtask(self, weights):
        """Call ``on_fit_task_end`` for the open subtask.

        Parameters
        ----------
        weights : callable
            As for :meth:`begin_subtask`, the weights at the subtask's end.

        Returns
        -------
        stop : bool
            Whether a callback asked training to stop.
        """
        subtask, self.subtask = self.subtask, None
        return subtask.call_on_fit_task_end(
            estimator=self.estimator,
            reconstruction_attributes=self._fitted(weights),
            **self.data,
        )

    def end(self):
        """Call ``on_fit_task_end`` for the call; the estimator is fitted by now."""
        self.context.call_on_fit_task_end(
            estimator=self.estimator, reconstruction_attributes={}, **self.data
        )


def fit_task(
    estimator, task_name, max_subtasks, X, y, sample_weight=None, model_attributes=None
):
    """A :class:`FitTask` for this call when callbacks are set, else None.

    Parameters are those of :class:`FitTask`.

    Returns
    -------
    task : FitTask or None
    """
    if not has_callbacks(estimator):
        return None
    return FitTask(
        estimator,
        task_name,
        max_subtasks,
        X,
        y,
        sample_weight,
        model_attributes or {},
    )
