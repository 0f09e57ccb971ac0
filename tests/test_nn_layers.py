"""nn models: parameter order and names, seeded weights, forward values and shapes, errors."""

from __future__ import annotations

import math
import random

import pytest

import nn
from autograd_lite import Value


def _set(neuron: nn.Neuron, w: list[float], b: float) -> None:
    for parameter, number in zip(neuron.w, w):
        parameter.data = number
    neuron.b.data = b


def test_mlp_2_16_16_1_has_337_parameters() -> None:
    """16*(2+1) + 16*(16+1) + 1*(16+1) = 48 + 272 + 17 = 337."""
    model = nn.MLP(2, [16, 16, 1])
    assert len(model.parameters()) == 337
    assert len(set(model.parameters())) == 337


def test_parameters_order_is_weights_then_bias_neuron_by_neuron() -> None:
    """Per neuron its weights in input order, then its bias; neurons and layers in order."""
    model = nn.MLP(2, [2, 1])
    expected = []
    for layer in model.layers:
        for neuron in layer.neurons:
            expected += [*neuron.w, neuron.b]
    assert all(a is b for a, b in zip(model.parameters(), expected, strict=True))


def test_named_parameters_have_stable_dotted_names() -> None:
    """Names spell the path to each parameter, in parameter order."""
    model = nn.MLP(2, [2, 1])
    assert [name for name, _ in model.named_parameters()] == [
        "layers.0.neurons.0.w.0",
        "layers.0.neurons.0.w.1",
        "layers.0.neurons.0.b",
        "layers.0.neurons.1.w.0",
        "layers.0.neurons.1.w.1",
        "layers.0.neurons.1.b",
        "layers.1.neurons.0.w.0",
        "layers.1.neurons.0.w.1",
        "layers.1.neurons.0.b",
    ]
    assert [p for _, p in model.named_parameters()] == model.parameters()
    assert model.layers[0].neurons[1].w[0].label == "layers.0.neurons.1.w.0"
    assert [name for name, _ in nn.Neuron(2).named_parameters()] == ["w.0", "w.1", "b"]
    assert [name for name, _ in nn.Layer(1, 2).named_parameters()] == [
        "neurons.0.w.0",
        "neurons.0.b",
        "neurons.1.w.0",
        "neurons.1.b",
    ]


def test_same_seed_same_weights_different_seed_different_weights() -> None:
    """A seed fixes every initial weight; another seed (or none) gives others."""
    first = nn.MLP(3, [4, 2], seed=7).state_dict()
    assert nn.MLP(3, [4, 2], seed=7).state_dict() == first
    assert nn.MLP(3, [4, 2], seed=8).state_dict() != first
    assert nn.MLP(3, [4, 2]).state_dict() != nn.MLP(3, [4, 2]).state_dict()
    assert nn.Layer(3, 2, seed=1).state_dict() == nn.Layer(3, 2, seed=1).state_dict()
    assert nn.Neuron(3, seed=1).state_dict() == nn.Neuron(3, seed=1).state_dict()


@pytest.mark.parametrize("seed", [0, 1, None])
def test_a_layers_neurons_start_different(seed: int | None) -> None:
    """Neurons that started equal would get equal gradients and stay equal: no two may.

    Each neuron draws from its own seed, taken from the layer's generator, so no two weight
    vectors (nor biases) of a layer are the same, in any layer of a model.
    """
    model = nn.MLP(3, [16, 16, 1], seed=seed)
    for layer in model.layers:
        starts = [(tuple(w.data for w in neuron.w), neuron.b.data) for neuron in layer.neurons]
        assert len(set(starts)) == len(starts)
        assert len({b for _, b in starts}) == len(starts)


def test_seeding_leaves_the_global_random_generator_alone() -> None:
    """Models draw from their own Random: the global stream is neither used nor reseeded."""
    random.seed(123)
    state = random.getstate()
    nn.MLP(2, [8, 1], seed=0)
    nn.MLP(2, [8, 1])
    assert random.getstate() == state


def test_initial_weights_lie_within_one_over_sqrt_fan_in() -> None:
    """Weights and biases start in ±1/sqrt(nin), as torch.nn.Linear does."""
    model = nn.MLP(4, [16, 1], seed=3)
    first = [p.data for p in model.layers[0].parameters()]
    second = [p.data for p in model.layers[1].parameters()]
    assert max(map(abs, first)) <= 1 / math.sqrt(4)
    assert max(map(abs, second)) <= 1 / math.sqrt(16)
    assert max(map(abs, first)) > 0.4  # the range is actually used


