"""What a rule is: a differentiable operation, how it is called, and how users make their own.

A `Rule` is a float function and, per input, a function giving the local derivative of the
output toward that input, `partial(*inputs, out)`. The table of the built-in rules,
`autograd_lite.rules`, is written with this module; so is every user rule, by `primitive()`.

Calling a rule on plain numbers returns a float. When an argument is not a number, the rule
hands itself to that argument's `__apply_rule__(rule, args)`, as a NumPy ufunc defers to an
operand's `__array_ufunc__` (NEP 13); `Value` answers by recording a node. So the rules need
no import of the graph above them.

`RULES` is the registry every reader looks rules up in (the formula language, the testing
strategies): the table enters its built-ins, `primitive(register=True)` adds user rules.
"""

from __future__ import annotations

import contextvars
import inspect
import keyword
import numbers
import reprlib
from collections.abc import Callable, Sequence
from typing import Any, Protocol, TypeVar, overload

from autograd_lite.formulas import OUT, check, fill


class Traced(Protocol):
    """What a rule defers to when an argument is not a number: a Value, to this module."""

    def __apply_rule__(self, rule: Rule, args: Sequence[Any]) -> Any: ...


TracedT = TypeVar("TracedT", bound=Traced)

differentiating: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "differentiating", default=False
)
"""True while a user's partial runs on Values: `float(value)` there would silently cut the
derivative graph (`math.cos(x)` works through `__float__`), so Values refuse it then."""

Partial = Callable[..., Any]
"""`partial(*inputs, out)`: a local derivative, a float for floats and a Value for Values."""

Kinks = Callable[..., Sequence[Any]]
"""`kinks(*inputs)`: quantities that are 0 where the rule is not smooth (relu: `(x,)`)."""

ArrayForm = Callable[[Any], tuple[Any, ...]]
"""`array(np)`: the rule over NumPy arrays, `(forward, partial_0, partial_1, ...)`, given the
NumPy module (this module never imports it). None for a partial whose float function, plain
arithmetic, serves arrays as it is. They take the float functions' side at every kink; where
they give inf or nan, `compile`'s kernels ask the float functions again, so domain errors and
special values stay the rule's own."""

DOMAINS = ("real", "positive", "nonzero", "> -1", ">= 1", "[-1, 1]", "(-1, 1)")
"""The domains an input can have: all reals, x > 0, x != 0, x > -1, x >= 1, |x| <= 1, |x| < 1."""


def as_float(data: object, what: str = "Value") -> float:
    """`data` as a float: the one coercion of a number entering the engine.

    `Value()`, every rule and operator, `sum`/`dot`, `backward`'s seed, `grad` and its kin,
    `gradcheck` and `compile` all call it, so they accept and refuse the same things, with the
    same message naming `what` the number was given to. A real number is an int, a float, a
    NumPy scalar or any `numbers.Real`; a bool is one (Python's int 0 or 1, as in NumPy and
    PyTorch arithmetic), so `x * (y > 0)` and `where(x > 0, a, b)` work.

    Raises TypeError for anything else (str, complex, None, a list), naming its type and
    value, and OverflowError for an integer beyond the float range (about 1.8e308).
    """
    if type(data) is float:
        return data
    if isinstance(data, numbers.Real):
        try:
            return float(data)
        except OverflowError:
            digits = str(abs(int(data)))  # type: ignore[call-overload]
            shown = digits if len(digits) <= 20 else f"{digits[:6]}...{digits[-4:]}"
            sign = "-" if data < 0 else ""
            raise OverflowError(
                f"{what}: the integer {sign}{shown} ({len(digits)} digits) is too large for a "
                "float, whose largest value is about 1.8e308"
            ) from None
    raise not_a_number(data, what)


def not_a_number(data: object, what: str) -> TypeError:
    """The error for `data` given to `what` where a real number (or a Value) belongs."""
    kind = type(data)  # its package too, so NumPy's bool is not taken for Python's
    package = kind.__module__.partition(".")[0]
    named = kind.__name__ if package == "builtins" else f"{package}.{kind.__name__}"
    return TypeError(
        f"{what} needs a real number (int, float, bool or numpy scalar), "
        f"got {named} {reprlib.repr(data)}"
    )


def is_number(x: object) -> bool:
    """Whether `x` is a plain real number (not a Value), the kind a rule computes on directly."""
    return type(x) is float or isinstance(x, numbers.Real)


