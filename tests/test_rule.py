"""autograd_lite.rule: the one coercion of numbers into the engine, and primitive, a user's rule."""

from __future__ import annotations

import math
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import pytest

import autograd_lite as ag
from autograd_lite import Value, primitive
from autograd_lite.rule import as_float

# ---------------------------------------------------------------- one coercion, every entry point


def _tanh_plus(x: Any) -> Any:
    return ag.tanh(x) + 0.5 * x


DIFFERENTIATED = "_tanh_plus: argument 0 to differentiate"

ENTRY_POINTS: dict[str, tuple[str, Callable[[Any], float]]] = {
    "Value": ("Value", lambda v: Value(v).data),
    "a rule": ("tanh", lambda v: ag.tanh(v)),
    "a rule on Values": ("clamp", lambda v: ag.clamp(Value(0.25), v, 2.0).data),
    "where's condition": ("where", lambda v: ag.where(v, Value(3.0), 4.0).data),
    "sum": ("sum", lambda v: ag.sum([Value(1.0), v]).data),
    "dot": ("dot", lambda v: ag.dot([Value(2.0)], [v]).data),
    "backward's seed": ("backward", lambda v: _seeded(v)),
    "a comparison": (">", lambda v: float(Value(0.5) > v)),
    "grad": (DIFFERENTIATED, lambda v: ag.grad(_tanh_plus)(v)),
    "value_and_grad": (DIFFERENTIATED, lambda v: ag.value_and_grad(_tanh_plus)(v)[1]),
    "hessian": (DIFFERENTIATED, lambda v: ag.hessian(_tanh_plus)(v)[0][0]),
    "gradcheck": ("gradcheck", lambda v: float(ag.gradcheck(_tanh_plus, [v]))),
    "compile": ("compile", lambda v: ag.compile(_tanh_plus)(v)[1][0]),
    "jvp's tangent": (
        "jvp(_tanh_plus): tangent 0",
        lambda v: ag.jvp(_tanh_plus, [0.5], [v])[1],
    ),
}
"""Each way a number enters the engine: what its refusal names, and a call giving a float."""


def _seeded(v: Any) -> float:
    x = Value(2.0)
    (x * 3.0).backward(v)
    return x.grad


@pytest.mark.parametrize("entry", ENTRY_POINTS)
def test_a_bool_is_the_number_0_or_1_at_every_entry_point(entry: str) -> None:
    """True and False give what 1 and 0 give, wherever a number enters (bools are ints)."""
    _, call = ENTRY_POINTS[entry]
    assert call(True) == call(1) == call(1.0)
    assert call(False) == call(0) == call(0.0)


@pytest.mark.parametrize("entry", ENTRY_POINTS)
@pytest.mark.parametrize(
    ("junk", "shown"), [("3", "str '3'"), (None, "NoneType None"), (2j, "complex 2j")]
)
def test_a_non_number_is_refused_with_one_message_at_every_entry_point(
    entry: str, junk: object, shown: str
) -> None:
    """A str, None or complex is a TypeError with the same sentence everywhere, naming where."""
    what, call = ENTRY_POINTS[entry]
    with pytest.raises(TypeError) as caught:
        call(junk)
    assert str(caught.value) == (
        f"{what} needs a real number (int, float, bool or numpy scalar), got {shown}"
    )


@pytest.mark.parametrize(
    ("data", "expected"), [(3, 3.0), (True, 1.0), (Fraction(1, 4), 0.25), (-0.0, -0.0)]
)
def test_as_float_takes_every_real_number(data: object, expected: float) -> None:
    """ints, bools, fractions and floats become the float they stand for."""
    result = as_float(data)
    assert type(result) is float
    assert math.copysign(1.0, result) == math.copysign(1.0, expected)
    assert result == expected


def test_as_float_names_a_numpy_bool_by_its_module() -> None:
    """NumPy keeps its bool out of the numbers (no `__index__`); the refusal says which bool."""
    np = pytest.importorskip("numpy")
    assert as_float(np.int64(7)) == 7.0
    with pytest.raises(TypeError, match=r"tanh needs a real number .*got numpy\.bool"):
        as_float(np.True_, "tanh")


def test_an_integer_beyond_the_float_range_is_named_with_where_it_went() -> None:
    """10**400 is an OverflowError naming its digits and the operation."""
    with pytest.raises(OverflowError, match=r"grad: the integer 100000\.\.\.0000 \(401 digits\)"):
        as_float(10**400, "grad")


def test_a_comparison_does_not_read_a_string_as_a_number() -> None:
    """Value(1.0) < "3" was True (float("3")); a comparison coerces as every entry point does."""
    with pytest.raises(TypeError, match="< needs a real number"):
        _ = Value(1.0) < "3"  # type: ignore[operator]


