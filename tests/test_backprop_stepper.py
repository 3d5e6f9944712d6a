"""BackpropStepper widget in Python: its state holds the whole traced step as binary arrays
equal to autograd, stepping is clamped to the frames, edits and "apply" go through torch, bad
input is refused before any widget exists, and bad requests from the page are shown, not raised."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

import dlwidgets
from dlwidgets import BackpropStepper, build


def _request(widget: BackpropStepper, content: dict) -> None:
    """Deliver a custom message the way ipywidgets does when the front end sends one."""
    widget._handle_custom_msg(content, [])


def _autograd(model: nn.Module, x, y, loss="mse"):
    clone = copy.deepcopy(model)
    fn = {"mse": F.mse_loss, "bce": F.binary_cross_entropy, "cross_entropy": F.cross_entropy}
    fn[loss](clone(x), y).backward()
    return {n: p.grad.numpy() for n, p in clone.named_parameters()}


def test_demo_state_after_construction():
    w = BackpropStepper.demo("2-2-1")
    assert dlwidgets.BackpropStepper is BackpropStepper
    net = w.network
    assert net["widths"] == [2, 2, 1] and net["dense"] and net["dense_reason"] == ""
    assert [layer["activation"] for layer in net["layers"]] == ["sigmoid", "sigmoid"]
    assert net["layers"][0]["fprime_formula"] == "f′(z) = σ(z)(1 − σ(z))"
    assert net["loss"] == "mse" and net["lr"] == pytest.approx(0.1)
    assert net["autograd_diff"] < 1e-6 and net["parameters"] == 9
    state = w.get_state()["arrays"]
    assert {"x", "y", "output", "loss_grad", "1.z", "2.delta", "2.new_weight"} <= set(state)
    for key, wire in state.items():
        assert isinstance(wire["data"], memoryview), key
        assert wire["dtype"] == "float32", key
    assert state["1.weight"]["shape"] == [2, 2] and state["1.z"]["shape"] == [1, 2]
    assert w.step_index == 0 and w.selected == [1, 0] and w.sample == 0
    assert float(w.activations[-1][0, 0]) == pytest.approx(0.688328, abs=5e-7)
    model, x, y, _, _ = dlwidgets.engine.backprop.demo("2-2-1")
    ref = _autograd(model, x, y)
    for name, grad in ref.items():
        np.testing.assert_allclose(w.grads[name], grad, rtol=1e-5, atol=1e-7)
        np.testing.assert_allclose(w.updated[name],
                                   dict(model.named_parameters())[name].detach().numpy()
                                   - 0.1 * grad, rtol=1e-5, atol=1e-7)


def test_trace_records_in_the_order_shown():
    w = BackpropStepper.demo()
    phases = [(r["phase"], r["layer"]) for r in w.trace]
    assert phases == [("forward", 1), ("forward", 2), ("loss", 2), ("backward", 2),
                      ("backward", 1), ("update", 1), ("update", 2)]
    loss = w.trace[2]
    assert loss["value"] == pytest.approx(w.loss_value)
    assert loss["value"] == pytest.approx((1 - 0.688328) ** 2, abs=1e-6)
    back = w.trace[3]
    np.testing.assert_allclose(back["delta"], back["upstream"] * back["fprime"], rtol=1e-6)


def test_stepping_is_clamped_to_the_frames():
    w = BackpropStepper.demo()
    w.step_index = 4
    assert w.step_index == 4
    w.step_index = 99
    assert w.step_index == 6  # 3 frames per layer (forward, backward, update) + the loss
    w.step_index = -3
    assert w.step_index == 0
    w.sample = 5
    assert w.sample == 0


def test_model_is_copied_and_only_apply_changes_it():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    before = copy.deepcopy(model.state_dict())
    x, y = torch.randn(5, 3), torch.randn(5, 2)
    w = BackpropStepper(model, x, y, lr=0.2)
    for k, v in model.state_dict().items():
        assert torch.equal(v, before[k])
    assert all(p.grad is None for p in model.parameters())
    expected = w.updated
    w.apply()
    for name, p in model.named_parameters():
        np.testing.assert_allclose(p.detach().numpy(), expected[name], rtol=1e-6, atol=1e-7)
    # the widget now shows the next step, whose loss (small lr) is lower
    assert w.network["loss_value"] == pytest.approx(w.loss_value)
    ref = _autograd(model, x, y)
    for name, grad in ref.items():
        np.testing.assert_allclose(w.grads[name], grad, rtol=1e-5, atol=1e-6)


def test_dsl_model_batch_and_cross_entropy():
    net = build("input 4\ndense 6 relu\ndense 3\n")
    x = torch.randn(8, 4)
    y = torch.randint(0, 3, (8,))
    w = BackpropStepper(net, x, y, loss="cross_entropy", lr=0.05)
    ref = _autograd(net, x, y, "cross_entropy")
    assert set(w.grads) == set(ref)
    for name, grad in ref.items():
        np.testing.assert_allclose(w.grads[name], grad, rtol=1e-5, atol=1e-6)
    assert w.network["batch"] == 8 and w.get_state()["arrays"]["1.z"]["shape"] == [8, 6]
    w.sample = 7
    assert w.sample == 7


def test_large_layers_are_drawn_per_layer_and_say_why():
    model = nn.Sequential(nn.Linear(20, 16), nn.ReLU(), nn.Linear(16, 1))
    w = BackpropStepper(model, torch.randn(2, 20), torch.randn(2, 1))
    assert not w.network["dense"]
    assert "a layer of 20 neurons" in w.network["dense_reason"]


def test_requests_edit_weight_input_lr_and_apply():
    w = BackpropStepper.demo()
    _request(w, {"type": "edit", "target": "weight", "layer": 2, "index": [0, 1], "value": 0.25})
    assert w.error == ""
    assert float(w.arrays["2.weight"][0, 1]) == pytest.approx(0.25)
    model, x, y, _, _ = dlwidgets.engine.backprop.demo()
    with torch.no_grad():
        model[2].weight[0, 1] = 0.25
    for name, grad in _autograd(model, x, y).items():
        np.testing.assert_allclose(w.grads[name], grad, rtol=1e-5, atol=1e-7)
    _request(w, {"type": "edit", "target": "x", "index": [0, 1], "value": -1.5})
    assert float(w.arrays["x"][0, 1]) == pytest.approx(-1.5)
    _request(w, {"type": "edit", "target": "bias", "layer": 1, "index": [1], "value": 0.3})
    assert float(w.arrays["1.bias"][1]) == pytest.approx(0.3)
    _request(w, {"type": "lr", "value": 0.5})
    assert w.network["lr"] == pytest.approx(0.5)
    np.testing.assert_allclose(w.arrays["1.new_weight"],
                               w.arrays["1.weight"] - 0.5 * w.arrays["1.grad_weight"], rtol=1e-6)
    old = w.loss_value
    _request(w, {"type": "apply"})
    assert w.loss_value < old  # one gradient step on one sample lowers its loss here


def test_bad_requests_show_an_error_and_keep_the_state():
    w = BackpropStepper.demo()
    before = w.arrays["1.weight"].copy()
    _request(w, {"type": "edit", "target": "weight", "layer": 7, "index": [0, 0], "value": 1})
    assert "layer must be 1..2" in w.error
    _request(w, {"type": "edit", "target": "weight", "layer": 1, "index": [0, 9], "value": 1})
    assert "outside" in w.error
    _request(w, {"type": "edit", "target": "weight", "layer": 1, "index": [0, 0], "value": "x"})
    assert "value must be a number" in w.error
    _request(w, {"type": "lr", "value": -1})
    assert "lr" in w.error
    np.testing.assert_array_equal(w.arrays["1.weight"], before)
    _request(w, {"type": "edit", "target": "weight", "layer": 1, "index": [0, 0], "value": 2})
    assert w.error == ""


@pytest.mark.parametrize("args,kwargs,exc,match", [
    ((nn.Sequential(nn.Linear(2, 2), nn.Dropout()), [1.0, 2.0], [0.0, 1.0]), {}, TypeError,
     "Dropout"),
    ((nn.Sequential(nn.Linear(2, 1)), [1.0, 2.0, 3.0], [0.0]), {}, ValueError, "x must have"),
    ((nn.Sequential(nn.Linear(2, 1)), [1.0, 2.0], [0.0, 1.0, 2.0]), {}, ValueError,
     "y must have"),
    ((nn.Sequential(nn.Linear(2, 1)), [1.0, 2.0], [0.0]), {"lr": "big"}, TypeError, "lr"),
    ((nn.Sequential(nn.Linear(2, 1)), [1.0, 2.0], [0.0]), {"loss": "hinge"}, ValueError,
     "loss"),
])
def test_bad_input_is_refused_with_one_message(args, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        BackpropStepper(*args, **kwargs)


def _deep(act: type[nn.Module], depth: int = 6) -> nn.Sequential:
    torch.manual_seed(3)
    mods: list[nn.Module] = []
    for _ in range(depth):
        mods += [nn.Linear(4, 4), act()]
    return nn.Sequential(*mods, nn.Linear(4, 1), nn.Sigmoid())


def test_switching_the_hidden_activation_retraces_and_equals_autograd():
    model = _deep(nn.Sigmoid)
    x, y = torch.randn(3, 4), torch.rand(3, 1).round()
    w = BackpropStepper(model, x, y, loss="bce")
    assert w.network["hidden_activation"] == "sigmoid"
    w.set_activation("relu")
    assert w.network["hidden_activation"] == "relu"
    assert w.network["layers"][-1]["activation"] == "sigmoid"  # the output keeps its own
    assert all(isinstance(m, nn.Sigmoid) for m in model if not isinstance(m, nn.Linear))
    ref_model = copy.deepcopy(model)
    for i, m in enumerate(ref_model):
        if isinstance(m, nn.Sigmoid) and i < len(ref_model) - 1:
            ref_model[i] = nn.ReLU()
    for name, grad in _autograd(ref_model, x, y, "bce").items():
        np.testing.assert_allclose(w.grads[name], grad, rtol=1e-5, atol=1e-7)
    _request(w, {"type": "activation", "value": "softsign"})
    assert "softsign" in w.error and w.network["hidden_activation"] == "relu"


def test_deep_sigmoid_gradients_vanish_and_relu_with_he_holds_more():
    x, y = torch.randn(4, 4), torch.rand(4, 1).round()
    w = BackpropStepper(_deep(nn.Sigmoid, 8), x, y, loss="bce")
    first = np.abs(w.result.layers[0].upstream).mean()
    last = np.abs(w.result.layers[-1].upstream).mean()
    assert first < last * 1e-3  # eight factors ≤ ¼ each
    assert all(float(np.max(layer.fprime)) <= 0.25 for layer in w.result.layers[:-1])
    w.set_activation("relu")
    w.reinitialize("he", seed=1)
    relu_first = np.abs(w.result.layers[0].upstream).mean()
    assert relu_first / np.abs(w.result.layers[-1].upstream).mean() > first / last


def test_reinitialize_schemes_are_seeded_and_keep_the_global_rng():
    model = _deep(nn.Tanh, 2)
    w = BackpropStepper(model, torch.randn(2, 4), torch.randn(2, 1))
    state = torch.get_rng_state()
    w.reinitialize("xavier", seed=5)
    assert torch.equal(torch.get_rng_state(), state)
    bound = (6 / (4 + 4)) ** 0.5
    assert np.abs(w.arrays["1.weight"]).max() <= bound and not w.arrays["1.bias"].any()
    first = w.arrays["1.weight"].copy()
    _request(w, {"type": "init", "value": "xavier", "seed": 5})
    np.testing.assert_array_equal(w.arrays["1.weight"], first)
    w.reinitialize("he", seed=5)
    assert np.abs(w.arrays["1.weight"]).max() <= (6 / 4) ** 0.5
    assert w.network["init"] == "he"
    _request(w, {"type": "init", "value": "lecun"})
    assert "lecun" in w.error
    for p, q in zip(model.parameters(), _deep(nn.Tanh, 2).parameters()):
        assert torch.equal(p, q)  # the model given is untouched


def test_train_k_steps_keeps_the_history_and_equals_sgd():
    torch.manual_seed(2)
    model = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1))
    x, y = torch.randn(6, 2), torch.randn(6, 1)
    w = BackpropStepper(model, x, y, lr=0.1)
    assert w.history == {}
    w.train(5)
    ref = copy.deepcopy(model)
    opt = torch.optim.SGD(ref.parameters(), lr=0.1)
    losses, weights, grads = [], [], []
    for _ in range(5):
        opt.zero_grad()
        loss = F.mse_loss(ref(x), y)
        loss.backward()
        losses.append(float(loss.detach()))
        weights.append(float(ref[2].weight[0, 0].detach()))
        grads.append(float(ref[2].weight.grad[0, 0]))
        opt.step()
    np.testing.assert_allclose(w.history["loss"], losses, rtol=1e-5)
    np.testing.assert_allclose(w.history["weight"], weights, rtol=1e-5)
    np.testing.assert_allclose(w.history["grad"], grads, rtol=1e-4, atol=1e-7)
    assert w.losses[-1] == pytest.approx(float(F.mse_loss(ref(x), y).detach()), rel=1e-5)
    assert w.get_state()["history"]["loss"]["shape"] == [5]
    # the model given is untouched; the stepper shows the 6th step
    assert all(p.grad is None for p in model.parameters())
    for name, grad in _autograd(ref, x, y).items():
        np.testing.assert_allclose(w.grads[name], grad, rtol=1e-4, atol=1e-6)
    _request(w, {"type": "train", "k": 3})
    assert len(w.history["loss"]) == 8
    w.train(2, track=(1, 2, 1))
    assert len(w.history["loss"]) == 2 and list(w.history["track"]) == [1, 2, 1]
    with pytest.raises(ValueError, match="k must be"):
        w.train(0)
    w.set_activation("relu")
    assert w.history == {}
