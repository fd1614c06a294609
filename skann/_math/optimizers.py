"""Gradient descent on a flat parameter vector: schedules, SGD, Adam and L-BFGS.

Every optimiser updates the whole parameter vector ``theta`` (all layers' weights
and biases, see :class:`skann._math.backprop.ParameterLayout`) in place with a few
vector operations and no per-layer loop. Scratch vectors are allocated once. The
equations are in ``docs/math/optimizers``.
"""

import numpy as np
import scipy.optimize


class LearningRateSchedule:
    """The step size ``eta`` of gradient descent over the epochs.

    After epoch ``e`` (``t`` samples seen so far):

    - ``"constant"``: ``eta = eta_0``;
    - ``"invscaling"``: ``eta = eta_0 / (t + 1) ** power_t``;
    - ``"adaptive"``: ``eta`` is kept until training stalls, then divided by 5;
      training stops once it falls to 1e-6 (scikit-learn's three schedules);
    - ``"cosine"``: ``eta = eta_0 (1 + cos(pi e / E)) / 2`` with ``E`` the number
      of epochs planned (cosine annealing, Loshchilov and Hutter, 2017);
    - ``"step"``: ``eta = eta_0 gamma ** floor(e / s)``, ``gamma`` = ``decay``,
      ``s`` = ``step``.

    Parameters
    ----------
    kind : {"constant", "invscaling", "adaptive", "cosine", "step"}
        The schedule.
    learning_rate_init : float
        ``eta_0``.
    power_t : float, default=0.5
        Exponent of ``"invscaling"``.
    max_epochs : int, default=None
        ``E`` of ``"cosine"``.
    step : int, default=10
        Epochs between two decays of ``"step"``.
    decay : float, default=0.1
        Factor of each decay of ``"step"``.

    Attributes
    ----------
    learning_rate : float
        The current ``eta``.
    epochs : int
        Epochs completed.

    Examples
    --------
    >>> schedule = LearningRateSchedule("invscaling", 0.1, power_t=0.5)
    >>> schedule.epoch_ends(samples_seen=99)
    >>> round(schedule.learning_rate, 6)
    0.01
    >>> cosine = LearningRateSchedule("cosine", 0.1, max_epochs=4)
    >>> cosine.epoch_ends(samples_seen=10); cosine.epoch_ends(samples_seen=20)
    >>> float(round(cosine.learning_rate, 6))
    0.05
    """

    def __init__(
        self,
        kind,
        learning_rate_init,
        power_t=0.5,
        max_epochs=None,
        step=10,
        decay=0.1,
    ):
        self.kind = kind
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_epochs = max_epochs
        self.step = step
        self.decay = decay
        self.learning_rate = float(learning_rate_init)
        self.epochs = 0

    def epoch_ends(self, samples_seen):
        """Update ``eta`` at the end of an epoch.

        Parameters
        ----------
        samples_seen : float
            Samples presented since training began (scikit-learn's ``t_``).
        """
        self.epochs += 1
        if self.kind == "invscaling":
            self.learning_rate = self.learning_rate_init / (
                (samples_seen + 1) ** self.power_t
            )
        elif self.kind == "cosine":
            progress = min(self.epochs / self.max_epochs, 1.0)
            self.learning_rate = (
                self.learning_rate_init * (1 + np.cos(np.pi * progress)) / 2
            )
        elif self.kind == "step":
            self.learning_rate = self.learning_rate_init * self.decay ** (
                self.epochs // self.step
            )

    def stalled(self):
        """React to a stalled training; return whether training should stop.

        Returns
        -------
        stop : bool
            True unless the schedule is ``"adaptive"`` and ``eta`` can still be
            divided by 5 (it is then divided).
        """
        if self.kind != "adaptive" or self.learning_rate <= 1e-6:
            return True
        self.learning_rate /= 5.0
        return False


def penalised_gradient(gradient, theta, n_penalised, l2_scale, scratch):
    """Add the L2 term ``(alpha / n) theta`` to the weights' gradient, in place.

    ``g <- g + (alpha / n) theta`` on the first ``n_penalised`` entries, the
    weights (biases are not penalised).

    Parameters
    ----------
    gradient : ndarray of shape (size,)
        ``g``, the gradient of the unpenalised loss; updated.
    theta : ndarray of shape (size,)
        Parameters.
    n_penalised : int
        Number of leading entries that are weights.
    l2_scale : float
        ``alpha / n``.
    scratch : ndarray of shape (size,)
        Work space.

    Returns
    -------
    gradient : ndarray of shape (size,)
    """
    if l2_scale and n_penalised:
        weights = slice(0, n_penalised)
        gradient[weights] += np.multiply(theta[weights], l2_scale, out=scratch[weights])
    return gradient


