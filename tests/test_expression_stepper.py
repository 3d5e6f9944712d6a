"""ExpressionStepper (BackpropStepper.expression): value and gradients equal
torch.autograd.grad, every node's data and gradient are in state, inputs can be edited."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dlwidgets import BackpropStepper, ExpressionStepper


def test_micrograd_example_state_and_grads():
    w = BackpropStepper.expression(lambda a, b, c: (a * b + c).tanh(), a=2.0, b=-3.0, c=10.0)
    assert isinstance(w, ExpressionStepper)
    leaves = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True)
              for k, v in {"a": 2.0, "b": -3.0, "c": 10.0}.items()}
    out = (leaves["a"] * leaves["b"] + leaves["c"]).tanh()
    grads = torch.autograd.grad(out, list(leaves.values()))
    assert w.value == pytest.approx(float(out.detach()))
    for (name, _), g in zip(leaves.items(), grads):
        assert w.grads[name] == pytest.approx(float(g))
    assert [n["op"] for n in w.graph["nodes"]] == ["input"] * 3 + ["mul", "add", "tanh"]
    state = w.get_state()["arrays"]
    assert state["data.3"]["shape"] == [1] and isinstance(state["grad.5"]["data"], memoryview)
    assert float(w.arrays["grad.5"][0]) == pytest.approx(1.0)
    w.step_index = 99
    assert w.step_index == 3 + 6 - 1


def test_editing_an_input_reruns_and_bad_requests_show_errors():
    w = BackpropStepper.expression(lambda x, y: x * y + y, x=1.0, y=2.0)
    w._handle_custom_msg({"type": "edit", "name": "x", "value": 4.0}, [])
    assert w.error == "" and w.value == pytest.approx(10.0) and w.grads["y"] == pytest.approx(5.0)
    w._handle_custom_msg({"type": "edit", "name": "z", "value": 1.0}, [])
    assert "unknown input 'z'" in w.error
    w._handle_custom_msg({"type": "edit", "name": "x", "value": "big"}, [])
    assert "finite number" in w.error and w.value == pytest.approx(10.0)


def test_array_inputs_and_non_scalar_refusal():
    w = BackpropStepper.expression(lambda v: (v * v).sum(), v=[1.0, 2.0, 3.0])
    np.testing.assert_allclose(w.grads["v"], [2.0, 4.0, 6.0])
    with pytest.raises(ValueError, match="scalar"):
        BackpropStepper.expression(lambda v: v * 2, v=[1.0, 2.0])
