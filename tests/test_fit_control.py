"""Real worker threads: stop, pause/resume, re-running, divergence and bad input."""

from __future__ import annotations

import math
import threading
import time

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from dlwidgets.engine.datasets import epoch_permutation, load_dataset
from dlwidgets.engine.fit import FitOptions, History, running_trainings, train
from tests.training_helpers import WAIT, tiny_data, tiny_model, wait_until


def _replay(model: nn.Module, x: torch.Tensor, y: torch.Tensor, steps: int, *, lr: float,
            batch_size: int) -> None:
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    done, epoch = 0, 0
    while done < steps:
        order = epoch_permutation(len(x), 0, epoch)
        for start in range(0, len(x), batch_size):
            if done == steps:
                return
            idx = order[start:start + batch_size]
            opt.zero_grad()
            F.cross_entropy(model(x[idx]), y[idx]).backward()
            opt.step()
            done += 1
        epoch += 1


def test_stop_leaves_the_model_at_a_finished_step() -> None:
    x, y = tiny_data()
    model = tiny_model()
    history = train(model, (x, y), FitOptions(optimizer="sgd", lr=0.05, epochs=100000,
                                              batch_size=8), block=False)
    assert isinstance(history, History) and history.running
    wait_until(lambda: history.step_count >= 25, "25 steps")
    history.stop()
    history.stop()  # pressing stop twice is harmless
    history.wait(WAIT)
    history.stop()  # and so is stopping a finished training
    assert not history.running and history.stop_reason == "stopped"
    steps = history.step_count
    assert steps >= 25 and "stopped by request" in history.message
    # the weights are exactly those after `steps` whole optimizer steps
    reference = tiny_model()
    _replay(reference, x, y, steps, lr=0.05, batch_size=8)
    for a, b in zip(model.parameters(), reference.parameters()):
        torch.testing.assert_close(a.detach(), b.detach(), atol=1e-6, rtol=1e-5)
    assert history.steps["step"][-1] == steps
    assert history not in running_trainings()


def test_pause_holds_between_steps_and_resume_finishes() -> None:
    x, y = tiny_data()
    model = tiny_model()
    history = train(model, (x, y), FitOptions(epochs=30, batch_size=8), block=False)
    wait_until(lambda: history.step_count >= 3, "3 steps")
    history.pause()
    wait_until(lambda: history.status == "paused", "paused status")
    held = history.step_count
    before = [p.detach().clone() for p in model.parameters()]
    time.sleep(0.3)
    assert history.step_count == held and history.running
    for a, b in zip(model.parameters(), before):
        assert torch.equal(a.detach(), b)
    history.resume()
    history.wait(WAIT)
    assert history.stop_reason == "completed" and history.step_count == 30 * 8
    statuses = [r["status"] for r in history.records if r["kind"] == "status"]
    assert statuses[:3] == ["running", "paused", "running"] and statuses[-1] == "completed"
    # paused time is not counted in the training clock
    assert history.steps["time"][-1] < history.epochs["time"][-1] + 1e-9


def test_stop_while_paused_ends_cleanly() -> None:
    x, y = tiny_data()
    history = train(tiny_model(), (x, y), FitOptions(epochs=1000, batch_size=8), block=False)
    wait_until(lambda: history.step_count >= 2, "2 steps")
    history.pause()
    wait_until(lambda: history.paused, "paused")
    history.stop()
    history.wait(WAIT)
    assert history.stop_reason == "stopped"


def test_rerunning_stops_the_previous_training_of_the_model() -> None:
    x, y = tiny_data()
    model = tiny_model()
    first = train(model, (x, y), FitOptions(epochs=100000, batch_size=8), block=False)
    wait_until(lambda: first.step_count >= 2, "first training running")
    second = train(model, (x, y), FitOptions(epochs=1, batch_size=8), block=False)
    # the first one ended before the second started (never two threads on one model)
    assert not first.running and first.stop_reason == "replaced"
    assert "new training" in first.message
    second.wait(WAIT)
    assert second.stop_reason == "completed"