class Constant:
    """A local derivative that is the same number everywhere (d(x + y)/dx = 1), as a partial.

    Callable like any partial; the graph's builders read `.value` instead of calling it.
    """

    __slots__ = ("value",)

    def __init__(self, value: float) -> None:
        self.value = value

    def __call__(self, *inputs_and_out: Any) -> float:
        return self.value

    def __repr__(self) -> str:
        return f"Constant({self.value!r})"


class Flat(float):
    """The local derivative 0 of a flat branch (relu for x <= 0, the unchosen side of maximum,
    clamp outside its bounds, floor everywhere): it stops any adjoint or tangent, infinite and
    nan ones included, as PyTorch's backward of those rules selects rather than multiplies.

    `FLAT * g == g * FLAT == 0.0` for every number or Value `g` (`0.0 * inf` would be nan: one
    `sqrt(relu(x))` at x < 0 would make every gradient of a loss nan, where the function is
    flat and its derivative 0). Otherwise it is the float 0.0. The reverse pass needs no test
    for it: Python calls a float subclass's `__rmul__` before `float.__mul__`.
    """

    __slots__ = ()

    def __new__(cls) -> Flat:
        return super().__new__(cls, 0.0)

    def __mul__(self, other: Any) -> Any:
        if is_number(other) or hasattr(type(other), "__apply_rule__"):
            return 0.0
        return NotImplemented

    __rmul__ = __mul__

    def __reduce__(self) -> str:
        return "FLAT"


FLAT = Flat()
"""The one flat zero: partials return it on their flat branches (see `Flat`)."""