def penalised_count(size, n_penalised, l2_scale):
    """How many leading entries get the L2 term: none when there is no penalty
    (``g + 0 theta`` is not ``g`` where ``theta`` is infinite)."""
    return min(n_penalised, size) if l2_scale else 0


def sgd_update(
    theta, g, velocity, n_penalised, l2_scale, eta, mu, nesterov, scratch=None
):
    """One (Nesterov) momentum step of :class:`SGD`, in place.

    ``g <- g + (alpha / n) theta`` on the weights, ``v <- mu v - eta g``, then
    ``theta <- theta + v`` or, Nesterov's form, ``theta <- theta + mu v - eta g``.
    Computed in ``theta``'s dtype. ``skann._kernels.optimizers.sgd_update`` does
    the same in one pass.

    Parameters
    ----------
    theta : ndarray of shape (size,)
        Parameters; updated.
    g : ndarray of shape (size,)
        Gradient of the unpenalised loss; used as work space.
    velocity : ndarray of shape (size,)
        The momentum buffer ``v``; updated.
    n_penalised : int
        Entries ``[0, n_penalised)`` are weights and get the L2 term.
    l2_scale : float
        ``alpha / n``.
    eta : float
        Learning rate.
    mu : float
        Momentum.
    nesterov : bool
        Nesterov's form of the step.
    scratch : ndarray of shape (2, size), default=None
        Work space, allocated when None.

    Examples
    --------
    >>> import numpy as np
    >>> theta, v = np.array([1.0]), np.zeros(1)
    >>> sgd_update(theta, np.array([2.0]), v, 0, 0.0, 0.1, 0.0, False)
    >>> theta
    array([0.8])
    """
    cast = theta.dtype.type
    eta, mu, l2_scale = cast(eta), cast(mu), cast(l2_scale)
    if scratch is None:
        scratch = np.empty((2, theta.shape[0]), dtype=theta.dtype)
    work, scaled_velocity = scratch[0], scratch[-1]
    k = penalised_count(theta.shape[0], n_penalised, l2_scale)
    g = penalised_gradient(g, theta, k, l2_scale, work)
    eta_g = np.multiply(g, eta, out=work)
    velocity *= mu
    velocity -= eta_g
    if nesterov:
        theta += np.multiply(velocity, mu, out=scaled_velocity)
        theta -= eta_g
    else:
        theta += velocity


def adam_update(theta, g, m, v, n_penalised, l2_scale, b1, b2, eps, step, scratch=None):
    """One step of :class:`Adam`, in place, on moments kept divided by ``1 - beta``.

    ``g <- g + (alpha / n) theta`` on the weights, ``m' <- b1 m' + g``,
    ``v' <- b2 v' + g^2`` and ``theta <- theta - step m' / (sqrt(v') + eps)``, with
    ``m = (1 - b1) m'``, ``v = (1 - b2) v'`` (the constants are folded into ``eps``
    and ``step`` by :meth:`Adam.step`). Computed in ``theta``'s dtype.
    ``skann._kernels.optimizers.adam_update`` does the same in one pass.

    Parameters
    ----------
    theta : ndarray of shape (size,)
        Parameters; updated.
    g : ndarray of shape (size,)
        Gradient of the unpenalised loss; used as work space.
    m, v : ndarray of shape (size,)
        Adam's moments, kept divided by ``1 - beta``; updated.
    n_penalised : int
        Entries ``[0, n_penalised)`` are weights and get the L2 term.
    l2_scale : float
        ``alpha / n``.
    b1, b2, eps, step : float
        ``beta_1``, ``beta_2``, the scaled ``epsilon`` and the step's factor.
    scratch : ndarray of shape (size,), default=None
        Work space, allocated when None.
    """
    cast = theta.dtype.type
    b1, b2, eps, step, l2_scale = (cast(x) for x in (b1, b2, eps, step, l2_scale))
    if scratch is None:
        scratch = np.empty(theta.shape[0], dtype=theta.dtype)
    k = penalised_count(theta.shape[0], n_penalised, l2_scale)
    g = penalised_gradient(g, theta, k, l2_scale, scratch)
    m *= b1
    m += g
    np.multiply(g, g, out=scratch)
    v *= b2
    v += scratch
    np.sqrt(v, out=scratch)
    scratch += eps
    np.divide(m, scratch, out=scratch)
    scratch *= step
    theta -= scratch


