"""A hint to the processor to start loading memory a later visit will read.

The perceptron visits rows in a random order, so the hardware cannot guess which row
comes next and every row's first load waits a whole trip to memory. The kernels know
the order: while they work on visit ``i`` they call :func:`prefetch` on the row of
visit ``i + d`` (and, for CSR rows, on the weights that row will read), so those
loads travel while visit ``i`` computes. A prefetch changes no value and cannot
fault; it is LLVM's ``llvm.prefetch`` intrinsic, which numba does not expose.
"""

from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

# bytes in one cache line of the x86-64 and ARM64 processors numba targets
LINE_BYTES = 64

_I8_POINTER = ir.IntType(8).as_pointer()
# LLVM names the intrinsic by its pointer type: "p0" with opaque pointers (LLVM 15+)
_NAME = "llvm.prefetch.p0" if str(_I8_POINTER) == "ptr" else "llvm.prefetch.p0i8"


def _int32(value):
    return ir.Constant(ir.IntType(32), value)


@intrinsic
def prefetch(typingctx, array, index):
    """Ask for the cache line holding ``array[index]``.

    ``index`` is an integer for a 1-D array, a tuple of integers otherwise. The
    hint asks for read access (0), to keep the line in all cache levels (locality
    3), in the data cache (1). An index out of bounds is not checked: the hint
    never faults, it only wastes a load.
    """
    signature = types.void(array, index)

    def codegen(context, builder, sig, args):
        array_type, index_type = sig.args
        view = context.make_array(array_type)(context, builder, args[0])
        if isinstance(index_type, types.BaseTuple):
            values = cgutils.unpack_tuple(builder, args[1], len(index_type))
            kinds = index_type.types
        else:
            values, kinds = [args[1]], [index_type]
        indices = [
            context.cast(builder, value, kind, types.intp)
            for value, kind in zip(values, kinds, strict=True)
        ]
        pointer = cgutils.get_item_pointer(context, builder, array_type, view, indices)
        function_type = ir.FunctionType(
            ir.VoidType(), [_I8_POINTER, ir.IntType(32), ir.IntType(32), ir.IntType(32)]
        )
        function = cgutils.get_or_insert_function(builder.module, function_type, _NAME)
        address = builder.bitcast(pointer, _I8_POINTER)
        builder.call(function, [address, _int32(0), _int32(3), _int32(1)])
        return context.get_dummy_value()

    return signature, codegen