class Rule:
    """A differentiable operation: `forward(*floats) -> float` and its local derivatives.

    `partials` holds one function per input, `partials[i](*inputs, out)` = d out / d input i;
    a plain number there is a constant local derivative (kept as a `Constant`). A rule with
    `arity=None` takes any number of inputs (`sum`, `dot`) as one list: `forward(inputs)`, and
    its single partial function, `partials[0](inputs, out)`, returns the local derivatives
    toward all of them at once (a list of 34 numbers is not unpacked into 34 arguments).

    `defaults` are values for trailing inputs a call may leave out (leaky_relu's slope).
    `domain` names each input's domain (one of `DOMAINS`; "real" when None) and `kinks`
    gives quantities that are 0 where the rule is not smooth: what `autograd_lite.testing`
    needs to draw inputs where finite differences are meaningful. `array` is the rule's
    optional form over NumPy arrays (see `ArrayForm`); without one, a batch applies the float
    functions entry by entry.

    `formulas` gives, per input, its local derivative as text in the formula language over
    the input names `inputs` (x, or x and y, by default) and `out`, the node itself: tanh's is
    `1 - out**2`; `formula()` puts the names of a graph in. An n-ary rule gives one function,
    `formulas(i, n)`, a template over x0 ... x{n-1}. ValueError for a template that is not a
    formula over those names.
    """

    def __init__(
        self,
        name: str,
        forward: Callable[..., float],
        partials: Sequence[Partial | float],
        arity: int | None = -1,
        *,
        doc: str | None = None,
        defaults: Sequence[float] = (),
        domain: Sequence[str] | None = None,
        kinks: Kinks | None = None,
        inputs: Sequence[str] | None = None,
        formulas: Sequence[str | None] | Callable[[int, int], str] | None = None,
        array: ArrayForm | None = None,
    ) -> None:
        self.name = name
        self.forward = forward
        self.partials: tuple[Partial, ...] = tuple(
            d if callable(d) else Constant(as_float(d)) for d in partials
        )
        self.arity = len(self.partials) if arity == -1 else arity
        self.defaults = tuple(defaults)
        n = self.arity if self.arity is not None else 0
        self.domain = tuple(domain) if domain is not None else ("real",) * n
        if not set(self.domain) <= set(DOMAINS) or len(self.domain) != n:
            raise ValueError(f"rule {name!r}: domain {self.domain!r} must give one of {DOMAINS}")
        self.kinks = kinks
        self.inputs = tuple(inputs) if inputs is not None else _default_inputs(n)
        if len(self.inputs) != n:
            raise ValueError(f"rule {name!r}: inputs {self.inputs!r} must name {n} input(s)")
        self.formulas = formulas if callable(formulas) else tuple(formulas or (None,) * n)
        if not callable(self.formulas):
            if len(self.formulas) != n:
                raise ValueError(f"rule {name!r}: formulas must give one text per input")
            for template in self.formulas:
                if template is not None:
                    try:
                        check(template, self.inputs)
                    except ValueError as error:
                        raise ValueError(f"rule {name!r}: {error}") from None
        self.array = array
        self.__doc__ = doc or forward.__doc__

    def __repr__(self) -> str:
        return f"<rule {self.name}>"

    @overload
    def __call__(self, *args: float) -> float: ...  # type: ignore[overload-overlap]
    @overload
    def __call__(self, *args: TracedT | float) -> TracedT: ...
    def __call__(self, *args: Any) -> Any:
        """Numbers in, float out; with any Value among `args`, a Value recording them."""
        if self.arity is not None and len(args) != self.arity:
            args = self._with_defaults(args)
        for arg in args:
            if not is_number(arg):
                apply = getattr(type(arg), "__apply_rule__", None)
                if apply is None:
                    raise not_a_number(arg, self.name)
                return apply(arg, self, args)
        numbers = [as_float(arg, self.name) for arg in args]
        return self.forward(numbers) if self.arity is None else self.forward(*numbers)

    def _with_defaults(self, args: tuple[Any, ...]) -> tuple[Any, ...]:
        """`args` completed with the defaults of the inputs left out; TypeError for a bad count."""
        assert self.arity is not None
        fewest = self.arity - len(self.defaults)
        if not fewest <= len(args) <= self.arity:
            takes = f"{self.arity}" if fewest == self.arity else f"{fewest} to {self.arity}"
            raise TypeError(f"{self.name} takes {takes} argument(s), got {len(args)}")
        return args + self.defaults[len(args) - fewest :]

    def formula(self, i: int, out: str, inputs: Sequence[str | float]) -> str:
        """The local derivative toward input `i` as text, with the node named `out` and its
        inputs named (or given as the numbers of constant operands) by `inputs`:
        `sigmoid.formula(0, "s", ["z"])` is `s*(1 - s)`, `pow_rule.formula(0, "p", ["x", 2.0])`
        is `2*x`. Without a formula, `d<name>/d<input>` (dsoftplus/dz)."""
        if callable(self.formulas):
            template: str | None = self.formulas(i, len(inputs))
            names: dict[str, str | float] = {f"x{k}": name for k, name in enumerate(inputs)}
        else:
            template = self.formulas[i]
            names = dict(zip(self.inputs, inputs))
        if template is None:
            return f"d{self.name}/d{inputs[i]}"
        names[OUT] = out
        return fill(template, names)

    def local_derivatives(self, inputs: Sequence[Any], out: Any) -> Sequence[Any]:
        """d out / d input for every input, from floats or Values (the Value pass uses this)."""
        if self.arity is None:
            return self.partials[0](inputs, out)  # type: ignore[no-any-return]
        return [partial(*inputs, out) for partial in self.partials]


def _default_inputs(n: int) -> tuple[str, ...]:
    """The names templates give the inputs of a rule that names none: x, then x and y."""
    return ("x",) if n == 1 else ("x", "y") if n == 2 else tuple(f"x{k}" for k in range(n))


RULES: dict[str, Rule] = {}
"""Every operation by name: the table's built-ins (entered by `autograd_lite.rules`), then the
user rules `primitive(register=True)` adds."""

_USER_NAMES: set[str] = set()
"""The names in `RULES` that `primitive(register=True)` entered, which it may enter again."""


# ---------------------------------------------------------------- user rules


class _CheckedForward:
    """A user's forward function, held to returning a real number."""

    def __init__(self, name: str, fn: Callable[..., float]) -> None:
        self.name, self.fn = name, fn
        self.__doc__ = fn.__doc__

    def __call__(self, *xs: float) -> float:
        try:
            out = self.fn(*xs)
        except (ArithmeticError, ValueError) as error:  # name the operation and the point
            shown = ", ".join(map(repr, xs))
            raise type(error)(f"primitive {self.name!r} at {shown}: {error}") from None
        if type(out) is float:
            return out
        try:
            return as_float(out, f"primitive {self.name!r}")
        except TypeError:
            raise TypeError(
                f"primitive {self.name!r} returned {type(out).__name__} {out!r}, not a real number"
            ) from None


