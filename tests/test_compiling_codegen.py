"""compiling.codegen: the generated source, its names, its life in tracebacks."""

from __future__ import annotations

import gc
import linecache
import math
import traceback
import weakref

import pytest

import autograd_lite as ag
from autograd_lite import Value, compile


def _engine(f, *xs: float) -> tuple[float, tuple[float, ...]]:
    """Value and gradients of `f` at `xs` through Values and `backward()`."""
    inputs = [Value(x) for x in xs]
    out = f(*inputs)
    out.backward()
    return out.data, tuple(x.grad for x in inputs)


def test_generated_source_calls_the_rules_own_functions() -> None:
    """Straight-line Python calling each rule's forward and partials, kept as `.source`."""
    h = compile(lambda x, y: (x * y).tanh())
    assert h(0.5, 2.0) == _engine(lambda x, y: (x * y).tanh(), 0.5, 2.0)
    assert h.source.startswith("def compiled(a0, a1):\n")
    assert "v2 = f0(a0, a1)" in h.source
    assert "g2 = g3 * p1_0(v2, v3)" in h.source  # tanh's partial toward its one input
    assert "g0 = g2 * p0_0(a0, a1, v2)" in h.source  # the product's toward each factor
    assert "g1 = g2 * p0_1(a0, a1, v2)" in h.source
    assert "for " not in h.source
    assert "if " not in h.source


def test_non_finite_constants_are_kept() -> None:
    """Constants inf and nan, which have no Python literal, survive code generation."""
    value, grads = compile(lambda x: x + math.inf)(1.0)
    assert value == math.inf
    assert grads == (1.0,)
    assert math.isnan(compile(lambda x: x * math.nan)(1.0)[0])


def test_no_partial_is_computed_toward_a_constant() -> None:
    """A constant operand gets no partial: only the ones toward values that reach an argument."""
    h = compile(lambda x, y: ag.sum([x * y, y, 1.0]) * 3.0)
    assert h(2.0, 5.0) == (48.0, (15.0, 9.0))
    assert "g3 = g4 * p0_0(v3, 3.0, v4)\n" in h.source
    assert "g4 * p0_1" not in h.source  # toward the constant 3.0
    assert "t3[2]" not in h.source  # toward the sum's constant 1.0


def test_generated_source_lives_as_long_as_the_function() -> None:
    """Tracebacks show generated lines via linecache; freeing the function drops the entry."""
    h = compile(lambda x: (x - 1.0).log())
    h(2.0)
    filename = h.traces[0].run.__code__.co_filename
    assert linecache.getlines(filename) == h.source.splitlines(True)
    with pytest.raises(ValueError, match="log") as caught:
        h(0.0)
    lines = [frame.line for frame in traceback.extract_tb(caught.value.__traceback__)]
    assert "v2 = f1(v1)" in lines  # the generated line that called log's forward
    del caught
    run = weakref.ref(h.traces[0].run)
    gc.disable()  # freed by reference counting alone: no cycle through its globals
    try:
        del h
        assert filename not in linecache.cache
        assert run() is None
    finally:
        gc.enable()


def test_many_compiles_leave_no_sources_behind() -> None:
    """200 compiled functions made and dropped leave linecache as it was."""
    before = len(linecache.cache)
    for i in range(200):
        compile(lambda x, i=i: x * i)(1.0)
    assert len(linecache.cache) == before


def test_unicode_names_compile() -> None:
    """A name that NFKC folds (the ligature ﬁ) does not break the generated code."""

    def f(x):
        return x * 2

    f.__name__ = "\ufb01t"
    assert compile(f)(2.0) == (4.0, (2.0,))
