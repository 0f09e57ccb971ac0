"""autograd-lite: a scalar reverse-mode automatic differentiation engine you can read.

>>> from autograd_lite import Value
>>> x = Value(2.0, label="x")
>>> y = x * x + x.sin()
>>> y.backward()
>>> round(x.grad, 6)  # 2x + cos(x)
3.583853
"""

from autograd_lite.anomaly import detect_anomaly, find_nonfinite
from autograd_lite.compiling import compile
from autograd_lite.explaining import explain
from autograd_lite.forward import hvp, jacfwd, jacobian, jacrev, jvp, vjp
from autograd_lite.functional import grad, gradients, hessian, value_and_grad
from autograd_lite.gradcheck import GradcheckError, gradcheck
from autograd_lite.graph import RendererError, draw_graph, save_graph
from autograd_lite.graph import html_display as _html_display
from autograd_lite.graph import svg_or_none as _svg_or_none
from autograd_lite.pytorch import to_torch
from autograd_lite.rule import Rule, primitive
from autograd_lite.rules import abs_rule as abs
from autograd_lite.rules import (
    acos,
    acosh,
    asin,
    asinh,
    atan,
    atan2,
    atanh,
    ceil,
    clamp,
    cos,
    cosh,
    elu,
    erf,
    exp,
    exp2,
    expm1,
    floor,
    gelu,
    hypot,
    leaky_relu,
    log,
    log1p,
    log2,
    log10,
    logaddexp,
    maximum,
    minimum,
    relu,
    sigmoid,
    sign,
    silu,
    sin,
    sinh,
    softplus,
    sqrt,
    tan,
    tanh,
    where,
)
from autograd_lite.value import Value, dot, no_grad, stop_gradient, sum, topological_order

# Jupyter shows a Value as its graph: the interactive page, or the plain picture where HTML is
# not shown. The hooks are attached here, above both modules, so that value.py never imports
# the drawing code that builds on it.
Value._repr_svg_ = _svg_or_none  # type: ignore[attr-defined]
Value._repr_html_ = _html_display  # type: ignore[attr-defined]

__version__ = "0.1.0"

__all__ = [
    "GradcheckError",
    "RendererError",
    "Rule",
    "Value",
    "__version__",
    "abs",
    "acos",
    "acosh",
    "asin",
    "asinh",
    "atan",
    "atan2",
    "atanh",
    "ceil",
    "clamp",
    "compile",
    "cos",
    "cosh",
    "detect_anomaly",
    "dot",
    "draw_graph",
    "elu",
    "erf",
    "exp",
    "exp2",
    "explain",
    "expm1",
    "find_nonfinite",
    "floor",
    "gelu",
    "grad",
    "gradcheck",
    "gradients",
    "hessian",
    "hvp",
    "hypot",
    "jacfwd",
    "jacobian",
    "jacrev",
    "jvp",
    "leaky_relu",
    "log",
    "log1p",
    "log2",
    "log10",
    "logaddexp",
    "maximum",
    "minimum",
    "no_grad",
    "primitive",
    "relu",
    "save_graph",
    "sigmoid",
    "sign",
    "silu",
    "sin",
    "sinh",
    "softplus",
    "sqrt",
    "stop_gradient",
    "sum",
    "tan",
    "tanh",
    "to_torch",
    "topological_order",
    "value_and_grad",
    "vjp",
    "where",
]
