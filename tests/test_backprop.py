"""The backpropagation trace equals PyTorch: every gradient equals autograd's ``.grad``, every
new weight equals ``torch.optim.SGD``'s step, the loss equals torch's loss function."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from dlwidgets.engine import backprop as bp


def _model(widths: list[int], act: type[nn.Module] | None, last: type[nn.Module] | None,
           seed: int = 0) -> nn.Sequential:
    torch.manual_seed(seed)
    mods: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(widths[:-1], widths[1:])):
        mods.append(nn.Linear(a, b))
        if i < len(widths) - 2 and act is not None:
            mods.append(act())
    if last is not None:
        mods.append(last())
    return nn.Sequential(*mods)


def _reference(model: nn.Module, x: torch.Tensor, y: torch.Tensor, loss: str, lr: float):
    """Autograd and torch.optim.SGD on a deep copy, written here independently of the engine."""
    clone = copy.deepcopy(model)
    out = clone(x)
    value = {"mse": F.mse_loss, "bce": F.binary_cross_entropy,
             "cross_entropy": F.cross_entropy}[loss](out, y)
    value.backward()
    grads = {n: p.grad.detach().clone().numpy() for n, p in clone.named_parameters()}
    torch.optim.SGD(clone.parameters(), lr=lr).step()
    new = {n: p.detach().clone().numpy() for n, p in clone.named_parameters()}
    return float(value.detach()), grads, new


CASES = [
    # widths, hidden activation, last activation, loss, batch
    ([2, 2, 1], nn.Sigmoid, nn.Sigmoid, "mse", 1),
    ([3, 4, 2], nn.Tanh, None, "mse", 5),
    ([4, 6, 5, 3], nn.ReLU, None, "cross_entropy", 7),
    ([3, 5, 1], nn.LeakyReLU, nn.Sigmoid, "bce", 4),
    ([2, 3, 3, 3, 3, 1], nn.Sigmoid, nn.Sigmoid, "bce", 1),
    ([5, 1], None, None, "mse", 3),
    ([3, 8, 8, 4], nn.Tanh, None, "cross_entropy", 1),
]


@pytest.mark.parametrize("widths,act,last,loss,batch", CASES)
def test_gradients_and_update_equal_autograd_and_sgd(widths, act, last, loss, batch):
    model = _model(widths, act, last)
    g = torch.Generator().manual_seed(1)
    x = torch.randn(batch, widths[0], generator=g)
    if loss == "cross_entropy":
        y = torch.randint(0, widths[-1], (batch,), generator=g)
    elif loss == "bce":
        y = torch.rand(batch, widths[-1], generator=g).round()
    else:
        y = torch.randn(batch, widths[-1], generator=g)
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    trace = bp.trace_step(model, x, y, loss=loss, lr=0.3)
    value, grads, new = _reference(model, x, y, loss, 0.3)
    assert trace.loss_value == pytest.approx(value, rel=1e-5, abs=1e-6)
    assert set(trace.grads) == set(grads) == set(trace.updated)
    for name in grads:
        np.testing.assert_allclose(trace.grads[name], grads[name], rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(trace.updated[name], new[name], rtol=1e-5, atol=1e-6)
    assert trace.autograd_diff < 1e-5 and trace.update_diff < 1e-5
    # the forward pass equals the model's own
    np.testing.assert_allclose(trace.activations[-1], model(x).detach().numpy(), rtol=1e-5,
                               atol=1e-6)
    assert len(trace.activations) == len(trace.layers) + 1
    # the user's model is unchanged and has no gradients
    for n, p in model.named_parameters():
        assert torch.equal(p.detach(), before[n]) and p.grad is None


def test_chain_rule_pieces_fit_together():
    model = _model([3, 4, 2], nn.Sigmoid, nn.Sigmoid)
    x = torch.randn(2, 3)
    trace = bp.trace_step(model, x, torch.rand(2, 2), "mse", 0.1)
    for i, layer in enumerate(trace.layers):
        np.testing.assert_allclose(layer.delta, layer.upstream * layer.fprime, rtol=1e-6)
        np.testing.assert_allclose(layer.fprime, layer.a * (1 - layer.a), rtol=1e-5, atol=1e-7)
        np.testing.assert_allclose(layer.grad_weight, layer.delta.T @ layer.inputs, rtol=1e-5)
        np.testing.assert_allclose(layer.new_weight, layer.weight - 0.1 * layer.grad_weight,
                                   rtol=1e-6)
        if i > 0:
            np.testing.assert_allclose(trace.layers[i - 1].upstream, layer.grad_input, rtol=1e-6)


def test_pre_activations_equal_the_layers_outputs():
    model = _model([3, 4, 2], nn.Tanh, None)
    x = torch.randn(3, 3)
    trace = bp.trace_step(model, x, torch.randn(3, 2))
    np.testing.assert_allclose(trace.layers[0].z, model[0](x).detach().numpy(), rtol=1e-5,
                               atol=1e-6)


def test_worked_2_2_1_example_recomputed_by_torch():
    model, x, y, loss, lr = bp.demo("2-2-1")
    trace = bp.trace_step(model, x, y, loss, lr)
    out = model(x)
    assert float(trace.output[0, 0]) == pytest.approx(float(out.detach()), abs=1e-6)
    assert float(trace.output[0, 0]) == pytest.approx(0.688328, abs=5e-7)  # the notes' ŷ
    value, grads, new = _reference(model, x, y, loss, lr)
    assert trace.loss_value == pytest.approx(value, rel=1e-6)
    for name in grads:
        np.testing.assert_allclose(trace.grads[name], grads[name], rtol=1e-5, atol=1e-7)
        np.testing.assert_allclose(trace.updated[name], new[name], rtol=1e-5, atol=1e-7)


def test_apply_update_writes_the_new_weights():
    model = _model([2, 3, 1], nn.Tanh, None)
    x, y = torch.randn(4, 2), torch.randn(4, 1)
    trace = bp.trace_step(model, x, y, "mse", 0.5)
    _, _, new = _reference(model, x, y, "mse", 0.5)
    bp.apply_update(model, trace)
    for n, p in model.named_parameters():
        np.testing.assert_allclose(p.detach().numpy(), new[n], rtol=1e-6, atol=1e-7)


def test_nested_sequential_and_no_bias():
    model = nn.Sequential(nn.Sequential(nn.Linear(2, 3, bias=False), nn.ReLU()),
                          nn.Flatten(), nn.Linear(3, 2))
    x, y = torch.randn(3, 2), torch.tensor([0, 1, 1])
    trace = bp.trace_step(model, x, y, "cross_entropy", 0.1)
    _, grads, _ = _reference(model, x, y, "cross_entropy", 0.1)
    assert set(trace.grads) == set(grads) == {"0.0.weight", "2.weight", "2.bias"}
    for name in grads:
        np.testing.assert_allclose(trace.grads[name], grads[name], rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("model,match", [
    (nn.Sequential(nn.Linear(2, 2), nn.Dropout()), "Dropout"),
    (nn.Sequential(nn.Conv1d(1, 1, 1)), "Conv1d"),
    (nn.Sequential(nn.ReLU(), nn.Linear(2, 1)), "before any nn.Linear"),
    (nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Tanh()), "second activation"),
    (nn.LSTM(2, 2), "LSTM"),
    ("net", "torch.nn.Module"),
])
def test_unsupported_models_are_named(model, match):
    with pytest.raises(TypeError, match=match):
        bp.trace_step(model, torch.zeros(1, 2), torch.zeros(1, 2))


def test_bad_loss_lr_and_shapes():
    model = _model([2, 2, 1], nn.Sigmoid, nn.Sigmoid)
    x, y = torch.zeros(1, 2), torch.zeros(1, 1)
    with pytest.raises(ValueError, match="loss"):
        bp.trace_step(model, x, y, loss="mae")
    with pytest.raises(TypeError, match="lr"):
        bp.trace_step(model, x, y, lr="fast")
    with pytest.raises(ValueError, match="lr"):
        bp.trace_step(model, x, y, lr=float("nan"))
    with pytest.raises(ValueError, match="lr"):
        bp.trace_step(model, x, y, lr=-1)
    with pytest.raises(ValueError, match=r"x must have shape \(2,\)"):
        bp.trace_step(model, torch.zeros(1, 3), y)
    with pytest.raises(ValueError, match="y must have shape"):
        bp.trace_step(model, x, torch.zeros(1, 2))
    with pytest.raises(ValueError, match="'cross_entropy' takes logits"):
        bp.trace_step(model, x, torch.tensor([0]), loss="cross_entropy")
    with pytest.raises(ValueError, match="class indices must be in"):
        bp.trace_step(_model([2, 3], None, None), x, torch.tensor([3]), loss="cross_entropy")
    with pytest.raises(ValueError, match="bce"):
        bp.trace_step(_model([2, 1], None, None), x + 5, y, loss="bce")


def test_scalar_and_vector_inputs():
    model = _model([2, 2, 1], nn.Sigmoid, nn.Sigmoid)
    trace = bp.trace_step(model, [2.0, 1.0], 1.0)
    assert trace.x.shape == (1, 2) and trace.y.shape == (1, 1)


def _autograd_grads(fn, inputs):
    leaves = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True)
              for k, v in inputs.items()}
    out = fn(**leaves)
    grads = torch.autograd.grad(out, list(leaves.values()), allow_unused=True)
    return float(out.detach()), {k: (np.zeros(np.shape(v)) if g is None else g.numpy())
                                 for (k, v), g in zip(inputs.items(), grads)}


@pytest.mark.parametrize("fn,inputs", [
    (lambda a, b, c: (a * b + c).tanh(), {"a": 2.0, "b": -3.0, "c": 10.0}),
    (lambda x, w, b: torch.sigmoid(x * w + b), {"x": 2.0, "w": 0.5, "b": -1.0}),
    (lambda a, b: (a * a + 3 * b - a / b) ** 2, {"a": 1.5, "b": -0.5}),
    (lambda w, x: torch.tanh(w @ x).sum(), {"w": [[0.1, -0.2], [0.3, 0.4]], "x": [1.0, 2.0]}),
    (lambda a, b: a * 2.0, {"a": 3.0, "b": 1.0}),  # an unused input gets gradient 0
])
def test_expression_graph_equals_autograd(fn, inputs):
    tr = bp.trace_expression(fn, inputs)
    value, grads = _autograd_grads(fn, inputs)
    assert tr.value == pytest.approx(value, rel=1e-12)
    for name, g in grads.items():
        np.testing.assert_allclose(tr.grads[name], g, rtol=1e-12, atol=1e-15)
        if np.ndim(inputs[name]) == 0:
            assert isinstance(tr.grads[name], float)
    # the output node is last, its gradient is 1; inputs come first, named
    assert tr.nodes[-1].grad.item() == pytest.approx(1.0)
    assert [n.label for n in tr.nodes[:len(inputs)]] == list(inputs)
    assert all(p < n.index for n in tr.nodes for p in n.parents)


def test_micrograd_example_nodes():
    tr = bp.trace_expression(lambda a, b, c: (a * b + c).tanh(), {"a": 2.0, "b": -3.0,
                                                                    "c": 10.0})
    ops = [n.op for n in tr.nodes]
    assert ops == ["input", "input", "input", "mul", "add", "tanh"]
    mul, add, th = tr.nodes[3:]
    assert mul.parents == [0, 1] and add.parents == [3, 2] and th.parents == [4]
    assert float(mul.data) == -6.0 and float(add.data) == 4.0
    assert float(th.data) == pytest.approx(np.tanh(4.0))
    # the chain rule by hand: d tanh(n)/dn = 1 − tanh², then + passes it on, * swaps operands
    dn = 1 - np.tanh(4.0) ** 2
    assert float(add.grad) == pytest.approx(dn)
    assert tr.grads["a"] == pytest.approx(dn * -3.0) and tr.grads["b"] == pytest.approx(dn * 2.0)


def test_expression_errors_name_the_argument():
    with pytest.raises(ValueError, match="scalar"):
        bp.trace_expression(lambda a: a * torch.ones(3), {"a": 1.0})
    with pytest.raises(ValueError, match="keyword"):
        bp.trace_expression(lambda: torch.tensor(1.0), {})
    with pytest.raises(ValueError, match="'a' must be a number"):
        bp.trace_expression(lambda a: a, {"a": "two"})
    with pytest.raises(TypeError, match="fn must be a function"):
        bp.trace_expression(3, {"a": 1.0})
    with pytest.raises(ValueError, match="torch tensor"):
        bp.trace_expression(lambda a: 3.0, {"a": 1.0})
