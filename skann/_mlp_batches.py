"""The batches of one epoch of BackpropMLPClassifier's stochastic solvers.

For each batch: gather its rows, run the forward pass, the loss and
backpropagation, then the optimiser's step. Buffers for one batch (inputs,
targets, every layer's activations and deltas, the gradient) are allocated once
per fit and reused by every batch, so an epoch allocates almost nothing.
"""

import numpy as np
from scipy import sparse

from skann._backend import implementation
from skann._engine import row_batches
from skann._math.activations import OUTPUT_ACTIVATIONS, softmax
from skann._math.backprop import output_delta
from skann._math.dropout import dropout_masks
from skann._math.losses import LOSSES, l2_penalty, true_class_log_loss


class BatchTrainer:
    """The epoch → batch → step ladder of the stochastic solvers.

    The forward pass, backpropagation and the softmax output error are chosen
    once per fit, here: the compiled kernels of :mod:`skann._kernels.backprop` or
    their NumPy references (:func:`skann._backend.implementation`).

    Parameters
    ----------
    run : skann._mlp_training.Run
        The fit in progress: parameters, optimiser, hyper-parameters.
    X : ndarray or sparse matrix of shape (n_samples, n_features)
        Training inputs; dense ones C-ordered.
    Y : ndarray of shape (n_samples, n_outputs)
        Binarised targets.
    labels : ndarray of int of shape (n_samples,) or None
        Each sample's class index, the column of its 1 in a one-hot ``Y``; None
        for multilabel targets.
    sw : ndarray of shape (n_samples,) or None
        Sample weights (class weights included).
    batch_size : int
        Rows per batch.
    rng : numpy.random.RandomState
        Draws the dropout masks.
    """

    def __init__(self, run, X, Y, labels, sw, batch_size, rng):
        self.run = run
        self.X, self.Y, self.sw = X, Y, sw
        self.batch_size = batch_size
        dtype = run.dtype
        self.units = units = run.layout.layer_units
        self.dense = not sparse.issparse(X)
        self.X_batch = np.empty((batch_size, units[0]), dtype) if self.dense else None
        self.forward_pass = implementation("backprop", "forward_pass")
        self.backpropagate = implementation("backprop", "backpropagate")
        self.softmax_output_error = implementation("backprop", "softmax_output_error")
        # A softmax output's loss and error read one class index per row, not a
        # one-hot row (softmax_output_error, the same result).
        softmax_output = OUTPUT_ACTIVATIONS[run.out_activation] is softmax
        self.labels = labels if softmax_output else None
        if self.labels is None:
            self.Y_batch = np.empty((batch_size, units[-1]), dtype)
        else:
            self.label_batch = np.empty(batch_size, np.intp)
        self.layer_out = [np.empty((batch_size, u), dtype) for u in units[1:]]
        self.deltas = [np.empty((batch_size, u), dtype) for u in units[1:-1]]
        self._views = {}
        self.gradient = np.empty(run.layout.size, dtype)
        self.coef_grads, self.intercept_grads = run.layout.views(self.gradient)
        self.hidden = run.activation
        self.out = OUTPUT_ACTIVATIONS[run.out_activation]
        self.loss = LOSSES[run.out_activation]
        self.alpha = run.est.alpha
        self.dropout = run.dropout if any(run.dropout) else None
        self.rng = rng

    def epoch(self, order):
        """Run one epoch over the rows ``order``; return the summed batch losses.

        Parameters
        ----------
        order : ndarray of int
            The training rows, in the order of the epoch.

        Returns
        -------
        total : float
            Sum over the batches of the batch's loss times its number of rows.
        """
        run = self.run
        # views of the parameter vector, which the steps update in place; the
        # penalty's sum of squares reads all weights as one vector
        layers = run.layout.views(run.theta)
        weights = [run.theta[: run.layout.n_weights]]
        contiguous = np.array_equal(order, np.arange(order[0], order[0] + len(order)))
        total = 0.0
        for batch in row_batches(len(order), self.batch_size):
            if contiguous:
                rows = slice(order[0] + batch.start, order[0] + batch.stop)
            else:
                rows = order[batch]
            total += self._step(rows, batch.stop - batch.start, layers, weights)
        return total

    def _buffers(self, m):
        """Views of the first ``m`` rows of the activation and delta buffers."""
        if m not in self._views:
            self._views[m] = (
                [buffer[:m] for buffer in self.layer_out],
                [buffer[:m] for buffer in self.deltas],
            )
        return self._views[m]

    def _step(self, rows, m, layers, weights):
        """Forward pass, loss, backpropagation and the optimiser's step on one
        batch; return the batch's loss times ``m``, its number of rows."""
        run = self.run
        swb = None if self.sw is None else self.sw[rows]
        weight = m if swb is None else swb.sum()
        if weight == 0:
            return 0.0  # only zero-weight samples: nothing to learn from
        labels = self.labels
        if isinstance(rows, slice):
            Xb, Yb = self.X[rows], self.Y[rows]
            if labels is not None:
                labels = labels[rows]
        else:
            Xb = (
                self.X.take(rows, axis=0, out=self.X_batch[:m], mode="clip")
                if self.dense
                else self.X[rows]
            )
            if labels is None:
                Yb = self.Y.take(rows, axis=0, out=self.Y_batch[:m], mode="clip")
            else:
                labels = labels.take(rows, out=self.label_batch[:m], mode="clip")
        masks = kept = None
        if self.dropout:
            masks = dropout_masks(
                self.rng, m, self.units[1:-1], self.dropout, run.dtype
            )
            kept = []
        elif self.hidden.from_net_input:
            kept = []
        coefs, intercepts = layers
        layer_out, deltas = self._buffers(m)
        activations = self.forward_pass(
            Xb,
            coefs,
            intercepts,
            self.hidden.function,
            self.out,
            out=layer_out,
            masks=masks,
            kept=kept,
            keep_net_input=self.hidden.from_net_input,
        )
        # The L2 term of the gradient is added by the optimiser's update, in the
        # same pass over memory as the step.
        P, bias_gradient = activations[-1], self.intercept_grads[-1]
        if labels is None:
            loss = self.loss(Yb, P, swb)
            output_delta(P, Yb, swb, weight, bias_gradient)
        else:
            p_true = self.softmax_output_error(P, labels, swb, weight, bias_gradient)
            loss = true_class_log_loss(p_true, swb)
        self.backpropagate(
            activations,
            coefs,
            self.hidden.derivative,
            0.0,
            weight,
            self.coef_grads,
            self.intercept_grads,
            deltas,
            masks=masks,
            kept=kept,
        )
        loss += l2_penalty(weights, self.alpha, weight)
        run.optimizer.step(
            run.theta, self.gradient, run.layout.n_weights, self.alpha / weight
        )
        return loss * m