@pytest.mark.parametrize(
    ("activation", "expected"),
    [
        ("tanh", math.tanh(0.25)),
        ("relu", 0.25),
        ("sigmoid", 1 / (1 + math.exp(-0.25))),
        (None, 0.25),
    ],
)
def test_neuron_applies_its_activation_to_w_dot_x_plus_b(activation, expected) -> None:
    """0.5*2 + (-1)*1 + 0.25 = 0.25 goes through the named activation."""
    neuron = nn.Neuron(2, activation=activation)
    _set(neuron, [0.5, -1.0], 0.25)
    out = neuron([2.0, 1.0])
    assert isinstance(out, Value)
    assert out.data == pytest.approx(expected, rel=1e-15)


def test_relu_neuron_is_zero_for_negative_sums() -> None:
    """relu clips a negative weighted sum to 0."""
    neuron = nn.Neuron(1, activation="relu")
    _set(neuron, [1.0], -3.0)
    assert neuron([1.0]).data == 0.0


def test_weighted_sum_with_bias_is_one_node() -> None:
    """w · x + b is a single dot node whose parents are the weights, the bias and the inputs."""
    neuron = nn.Neuron(3, activation=None)
    out = neuron([1.0, 2.0, 3.0])
    assert out.op == "dot"
    assert out.parents[:4] == (*neuron.w, neuron.b)
    assert [p.data for p in out.parents[4:]] == [1.0, 2.0, 3.0, 1.0]
    activated = nn.Neuron(3)([1.0, 2.0, 3.0])
    assert activated.op == "tanh"
    assert activated.parents[0].op == "dot"


def test_neuron_gradients_reach_weights_bias_and_inputs() -> None:
    """d tanh(w·x+b)/dw_i = (1 - out²) x_i, /db = 1 - out², /dx_i = (1 - out²) w_i."""
    neuron = nn.Neuron(2)
    _set(neuron, [0.5, -1.0], 0.25)
    x = [Value(2.0), Value(1.0)]
    out = neuron(x)
    out.backward()
    slope = 1 - math.tanh(0.25) ** 2
    assert [w.grad for w in neuron.w] == pytest.approx([2 * slope, slope], rel=1e-14)
    assert neuron.b.grad == pytest.approx(slope, rel=1e-14)
    assert [xi.grad for xi in x] == pytest.approx([0.5 * slope, -slope], rel=1e-14)


def test_output_types_follow_the_shape() -> None:
    """Neuron: a Value. Layer: always a list. MLP: a Value for one output, else a list."""
    assert isinstance(nn.Neuron(2)([1, 2]), Value)
    single = nn.Layer(2, 1)([1, 2])
    assert isinstance(single, list)
    assert len(single) == 1
    assert isinstance(single[0], Value)
    assert len(nn.Layer(2, 3)([1, 2])) == 3
    assert isinstance(nn.MLP(2, [16, 16, 1])([1.0, 2.0]), Value)
    several = nn.MLP(2, [4, 3])([Value(1.0), 2.0])
    assert isinstance(several, list)
    assert len(several) == 3
    assert all(isinstance(v, Value) for v in several)


def test_mlp_hidden_and_output_activations() -> None:
    """Hidden layers use `activation`, the last layer `out_activation` (linear by default)."""
    model = nn.MLP(2, [3, 3, 1], activation="relu", seed=0)
    assert [layer.activation for layer in model.layers] == ["relu", "relu", None]
    out = model([1.0, 1.0])
    assert out.op == "dot"
    hidden = out.parents[4:7]  # after the 3 weights and the bias come the layer's inputs
    assert [h.op for h in hidden] == ["relu", "relu", "relu"]
    squashed = nn.MLP(2, [3, 1], out_activation="sigmoid", seed=0)
    assert squashed([1.0, 1.0]).op == "sigmoid"


def test_mlp_one_output_matches_a_hand_computation() -> None:
    """A 1-1-1 tanh MLP computes w2 * tanh(w1 x + b1) + b2."""
    model = nn.MLP(1, [1, 1])
    _set(model.layers[0].neurons[0], [0.8], -0.1)
    _set(model.layers[1].neurons[0], [1.5], 0.2)
    assert model([0.5]).data == pytest.approx(1.5 * math.tanh(0.3) + 0.2, rel=1e-15)