def test_a_shared_key_replaces_a_training_of_another_model() -> None:
    x, y = tiny_data()
    first = train(tiny_model(), (x, y), FitOptions(epochs=100000), keys=["cell:abc"], block=False)
    wait_until(lambda: first.step_count >= 1, "first training")
    other = train(tiny_model(1), (x, y), FitOptions(epochs=100000), block=False)
    second = train(tiny_model(2), (x, y), FitOptions(epochs=1), keys=["cell:abc"], block=False)
    assert first.stop_reason == "replaced"
    assert other.running  # an unrelated training goes on
    other.stop()
    for h in (other, second):
        h.wait(WAIT)
    assert second.stop_reason == "completed"


def test_fits_of_one_run_of_a_cell_go_side_by_side_and_a_rerun_replaces_them() -> None:
    from dlwidgets.engine.fit import running_trainings

    x, y = tiny_data()
    # one run of the cell (request r1) starts three trainings: none stops another
    runs = [train(tiny_model(i), (x, y), FitOptions(epochs=100000), keys=["cell:abc@r1"],
                  block=False) for i in range(3)]
    wait_until(lambda: all(h.step_count >= 1 for h in runs), "three trainings")
    assert all(h.running for h in runs)
    assert {id(h) for h in runs} <= {id(h) for h in running_trainings()}
    # the cell runs again (request r2): all three are replaced
    again = train(tiny_model(5), (x, y), FitOptions(epochs=1), keys=["cell:abc@r2"], block=False)
    assert [h.stop_reason for h in runs] == ["replaced"] * 3
    again.wait(WAIT)
    assert again.stop_reason == "completed"


def test_nan_in_the_data_stops_at_the_step_that_diverged() -> None:
    x, y = tiny_data()
    x[20, 1] = float("nan")
    model = tiny_model()
    history = train(model, (x, y), FitOptions(epochs=3, batch_size=8, shuffle=False))
    assert history.stop_reason == "diverged"
    assert history.diverged_at == 3  # samples 16..23 form the third batch
    assert history.step_count == 2
    assert "diverged at step 3" in history.message and "nan" in history.message
    marks = [r for r in history.records if r["kind"] == "diverged"]
    assert len(marks) == 1 and marks[0]["step"] == 3 and math.isnan(marks[0]["loss"])
    assert all(torch.isfinite(p).all() for p in model.parameters())


def test_a_too_large_learning_rate_diverges_with_a_clear_message() -> None:
    torch.manual_seed(0)
    x = torch.randn(64, 4)
    y = x.sum(1, keepdim=True) * 10
    model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 1))
    history = train(model, (x, y), FitOptions(optimizer="sgd", lr=5.0, epochs=50, batch_size=16))
    assert history.stop_reason == "diverged"
    assert history.diverged_at is not None and history.diverged_at == history.step_count + 1
    assert np.all(np.isfinite(history.steps["loss"]))
    assert "Lower the learning rate (now 5)" in history.message


