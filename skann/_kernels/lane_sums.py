"""Four partial sums of a dot product, as four lanes of one vector.

The perceptron kernel sums a net input ``n = w . p`` in four partial sums, column
``c`` into sum ``c % 4`` (:mod:`skann._kernels.perceptron_rule`), so that a dense row
and its CSR form give the same bits. Those four sums are exactly the four lanes of a
vector of four float64 values: one vector multiply and one vector add per four
columns. numba does not compile them that way on its own: LLVM's loop vectoriser
leaves an ordered floating-point sum alone (it may only reorder one under
``fastmath``), and numba turns the vectoriser of straight-line code off. So
:func:`lane_sums` writes the loop in LLVM's vector operations itself. Each lane
takes the same operations in the same order as the scalar loop (a multiply, then an
add, in float64), so the results are bit for bit those of

.. code-block:: python

    sums = [0.0, 0.0, 0.0, 0.0]
    for c in range(R):
        sums[c % 4] += float(A[i, c]) * float(X[j, c])

A float32 weight or entry is widened to float64 in the vector (one instruction for
four values) instead of one at a time.
"""

from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

_LANES = 4
_VECTOR = ir.VectorType(ir.DoubleType(), _LANES)


@intrinsic
def lane_sums(typingctx, A, i, X, j, rows):
    """The four lane sums of ``A[i + r] . X[j]`` for each ``r < rows``.

    Parameters
    ----------
    A, X : C-contiguous 2-D arrays of float32 or float64 with the same number of
        columns R (not checked: the caller's shapes guarantee it).
    i, j : int
        The first row of ``A``; the row of ``X``.
    rows : int literal
        How many rows of ``A`` to sum against ``X[j]`` (their loops run together,
        so that the adds of several rows overlap and ``X[j]`` is loaded once).

    Returns
    -------
    tuple of 4 * rows floats
        For row ``i + r``, items ``4 r`` to ``4 r + 3``: lane ``l`` is the sum, in
        column order, of ``float64(A[i + r, c]) * float64(X[j, c])`` over the
        columns ``c`` with ``c % 4 == l``.
    """
    if not isinstance(rows, types.IntegerLiteral):
        return None
    for array in (A, X):
        if not (
            isinstance(array, types.Array)
            and array.ndim == 2
            and array.layout == "C"
            and array.dtype in (types.float32, types.float64)
        ):
            return None
    n_rows = rows.literal_value
    signature = types.UniTuple(types.float64, _LANES * n_rows)(A, i, X, j, rows)

    def codegen(context, builder, sig, args):
        A_type, i_type, X_type, j_type, _ = sig.args
        intp = context.get_value_type(types.intp)

        def row_start(array_type, value, row):
            view = context.make_array(array_type)(context, builder, value)
            index = [row, ir.Constant(intp, 0)]
            start = cgutils.get_item_pointer(context, builder, array_type, view, index)
            return start, cgutils.unpack_tuple(builder, view.shape, 2)[1]

        def load_lanes(start, column, array_type):
            # the four entries from ``column`` on, widened to float64
            element = context.get_value_type(array_type.dtype)
            vector = ir.VectorType(element, _LANES)
            address = builder.bitcast(builder.gep(start, [column]), vector.as_pointer())
            loaded = builder.load(address, align=array_type.dtype.bitwidth // 8)
            if array_type.dtype == types.float64:
                return loaded
            return builder.fpext(loaded, _VECTOR)

        def load_one(start, column, array_type):
            value = builder.load(builder.gep(start, [column]))
            if array_type.dtype == types.float64:
                return value
            return builder.fpext(value, ir.DoubleType())

        first = context.cast(builder, args[1], i_type, types.intp)
        a_starts = [
            row_start(A_type, args[0], builder.add(first, ir.Constant(intp, r)))[0]
            for r in range(n_rows)
        ]
        row = context.cast(builder, args[3], j_type, types.intp)
        x_start, n_columns = row_start(X_type, args[2], row)
        sums = [
            cgutils.alloca_once_value(builder, ir.Constant(_VECTOR, [0.0] * _LANES))
            for _ in range(n_rows)
        ]
        full = builder.udiv(n_columns, ir.Constant(intp, _LANES))
        with cgutils.for_range(builder, full) as loop:
            column = builder.mul(loop.index, ir.Constant(intp, _LANES))
            x = load_lanes(x_start, column, X_type)
            for a_start, total in zip(a_starts, sums, strict=True):
                product = builder.fmul(load_lanes(a_start, column, A_type), x)
                builder.store(builder.fadd(builder.load(total), product), total)
        # the last R % 4 columns, one at a time, into lanes 0, 1, 2
        tail = builder.mul(full, ir.Constant(intp, _LANES))
        for lane in range(_LANES - 1):
            column = builder.add(tail, ir.Constant(intp, lane))
            with builder.if_then(builder.icmp_signed("<", column, n_columns)):
                x = load_one(x_start, column, X_type)
                for a_start, total in zip(a_starts, sums, strict=True):
                    product = builder.fmul(load_one(a_start, column, A_type), x)
                    vector = builder.load(total)
                    index = ir.Constant(ir.IntType(32), lane)
                    added = builder.fadd(
                        builder.extract_element(vector, index), product
                    )
                    builder.store(builder.insert_element(vector, added, index), total)
        values = []
        for total in sums:
            vector = builder.load(total)
            values += [
                builder.extract_element(vector, ir.Constant(ir.IntType(32), lane))
                for lane in range(_LANES)
            ]
        return context.make_tuple(builder, sig.return_type, values)

    return signature, codegen