class Optimizer:
    """The interface the training loop calls on a stochastic optimiser.

    ``step(theta, gradient, n_penalised=0, l2_scale=0.0)`` updates the flat
    parameter vector ``theta`` in place from the batch's ``gradient``;
    ``schedule`` (a :class:`LearningRateSchedule`) is told when each epoch ends, and
    ``learning_rate`` is its current step size. Subclasses also share the update
    function (NumPy reference or kernel) they call, which a pickle leaves out (the
    next fit chooses it again), and the reference's work space, made on first use.
    """

    def step(self, theta, gradient, n_penalised=0, l2_scale=0.0):
        """Update ``theta`` in place from ``gradient`` (each subclass's rule)."""
        raise NotImplementedError(f"{type(self).__name__} does not define step")

    _scratch_rows = 1

    @property
    def learning_rate(self):
        """The current step size ``eta`` of the schedule (scikit-learn's name)."""
        return self.schedule.learning_rate

    def _work_space(self, dtype):
        if self.update is not self._reference:
            return None  # the kernel needs none
        if getattr(self, "_scratch", None) is None:
            self._scratch = np.empty((self._scratch_rows, self.size), dtype=dtype)
        return self._scratch

    def __getstate__(self):
        state = self.__dict__.copy()
        state.pop("update", None)
        state.pop("_scratch", None)
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self.update = self._reference

    def state_dict(self):
        """The optimiser's settings and buffers as plain values.

        Returns
        -------
        state : dict
            Its attributes (the buffers as NumPy arrays, not copied), with the
            schedule's under ``"schedule"`` as a dict; the update function and the
            work space are left out, as a pickle leaves them out.
        """
        state = self.__getstate__()
        state["schedule"] = dict(vars(self.schedule))
        return state

    @classmethod
    def from_state_dict(cls, state):
        """The optimiser whose :meth:`state_dict` is ``state``, ready to go on.

        Parameters
        ----------
        state : dict
            As :meth:`state_dict` returns it.

        Returns
        -------
        optimizer : Optimizer
            Of this class, with the NumPy update (a fit chooses the kernel again).
        """
        state = dict(state)
        schedule = LearningRateSchedule.__new__(LearningRateSchedule)
        schedule.__dict__.update(state.pop("schedule"))
        optimizer = cls.__new__(cls)
        optimizer.__setstate__({**state, "schedule": schedule})
        return optimizer


class SGD(Optimizer):
    """Stochastic gradient descent with (Nesterov) momentum, in place.

    ``v <- mu v - eta g``, then ``theta <- theta + v`` (classical momentum) or
    ``theta <- theta + mu v - eta g`` (Nesterov's momentum, in the form
    scikit-learn uses). ``mu = 0`` is plain gradient descent.

    Parameters
    ----------
    size : int
        Length of the parameter vector.
    dtype : dtype
        Of the parameters.
    schedule : LearningRateSchedule
        Gives ``eta``.
    momentum : float, default=0.9
        ``mu``.
    nesterov : bool, default=True
        Use Nesterov's momentum.
    update : callable, default=None
        The step's arithmetic: :func:`sgd_update` (None) or its compiled kernel,
        which :mod:`skann._backend` chooses (the same result, bit for bit).

    Examples
    --------
    >>> import numpy as np
    >>> theta = np.array([1.0])
    >>> sgd = SGD(1, theta.dtype, LearningRateSchedule("constant", 0.1), momentum=0)
    >>> sgd.step(theta, np.array([2.0]))
    >>> theta
    array([0.8])
    """

    _reference = staticmethod(sgd_update)

    def __init__(self, size, dtype, schedule, momentum=0.9, nesterov=True, update=None):
        self.size = size
        self.schedule = schedule
        self.momentum = momentum
        self.nesterov = nesterov
        self.update = sgd_update if update is None else update
        self.velocity = np.zeros(size, dtype=dtype)
        self._scratch_rows = 2 if nesterov else 1  # Nesterov also scales v

    def step(self, theta, gradient, n_penalised=0, l2_scale=0.0):
        """Move ``theta`` one step against ``gradient``, in place.

        Parameters
        ----------
        theta : ndarray
            Parameters; updated.
        gradient : ndarray
            ``g``, the gradient of the loss at ``theta``; used as work space.
        n_penalised : int, default=0
            Number of leading entries (the weights) that get the L2 term.
        l2_scale : float, default=0.0
            ``alpha / n``: the step adds ``l2_scale * theta`` to the weights'
            gradient (:func:`penalised_gradient`).
        """
        self.update(
            theta,
            gradient,
            self.velocity,
            n_penalised,
            float(l2_scale),
            float(self.schedule.learning_rate),
            float(self.momentum),
            self.nesterov,
            self._work_space(theta.dtype),
        )