def test_reprs_say_what_the_model_is() -> None:
    """Each repr is the call that builds the model."""
    assert repr(nn.MLP(2, [16, 16, 1])) == "MLP(2, [16, 16, 1], activation='tanh')"
    assert (
        repr(nn.MLP(2, [4, 1], activation="relu", out_activation="sigmoid"))
        == "MLP(2, [4, 1], activation='relu', out_activation='sigmoid')"
    )
    assert repr(nn.Layer(2, 3, activation=None)) == "Layer(2, 3, activation=None)"
    assert repr(nn.Neuron(2, activation="relu")) == "Neuron(2, activation='relu')"


def test_zero_grad_resets_every_parameter() -> None:
    """After backward some grads are non-zero; zero_grad sets all of them to 0."""
    model = nn.MLP(2, [3, 1], seed=0)
    model([1.0, -2.0]).backward()
    assert any(p.grad != 0 for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())


def test_state_dict_round_trip() -> None:
    """load_state_dict(state_dict()) copies every weight to another model of the same shape."""
    source, target = nn.MLP(2, [3, 1], seed=1), nn.MLP(2, [3, 1], seed=2)
    target.load_state_dict(source.state_dict())
    assert target.state_dict() == source.state_dict()
    assert target([0.3, -0.7]).data == source([0.3, -0.7]).data


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda s: s.pop("layers.1.neurons.0.b"), "missing: layers.1.neurons.0.b"),
        (lambda s: s.update(extra=1.0), "unexpected: extra"),
        (lambda s: s.update({"layers.0.neurons.0.b": math.nan}), "not a finite number"),
        (lambda s: s.update({"layers.0.neurons.0.b": math.inf}), "not a finite number"),
        (lambda s: s.update({"layers.0.neurons.0.b": True}), "not a number"),
        (lambda s: s.update({"layers.0.neurons.0.b": "0.5"}), "not a number"),
    ],
)
def test_bad_state_dict_raises_and_changes_nothing(change, message) -> None:
    """A state with a missing, extra or non-finite entry is refused before anything is set."""
    model = nn.MLP(2, [3, 1], seed=0)
    before = model.state_dict()
    state = nn.MLP(2, [3, 1], seed=9).state_dict()
    change(state)
    with pytest.raises(ValueError, match=message):
        model.load_state_dict(state)
    assert model.state_dict() == before


@pytest.mark.parametrize(
    ("model", "x", "message"),
    [
        (nn.MLP(2, [3, 1]), [1.0, 2.0, 3.0], r"MLP\(2, \[3, 1\].* expects 2 inputs, got 3"),
        (nn.Layer(3, 2), [1.0], r"Layer\(3, 2.* expects 3 inputs, got 1"),
        (nn.Neuron(2), [], r"Neuron\(2.* expects 2 inputs, got 0"),
    ],
)
def test_wrong_input_length_names_expected_and_got(model, x, message) -> None:
    """Calling a model on the wrong number of inputs says how many it wanted."""
    with pytest.raises(ValueError, match=message):
        model(x)


def test_a_single_number_instead_of_a_list_is_a_type_error() -> None:
    """A model takes a list of inputs, even for one input."""
    with pytest.raises(TypeError, match="takes a list of 1 numbers or Values, got float"):
        nn.Neuron(1)(2.0)


def test_unknown_activation_lists_the_valid_ones() -> None:
    """A misspelt activation is refused with the full list of names."""
    message = r"unknown activation 'gelu'; valid activations are 'tanh', 'relu', 'sigmoid', None"
    with pytest.raises(ValueError, match=message):
        nn.Neuron(2, activation="gelu")
    with pytest.raises(ValueError, match="unknown activation 'Tanh'"):
        nn.MLP(2, [3, 1], out_activation="Tanh")


@pytest.mark.parametrize(
    ("build", "error", "message"),
    [
        (lambda: nn.Neuron(0), ValueError, "nin must be a positive int, got 0"),
        (lambda: nn.Layer(2, -1), ValueError, "nout must be a positive int, got -1"),
        (lambda: nn.Neuron(2.5), TypeError, "nin must be a positive int, got float 2.5"),
        (lambda: nn.Neuron(True), TypeError, "got bool True"),
        (lambda: nn.MLP(2, []), ValueError, "at least one layer size"),
        (lambda: nn.MLP(2, 3), TypeError, "nouts must be a list of layer sizes, got int"),
        (lambda: nn.MLP(2, [3, 0]), ValueError, "each layer size in nouts"),
    ],
)
def test_bad_sizes_are_refused(build, error, message) -> None:
    """Sizes must be positive ints; the error names the bad one."""
    with pytest.raises(error, match=message):
        build()