def test_an_error_later_in_training_is_reported_with_its_step() -> None:
    class Breaks(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.lin = nn.Linear(3, 2)
            self.calls = 0

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            self.calls += 1
            if self.calls == 5:  # the probe is call 1, so training step 4
                raise RuntimeError("sensor unplugged")
            return self.lin(x)

    x, y = tiny_data()
    history = train(Breaks(), (x, y), FitOptions(epochs=2, batch_size=8), block=False)
    with pytest.raises(RuntimeError, match="sensor unplugged"):
        history.wait(WAIT)
    assert history.status == "error" and history.step_count == 3
    assert "training failed at step 4: RuntimeError: sensor unplugged" in history.message
    with pytest.raises(RuntimeError, match="sensor unplugged"):
        train(Breaks(), (x, y), FitOptions(epochs=2, batch_size=8))


# -- bad input, caught before a thread starts ------------------------------------------------

def _threads() -> int:
    return sum(1 for t in threading.enumerate() if t.name == "dlwidgets-train")


def test_mismatched_shapes_name_both_shapes() -> None:
    model = nn.Sequential(nn.Linear(32, 10))
    before = _threads()
    with pytest.raises(ValueError) as info:
        train(model, load_dataset("digits", flat=True), FitOptions(epochs=1))
    message = str(info.value)
    assert "each sample has shape (64,)" in message
    assert "Linear(in_features=32)" in message and "(32,)" in message
    assert _threads() == before


def test_images_given_to_a_dense_model_say_so() -> None:
    with pytest.raises(ValueError, match=r"shape \(1, 8, 8\).*Linear\(in_features=64\)"):
        train(nn.Sequential(nn.Linear(64, 10)), load_dataset("digits"), FitOptions(epochs=1))
    # by name, the layout follows the model: flat for a dense first layer, images for a conv
    train(nn.Sequential(nn.Linear(64, 10)), "digits", FitOptions(epochs=1, batch_size=256))
    conv = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(144, 10))
    train(conv, "digits", FitOptions(epochs=1, batch_size=256))


def test_float_labels_with_cross_entropy_ask_for_class_indices() -> None:
    x, y = tiny_data()
    with pytest.raises(ValueError, match=r"class indices as integers \(torch.long\).*y.long\(\)"):
        train(tiny_model(), (x, y.float()), FitOptions(loss="cross_entropy", epochs=1))


def test_integer_targets_for_mse_and_broadcasting_shapes_are_refused() -> None:
    x, y = tiny_data()
    regressor = nn.Linear(3, 1)
    with pytest.raises(ValueError, match="needs float targets.*cross_entropy"):
        train(regressor, (x, y), FitOptions(loss="mse", epochs=1))
    with pytest.raises(ValueError, match=r"targets have shape \(2,\).*outputs \(2, 1\)"):
        train(regressor, (x, y.float()), FitOptions(loss="mse", epochs=1))
    with pytest.raises(ValueError, match="float targets 0.0/1.0"):
        train(regressor, (x, y.reshape(-1, 1)), FitOptions(loss="bce_with_logits", epochs=1))


def test_labels_beyond_the_output_size_are_explained() -> None:
    x = torch.randn(30, 3)
    y = torch.arange(30) % 5
    with pytest.raises(ValueError, match="labels go from 0 to 4 .* 2 class scores"):
        train(tiny_model(), (x, y), FitOptions(epochs=1))


def test_a_model_returning_a_tuple_is_explained() -> None:
    x = torch.randn(10, 4, 2)
    with pytest.raises(ValueError, match="returns tuple.*last hidden state"):
        train(nn.LSTM(2, 3, batch_first=True), (x, torch.zeros(10, dtype=torch.long)),
              FitOptions(epochs=1))


@pytest.mark.parametrize("options, message", [
    (dict(epochs=0), "epochs must be an integer"),
    (dict(batch_size=0), "batch_size must be"),
    (dict(lr=-1.0), "lr must be a finite number > 0"),
    (dict(lr=float("nan")), "lr must be"),
    (dict(l2=-0.1), "l2 must be"),
    (dict(clip_grad_norm=0), "clip_grad_norm"),
    (dict(optimizer="adamm"), "did you mean 'adam'"),
    (dict(loss="crossentropyy"), "unknown loss"),
    (dict(schedule="cosin"), "did you mean 'cosine'"),
    (dict(schedule_every="batch"), "schedule_every"),
    (dict(metrics=["f1"]), "unknown metric"),
    (dict(device="tpu"), "unknown device"),
])
def test_bad_options_are_refused_before_training(options: dict, message: str) -> None:
    x, y = tiny_data()
    with pytest.raises((ValueError, TypeError), match=message):
        train(tiny_model(), (x, y), FitOptions(**options))


def test_not_a_module() -> None:
    with pytest.raises(TypeError, match="torch.nn.Module"):
        train(lambda x: x, tiny_data(), FitOptions())  # type: ignore[arg-type]