class Adam(Optimizer):
    """Adam (Kingma and Ba, 2015), in place.

    ``m <- beta_1 m + (1 - beta_1) g``, ``v <- beta_2 v + (1 - beta_2) g^2`` and
    ``theta <- theta - eta_t m / (sqrt(v) + epsilon)`` with the bias-corrected step
    ``eta_t = eta sqrt(1 - beta_2^t) / (1 - beta_1^t)`` after ``t`` steps.

    Parameters
    ----------
    size : int
        Length of the parameter vector.
    dtype : dtype
        Of the parameters.
    schedule : LearningRateSchedule
        Gives ``eta``.
    beta_1, beta_2 : float, default=0.9, 0.999
        Decay rates of the first and second moment estimates.
    epsilon : float, default=1e-8
        Keeps the division finite.
    update : callable, default=None
        The step's arithmetic: :func:`adam_update` (None) or its compiled kernel,
        which :mod:`skann._backend` chooses (the same result, bit for bit).

    Examples
    --------
    >>> import numpy as np
    >>> theta = np.array([1.0])
    >>> adam = Adam(1, theta.dtype, LearningRateSchedule("constant", 0.1))
    >>> adam.step(theta, np.array([2.0]))
    >>> theta.round(6)  # the first step moves by eta whatever the gradient's size
    array([0.9])
    """

    _reference = staticmethod(adam_update)

    def __init__(
        self,
        size,
        dtype,
        schedule,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        update=None,
    ):
        self.size = size
        self.schedule = schedule
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.update = adam_update if update is None else update
        self.t = 0
        # The moments are kept divided by (1 - beta): m' <- beta_1 m' + g costs two
        # passes over memory instead of three; the constants return in the step.
        self._scaled_first = np.zeros(size, dtype=dtype)
        self._scaled_second = np.zeros(size, dtype=dtype)

    @property
    def first_moment(self):
        """``m``, the running mean of the gradients."""
        return (1 - self.beta_1) * self._scaled_first

    @property
    def second_moment(self):
        """``v``, the running mean of the squared gradients."""
        return (1 - self.beta_2) * self._scaled_second

    def step(self, theta, gradient, n_penalised=0, l2_scale=0.0):
        """Move ``theta`` one Adam step against ``gradient``, in place.

        Parameters
        ----------
        theta : ndarray
            Parameters; updated.
        gradient : ndarray
            ``g``, the gradient of the loss at ``theta``; used as work space.
        n_penalised : int, default=0
            Number of leading entries (the weights) that get the L2 term.
        l2_scale : float, default=0.0
            ``alpha / n``: the step adds ``l2_scale * theta`` to the weights'
            gradient (:func:`penalised_gradient`).
        """
        self.t += 1
        step_size = (
            self.schedule.learning_rate
            * np.sqrt(1 - self.beta_2**self.t)
            / (1 - self.beta_1**self.t)
        )
        # eta_t m / (sqrt(v) + eps) with m = (1 - b1) m', v = (1 - b2) v'. Python
        # floats: float32 parameters are updated in float32 arithmetic.
        root = np.sqrt(1 - self.beta_2)
        eps = float(self.epsilon / root)
        factor = float(step_size * (1 - self.beta_1) / root)
        beta_1, beta_2, l2_scale = (
            float(self.beta_1),
            float(self.beta_2),
            float(l2_scale),
        )
        work = self._work_space(theta.dtype)
        self.update(
            theta,
            gradient,
            self._scaled_first,
            self._scaled_second,
            n_penalised,
            l2_scale,
            beta_1,
            beta_2,
            eps,
            factor,
            None if work is None else work[0],
        )


def minimize_lbfgs(loss_and_gradient, theta0, max_iter, max_fun, tol, callback=None):
    """Minimise a loss with L-BFGS-B from :func:`scipy.optimize.minimize`.

    Parameters
    ----------
    loss_and_gradient : callable
        ``theta -> (loss, gradient)``.
    theta0 : ndarray
        Starting point (float64: the solver's own precision).
    max_iter : int
        Most iterations.
    max_fun : int
        Most loss evaluations.
    tol : float
        Stop when the largest gradient component is below it (``gtol``).
    callback : callable, default=None
        Called with the loss after each iteration.

    Returns
    -------
    result : scipy.optimize.OptimizeResult
        ``x`` the minimiser, ``fun`` its loss, ``nit`` iterations, ``status`` 1
        when a limit stopped the solver.
    """

    def on_iteration(intermediate_result):
        if callback is not None:
            callback(intermediate_result.fun)

    return scipy.optimize.minimize(
        loss_and_gradient,
        theta0,
        method="L-BFGS-B",
        jac=True,
        callback=on_iteration,
        options={"maxfun": max_fun, "maxiter": max_iter, "gtol": tol},
    )
