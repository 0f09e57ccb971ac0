"""The tutorials' 2-2-2 sigmoid network, built from plain Values, against the published numbers.

Numbers from ../shared/seeds/README.md. Each is compared to the digits printed there: a
value printed as 0.593269992 must round to it at 9 decimals.
"""

from __future__ import annotations

import pytest

from autograd_lite import Value

WEIGHTS = {"w1": 0.15, "w2": 0.20, "w3": 0.25, "w4": 0.30}
WEIGHTS |= {"w5": 0.40, "w6": 0.45, "w7": 0.50, "w8": 0.55}


def _digits(printed: str) -> int:
    return len(printed.split(".")[1])


def _matches(value: float, printed: str) -> bool:
    """Whether `value` shows as `printed` when rounded to as many decimals as it has."""
    return abs(value - float(printed)) <= 0.5 * 10 ** -_digits(printed) + 1e-15


def _network() -> dict[str, Value]:
    """The tutorial's forward pass; every intermediate labelled as the tutorial names it."""
    v = {name: Value(data, label=name) for name, data in WEIGHTS.items()}
    v |= {"i1": Value(0.05, "i1"), "i2": Value(0.10, "i2")}
    v |= {"b1": Value(0.35, "b1"), "b2": Value(0.60, "b2")}
    v["net_h1"] = v["w1"] * v["i1"] + v["w2"] * v["i2"] + v["b1"]
    v["net_h2"] = v["w3"] * v["i1"] + v["w4"] * v["i2"] + v["b1"]
    v["out_h1"] = v["net_h1"].sigmoid()
    v["out_h2"] = v["net_h2"].sigmoid()
    v["net_o1"] = v["w5"] * v["out_h1"] + v["w6"] * v["out_h2"] + v["b2"]
    v["net_o2"] = v["w7"] * v["out_h1"] + v["w8"] * v["out_h2"] + v["b2"]
    v["out_o1"] = v["net_o1"].sigmoid()
    v["out_o2"] = v["net_o2"].sigmoid()
    v["E_o1"] = 0.5 * (0.01 - v["out_o1"]) ** 2
    v["E_o2"] = 0.5 * (0.99 - v["out_o2"]) ** 2
    v["E_total"] = v["E_o1"] + v["E_o2"]
    return v


@pytest.mark.parametrize(
    ("name", "printed"),
    [
        ("net_h1", "0.3775"),
        ("out_h1", "0.593269992"),
        ("out_h2", "0.596884378"),
        ("net_o1", "1.105905967"),
        ("out_o1", "0.75136507"),
        ("out_o2", "0.772928465"),
        ("E_o1", "0.274811083"),
        ("E_o2", "0.023560026"),
        ("E_total", "0.298371109"),
    ],
)
def test_forward_pass(name: str, printed: str) -> None:
    """Every published forward-pass number, to its printed digits."""
    assert _matches(_network()[name].data, printed)


def test_backward_pass_for_w5() -> None:
    """dE/dw5 and its three chain-rule factors, to the printed digits."""
    v = _network()
    v["E_total"].backward()
    assert _matches(v["out_o1"].grad, "0.74136507")  # dE/dout_o1
    assert _matches(v["net_o1"].grad / v["out_o1"].grad, "0.186815602")  # dout_o1/dnet_o1
    assert _matches(v["out_h1"].data, "0.593269992")  # dnet_o1/dw5
    assert _matches(v["w5"].grad, "0.082167041")


@pytest.mark.parametrize(
    ("name", "printed"),
    [
        ("w1", "0.149780716"),
        ("w2", "0.19956143"),
        ("w3", "0.24975114"),
        ("w4", "0.29950229"),
        ("w5", "0.35891648"),
        ("w6", "0.408666186"),
        ("w7", "0.511301270"),
        ("w8", "0.561370121"),
    ],
)
def test_weights_after_one_step(name: str, printed: str) -> None:
    """One step of gradient descent at rate 0.5 from the original weights' gradients."""
    v = _network()
    v["E_total"].backward()
    weight = v[name]
    assert _matches(weight.data - 0.5 * weight.grad, printed)