class _UserPartial:
    """A user's `d(*xs)` for input `i`, as a rule's `partial(*xs, out)`, its result checked."""

    def __init__(self, name: str, i: int, d: Callable[..., Any]) -> None:
        self.name, self.i, self.d = name, i, d

    def __call__(self, *xs_and_out: Any) -> Any:
        xs = xs_and_out[:-1]
        on_numbers = all(is_number(x) for x in xs)
        token = differentiating.set(not on_numbers)
        try:
            partial = self.d(*xs)
        except TypeError as error:
            if on_numbers:
                raise
            raise TypeError(
                f"primitive {self.name!r}: the derivative for argument {self.i} works on floats "
                f"only ({error}), so it cannot be differentiated again; write it with "
                "autograd_lite's functions (exp, log, sigmoid, ...) to get higher orders"
            ) from None
        finally:
            differentiating.reset(token)
        if not is_number(partial):
            if not hasattr(type(partial), "__apply_rule__"):
                raise TypeError(
                    f"primitive {self.name!r}: the derivative for argument {self.i} returned "
                    f"{type(partial).__name__} {partial!r}, not a number"
                )
            if not on_numbers:
                return partial  # a Value: the derivative as a graph, for higher orders
        return float(partial)


def _check_arity(name: str, fn: Callable[..., float], n: int) -> None:
    """TypeError when `fn` cannot take the `n` arguments its `n` partials say it has."""
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):  # some built-ins have none: nothing to check
        return
    try:
        signature.bind(*range(n))
    except TypeError:
        raise TypeError(
            f"primitive {name!r}: fn{signature} does not take {n} argument(s), "
            f"but grads gives {n} partial derivative(s), one per argument"
        ) from None


def _parameter_names(fn: Callable[..., float], n: int) -> tuple[str, ...] | None:
    """The names of fn's first `n` parameters, for formulas; None when it has no such names."""
    try:
        parameters = list(inspect.signature(fn).parameters.values())[:n]
    except (TypeError, ValueError):
        return None
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    names = tuple(p.name for p in parameters if p.kind in positional)
    return names if len(names) == n and OUT not in names else None


def primitive(
    name: str,
    fn: Callable[..., float],
    grads: Sequence[Callable[..., Any]],
    *,
    register: bool = False,
    domain: Sequence[str] | None = None,
    kinks: Kinks | None = None,
    formulas: Sequence[str | None] | None = None,
) -> Rule:
    """A new differentiable operation from a float function and one partial per argument.

    `fn(*xs)` computes the value from floats; `grads[i](*xs)` is d fn / d xs[i], written with
    autograd_lite's functions so that it also accepts Values (which gives higher derivatives).
    The result is called like the built-ins: numbers in, float out; any Value in, Value out.

    With `register=True` the rule joins the table, `RULES`, under its name (an identifier no
    built-in has; registering the name again replaces the earlier user rule): the formula
    language, `autograd_lite.testing.expressions()` and everything else that reads the table
    then know it. `domain` and `kinks` are as for `Rule`, for the strategies.

    `formulas` gives, per argument, the partial as text in the formula language over fn's
    parameter names and `out` (`("sigmoid(x)",)`), for `explain` and the page; without it they
    say `dsoftplus/dx`. ValueError for a text that is not such a formula.

    >>> softplus = primitive("softplus", lambda x: math.log1p(math.exp(x)), grads=(sigmoid,))
    """
    if not isinstance(name, str) or not name:
        raise TypeError(f"primitive needs a non-empty name, got {name!r}")
    if not callable(fn):
        raise TypeError(f"primitive {name!r} needs a callable fn, got {type(fn).__name__}")
    grads = tuple(grads)
    if not grads or not all(callable(d) for d in grads):
        raise TypeError(f"primitive {name!r} needs one callable partial derivative per argument")
    _check_arity(name, fn, len(grads))
    partials = [_UserPartial(name, i, d) for i, d in enumerate(grads)]
    rule = Rule(
        name,
        _CheckedForward(name, fn),
        partials,
        domain=domain,
        kinks=kinks,
        inputs=_parameter_names(fn, len(grads)),
        formulas=formulas,
    )
    if register:
        taken = name in RULES and name not in _USER_NAMES
        if not name.isidentifier() or keyword.iskeyword(name) or taken:
            raise ValueError(
                f"primitive {name!r} cannot be registered: the name must be an identifier that "
                "no built-in rule has"
            )
        RULES[name] = rule
        _USER_NAMES.add(name)
    return rule