# ---------------------------------------------------------------- primitive: a user's rule


def _softplus(x: float) -> float:
    return math.log1p(math.exp(x))


def test_primitive_matches_its_closed_form() -> None:
    """A user primitive differentiates like a built-in and accepts numbers and Values."""
    softplus = ag.primitive("softplus", _softplus, grads=(ag.sigmoid,))
    assert softplus(0.0) == pytest.approx(math.log(2.0))
    x = Value(0.3)
    y = softplus(x * 2.0)
    y.backward()
    assert y.op == "softplus"
    assert x.grad == pytest.approx(2.0 / (1.0 + math.exp(-0.6)), rel=1e-12)


def test_primitive_with_two_arguments() -> None:
    """Each argument gets its own partial; numbers on either side work."""
    hypot = ag.primitive(
        "hypot",
        math.hypot,
        grads=(lambda x, y: x / (x * x + y * y) ** 0.5, lambda x, y: y / (x * x + y * y) ** 0.5),
    )
    x, y = Value(3.0), Value(4.0)
    out = hypot(x, y)
    out.backward()
    assert (out.data, x.grad, y.grad) == pytest.approx((5.0, 0.6, 0.8))
    assert hypot(3.0, 4.0) == 5.0
    z = Value(3.0)
    hypot(z, 4.0).backward()
    assert z.grad == pytest.approx(0.6)


def test_primitive_rejects_a_non_real_result() -> None:
    """A primitive whose function returns something that is not a real number says so."""
    broken = ag.primitive("broken", lambda x: complex(x, 1.0), grads=(lambda x: 1.0,))
    with pytest.raises(TypeError, match=r"broken.*complex"):
        broken(Value(1.0))


def test_primitive_arity_and_arguments_are_checked() -> None:
    """Bad primitive definitions and calls fail with the primitive's name."""
    softplus = ag.primitive("softplus", _softplus, grads=(ag.sigmoid,))
    with pytest.raises(TypeError, match="softplus takes 1 argument"):
        softplus(1.0, 2.0)  # type: ignore[call-overload]
    with pytest.raises(TypeError, match="one callable partial"):
        ag.primitive("bad", _softplus, grads=())
    with pytest.raises(TypeError, match="callable fn"):
        ag.primitive("bad", 3.0, grads=(ag.sigmoid,))  # type: ignore[arg-type]


def test_primitive_partial_that_is_not_a_number() -> None:
    """A partial returning something other than a number is named when the node is built."""
    bad = ag.primitive("bad", lambda x: x, grads=(lambda x: "slope",))
    with pytest.raises(TypeError, match=r"'bad'.*argument 0 returned str 'slope'"):
        bad(Value(1.0))


def test_a_primitive_whose_fn_does_not_fit_its_grads_is_refused_at_once() -> None:
    """Two-argument fn, one partial: the mismatch is named when the primitive is made."""
    with pytest.raises(TypeError, match=r"primitive 'bad': fn\(a, b\) does not take 1 argument"):
        primitive("bad", lambda a, b: a * b, grads=(lambda a, b: b,))


def test_a_primitive_s_own_errors_name_it_and_the_point() -> None:
    """math's bare 'math domain error' gains the primitive's name and the number."""
    my_log = primitive("my_log", math.log, grads=(lambda x: 1 / x,))
    with pytest.raises(ValueError, match=r"^primitive 'my_log' at -1\.0: math domain error$"):
        my_log(-1.0)
    with pytest.raises(ValueError, match=r"^primitive 'my_log' at -1\.0: math domain error$"):
        my_log(Value(-1.0))


def test_a_primitive_s_formula_is_its_own_or_says_which_derivative() -> None:
    """A primitive's formula is over fn's parameter names; without one it reads d name/d arg."""
    mine = primitive("soft", lambda u: math.log1p(math.exp(u)), grads=(ag.sigmoid,))
    assert mine.formula(0, "q", ["z"]) == "dsoft/dz"
    told = primitive(
        "soft", lambda u: math.log1p(math.exp(u)), grads=(ag.sigmoid,), formulas=("sigmoid(u)",)
    )
    assert told.formula(0, "q", ["z"]) == "sigmoid(z)"
    with pytest.raises(ValueError, match=r"'soft': the formula 'sigmoid\(x\)' uses 'x'"):
        primitive("soft", lambda u: u, grads=(ag.sigmoid,), formulas=("sigmoid(x)",))
    with pytest.raises(ValueError, match="is not a formula"):
        primitive("soft", lambda u: u, grads=(ag.sigmoid,), formulas=("sigmoid(",))
