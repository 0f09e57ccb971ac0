"""autograd-lite: a scalar reverse-mode automatic differentiation engine you can read.

>>> from autograd_lite import Value
>>> x = Value(2.0, label="x")
>>> y = x * x + x.sin()
>>> y.backward()
>>> round(x.grad, 6)  # 2x + cos(x)
3.583853
"""

from autograd_lite.compiling import compile
from autograd_lite.explain import explain
from autograd_lite.functional import grad, gradients, hessian, value_and_grad
from autograd_lite.gradcheck import GradcheckError, gradcheck
from autograd_lite.graph import RendererError, draw_graph, save_graph
from autograd_lite.graph import html_or_none as _html_or_none
from autograd_lite.graph import svg_or_none as _svg_or_none
from autograd_lite.rules import (
    Rule,
    abs,
    cos,
    exp,
    log,
    primitive,
    relu,
    sigmoid,
    sin,
    sqrt,
    tanh,
)
from autograd_lite.value import Value, dot, no_grad, sum, topological_order

# Jupyter shows a Value as its graph: the interactive page, or the plain picture where HTML is
# not shown. The hooks are attached here, above both modules, so that value.py never imports
# the drawing code that builds on it.
Value._repr_svg_ = _svg_or_none  # type: ignore[attr-defined]
Value._repr_html_ = _html_or_none  # type: ignore[attr-defined]

__version__ = "0.1.0"

__all__ = [
    "GradcheckError",
    "RendererError",
    "Rule",
    "Value",
    "__version__",
    "abs",
    "compile",
    "cos",
    "dot",
    "draw_graph",
    "exp",
    "explain",
    "grad",
    "gradcheck",
    "gradients",
    "hessian",
    "log",
    "no_grad",
    "primitive",
    "relu",
    "save_graph",
    "sigmoid",
    "sin",
    "sqrt",
    "sum",
    "tanh",
    "topological_order",
    "value_and_grad",
]
