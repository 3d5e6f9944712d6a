"""The Playground widget: state, messages from the front end, runs on the fit engine, the
recording, accuracy on seeded sets, and bad input."""

from __future__ import annotations

import time
import warnings
from typing import Any

import numpy as np
import pytest
import torch
from torch import nn

import dlwidgets
from dlwidgets import Playground
from dlwidgets.engine import playground_data as D
from dlwidgets.widgets import playground as playground_module
from dlwidgets.widgets import playground_frames

CONTROL_KEYS = {"data", "noise", "train_fraction", "batch_size", "features", "hidden",
                "activations", "init", "optimizer", "lr", "l1", "l2", "dropout", "batch_norm",
                "residual", "seed", "speed", "show_test", "discretize", "point_class"}


def send(pg: Playground, **content: Any) -> None:
    """A message as the front end's ``model.send`` delivers it."""
    pg._on_msg(pg, content, [])


def flat(model: nn.Module) -> np.ndarray:
    """Every Linear's weight (row-major) then bias, in module order (no BatchNorm here)."""
    parts = []
    for m in model.modules():
        if isinstance(m, nn.Linear):
            parts += [m.weight.detach().numpy().ravel(), m.bias.detach().numpy()]
    return np.concatenate(parts).astype(np.float32)


def wait_until(condition: Any, timeout: float = 30.0) -> None:
    end = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.01)


# -- state ----------------------------------------------------------------------------------

def test_the_state_follows_the_contract() -> None:
    pg = Playground(data="spiral", model="input 2 -> dense 8 tanh -> dense 8 tanh -> dense 1 "
                    "sigmoid", features=("x1", "x2"), lr=0.03, optimizer="sgd", batch_size=10,
                    noise=0.1, train_fraction=0.5)
    assert set(pg.controls) == CONTROL_KEYS
    assert pg.controls["data"] == "spiral" and pg.controls["lr"] == 0.03
    assert set(pg.options) >= {"datasets", "features", "activations", "inits", "optimizers",
                               "max_hidden_layers", "max_units"}
    assert "adam" in pg.options["optimizers"] and "momentum" in pg.options["optimizers"]
    assert pg.task == "binary" and pg.classes == 2
    assert pg.editable is False and "DSL" in pg.hint
    assert pg.points.shape == (500, 2) and pg.points.dtype == np.float32
    assert pg.labels.shape == (500,) and pg.is_test.dtype == np.uint8
    assert pg.is_test.sum() == 250
    assert pg.grid_bounds == (-6.0, 6.0, -6.0, 6.0)
    net = pg.network
    assert net["inputs"] == ["x1", "x2"] and net["browser"] is True
    assert [layer["units"] for layer in net["layers"]] == [8, 8, 1]
    assert net["hidden_outputs"] == [1, 3] and net["output_activation"] == "sigmoid"
    assert pg.weights.shape == (2 * 8 + 8 + 8 * 8 + 8 + 8 + 1,)
    np.testing.assert_array_equal(pg.weights, flat(pg.model))
    assert pg.step == 0 and pg.status == "idle" and pg.steps_per_epoch == 25
    assert pg.grid.shape == (0, 0) and pg.recording == {}
    x_train, y_train, x_test, y_test = pg.data
    assert x_train.shape == (250, 2) and y_train.dtype == np.int64
    np.testing.assert_array_equal(np.concatenate([x_train, x_test]).shape, (500, 2))


@pytest.mark.parametrize("name", D.DATASETS)
def test_each_built_in_set_is_seeded(name: str) -> None:
    a = D.generate(name, n=200, noise=0.2, seed=3)
    b = D.generate(name, n=200, noise=0.2, seed=3)
    c = D.generate(name, n=200, noise=0.2, seed=4)
    np.testing.assert_array_equal(a.points, b.points)
    assert not np.array_equal(a.points, c.points)
    assert a.points.shape == (200, 2) and np.isfinite(a.points).all()
    if name in D.CLASSIFICATION_SETS:
        assert set(np.unique(a.labels)) == {0.0, 1.0} and a.task == "binary"
    else:
        assert a.task == "regression" and np.abs(a.labels).max() <= 1.0
    assert np.abs(a.points).max() < 7.5  # on the plane the lab shows


def test_noise_spreads_the_points() -> None:
    calm = D.generate("circles", n=400, noise=0.0, seed=0)
    noisy = D.generate("circles", n=400, noise=0.5, seed=0)
    r_calm = np.hypot(*calm.points[calm.labels == 1].T)
    r_noisy = np.hypot(*noisy.points[noisy.labels == 1].T)
    assert r_calm.max() <= 2.5 + 1e-6 and r_noisy.max() > 2.5


def test_custom_points_classes_and_regression() -> None:
    x = np.random.default_rng(0).normal(size=(40, 2))
    pg = Playground((x, np.arange(40) % 4))
    assert pg.task == "multiclass" and pg.classes == 4 and pg.controls["data"] == "custom"
    assert pg.network["layers"][-1]["units"] == 4
    assert pg.boundary(resolution=6).shape == (6, 6, 4)
    reg = Playground((x, x[:, 0] * 0.5 + 0.25))
    assert reg.task == "regression" and reg.classes == 1
    assert reg.network["output_activation"] == "identity"
    assert "custom" in pg.options["datasets"]


# -- messages --------------------------------------------------------------------------------

def test_set_changes_controls_and_the_model() -> None:
    pg = Playground("circles", hidden=[4, 2], seed=2)
    send(pg, type="set", key="lr", value=0.1)
    assert pg.controls["lr"] == 0.1 and pg._optimizer.param_groups[0]["lr"] == 0.1
    send(pg, type="set", key="hidden", value=[3, 3, 3])
    assert pg.controls["hidden"] == [3, 3, 3]
    assert pg.controls["activations"] == ["tanh"] * 3
    assert [layer["units"] for layer in pg.network["layers"]] == [3, 3, 3, 1]
    np.testing.assert_array_equal(pg.weights, flat(pg.model))
    send(pg, type="set", key="activations", value=["relu", "tanh", "sigmoid"])
    assert [e["kind"] for e in pg.network["mlp"] if e["kind"] != "linear"] == \
        ["relu", "tanh", "sigmoid"]
    send(pg, type="set", key="features", value=["x1", "x2", "x1*x2"])
    assert pg.network["inputs"] == ["x1", "x2", "x1*x2"]
    assert pg.model[0].linear.in_features == 3
    send(pg, type="set", key="optimizer", value="adam")
    assert isinstance(pg._optimizer, torch.optim.Adam)
    send(pg, type="set", key="data", value="xor")
    assert pg.controls["data"] == "xor" and pg.error == ""
    np.testing.assert_array_equal(pg.points, D.generate("xor", seed=2).points)
    send(pg, type="set", key="init", value="zeros")
    assert not pg.weights.any()
    send(pg, type="set", key="batch_norm", value=True)
    assert any(isinstance(m, nn.BatchNorm1d) for m in pg.model.modules())
    assert pg.network["browser"] is True


def test_a_bad_value_sets_error_and_leaves_controls() -> None:
    pg = Playground("circles")
    before = dict(pg.controls)
    send(pg, type="set", key="activations", value=["tahn", "tanh"])
    assert "did you mean 'tanh'" in pg.error and pg.controls == before
    send(pg, type="set", key="noise", value=3)
    assert "noise" in pg.error and pg.controls == before
    send(pg, type="set", key="lr", value=-1)
    assert "lr" in pg.error and pg.controls == before
    send(pg, type="set", key="dat", value="xor")
    assert "did you mean 'data'" in pg.error
    send(pg, type="set", key="data", value="spirals2")
    assert "did you mean 'spiral'" in pg.error
    send(pg, type="set", key="features", value=["x1", "sin_x3"])
    assert "features" in pg.error and "sin_x1" in pg.error
    send(pg, type="set", key="lr", value=0.01)
    assert pg.error == "" and pg.controls["lr"] == 0.01


def test_a_given_model_disables_the_controls_that_rebuild_it() -> None:
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    pg = Playground("xor", model=model)
    assert pg.editable is False and "nn.Module" in pg.hint
    send(pg, type="set", key="hidden", value=[5])
    assert "hidden cannot change" in pg.error and pg.controls["hidden"] == [3]
    send(pg, type="set", key="lr", value=0.2)
    assert pg.error == "" and pg.controls["lr"] == 0.2
    assert pg.model is model


def test_regenerate_add_point_and_erase() -> None:
    pg = Playground("gauss", seed=5)
    points = pg.points.copy()
    send(pg, type="regenerate")
    assert pg.controls["seed"] == 6 and not np.array_equal(points, pg.points)
    n = len(pg.points)
    send(pg, type="add_point", x=1.5, y=-2.0, label=1)
    assert len(pg.points) == n + 1 and pg.controls["data"] == "custom"
    np.testing.assert_array_equal(pg.points[-1], [1.5, -2.0])
    assert pg.labels[-1] == 1 and pg.is_test[-1] == 0
    assert len(pg.data.X_train) == int((pg.is_test == 0).sum())
    send(pg, type="add_point", x=0.0, y=0.0, label=7)
    assert "label" in pg.error and len(pg.points) == n + 1
    near = np.hypot(pg.points[:, 0] - 2, pg.points[:, 1] - 2) <= 1.0
    send(pg, type="erase", x=2.0, y=2.0, radius=1.0)
    assert len(pg.points) == n + 1 - int(near.sum()) and near.any()
    assert pg.error == ""
    pg.train(epochs=1)  # the edited points train
    assert pg.step == pg.steps_per_epoch


def test_step_play_pause_reset() -> None:
    pg = Playground("xor", hidden=[6], seed=1)
    start = pg.weights.copy()
    send(pg, type="step")
    pg.history.wait()
    wait_until(lambda: pg.step == pg.steps_per_epoch and pg.status == "paused")
    assert pg.epoch == 1 and len(pg.curves["train_loss"]) == 1
    pg.set_control("speed", 0)
    send(pg, type="play")
    wait_until(lambda: pg.status == "running" and pg.step > 2 * pg.steps_per_epoch)
    send(pg, type="pause")
    wait_until(lambda: pg.status == "paused")
    assert not pg.history.running
    step = pg.step
    time.sleep(0.2)
    assert pg.step == step  # paused means no more steps
    np.testing.assert_array_equal(pg.weights, flat(pg.model))  # the frame is the model now
    assert pg.recording["steps"][-1] == step
    send(pg, type="reset")
    assert pg.step == 0 and pg.epoch == 0 and pg.status == "idle"
    np.testing.assert_array_equal(pg.weights, start)  # the same seed: the same start
    assert len(pg.curves["epoch"]) == 0


def test_play_is_paced_by_speed() -> None:
    pg = Playground("xor", hidden=[4], speed=1)  # 1 epoch per second
    pg.play()
    time.sleep(0.5)
    pg.pause()
    assert 0 < pg.step <= pg.steps_per_epoch  # at most one epoch in half a second


def test_changing_the_optimizer_keeps_training_running() -> None:
    pg = Playground("xor", hidden=[4], speed=0)
    pg.play()
    wait_until(lambda: pg.step > 0)
    pg.set_control("optimizer", "adam")
    assert pg.history.running and isinstance(pg._optimizer, torch.optim.Adam)
    pg.pause()
    assert pg.step > 0


# -- frames and the recording --------------------------------------------------------------

class EveryStep:
    """An engine observer that keeps the model's weights at every step (worker thread)."""

    def __init__(self, model: nn.Module) -> None:
        self.model = model
        self.weights: dict[int, np.ndarray] = {}

    def on_start(self, history: Any) -> None: ...

    def on_record(self, record: dict[str, Any]) -> None:
        if record["kind"] == "step":
            self.weights[record["step"]] = flat(self.model)

    def on_end(self, history: Any) -> None: ...


def test_the_recording_holds_the_model_at_each_frames_step(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(playground_frames, "MAX_RECORDING", 12)  # so the thinning happens
    pg = Playground("xor", hidden=[5], seed=3)
    every = EveryStep(pg.model)
    pg.train(epochs=60, observers=[every])
    rec = pg.recording
    steps = rec["steps"]
    assert 2 <= len(steps) <= 12 and (np.diff(steps) > 0).all()
    assert steps[-1] == pg.step == 60 * pg.steps_per_epoch  # the last step is in
    assert rec["weights"].shape == (len(steps), len(pg.weights))
    for s, w in zip(steps, rec["weights"]):
        np.testing.assert_array_equal(w, every.weights[int(s)])
    np.testing.assert_allclose(rec["epochs"], steps / pg.steps_per_epoch, rtol=1e-6)
    assert np.isfinite(rec["train_loss"][-1]) and np.isfinite(rec["test_loss"][-1])
    np.testing.assert_array_equal(pg.weights, every.weights[pg.step])


def test_a_long_run_keeps_at_most_300_frames() -> None:
    pg = Playground("xor", hidden=[3])
    for i in range(1000):  # frames as a run of 1000 frame times hands them over
        pg._record_frame({"step": i + 1, "weights": np.full(3, i, np.float32)})
    rec = pg._recording()
    assert len(rec["steps"]) <= 300 and rec["steps"][-1] == 1000 and rec["steps"][0] == 1
    assert (rec["weights"][:, 0] == rec["steps"] - 1).all()
    gaps = np.diff(rec["steps"])
    assert gaps.max() <= 2 * gaps.min() + 2  # evenly spread over the run


def test_frames_are_published_at_most_max_fps_times_a_second() -> None:
    pg = Playground("xor", hidden=[4])
    sent: list[float] = []
    pg.observe(lambda change: sent.append(time.perf_counter()), names=["weights"])
    pg.train(epochs=40)
    gaps = np.diff(sent[:-1])  # the final frame comes right after the run ends
    assert len(sent) >= 2
    if len(gaps):
        assert gaps.min() >= 1 / playground_module.MAX_FPS * 0.5


# -- learning --------------------------------------------------------------------------------

def test_xor_reaches_high_test_accuracy() -> None:
    pg = Playground("xor", hidden=[8], activation="tanh", optimizer="adam", lr=0.03,
                    batch_size=10, seed=0)
    pg.train(epochs=40)
    assert pg.accuracy("test") >= 0.9
    assert pg.curves["test_loss"][-1] < pg.curves["test_loss"][0]


def test_spiral_reaches_high_test_accuracy() -> None:
    pg = Playground("spiral", features=["x1", "x2", "sin_x1", "sin_x2"], hidden=[16, 16],
                    activation="tanh", optimizer="adam", lr=0.01, batch_size=10, seed=0)
    pg.train(epochs=150)
    assert pg.accuracy("train") >= 0.9
    assert pg.accuracy("test") >= 0.9


def test_a_multiclass_run_learns() -> None:
    x = np.random.default_rng(1).normal(size=(150, 2)) + np.repeat(
        [[-3, 0], [3, 0], [0, 3]], 50, axis=0)
    pg = Playground((x, np.repeat([0, 1, 2], 50)), hidden=[6], optimizer="adam", lr=0.03)
    pg.train(epochs=20)
    assert pg.accuracy("test") >= 0.85


# -- bad input ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("kwargs", "words"), [
    ({"data": (np.zeros((10, 3)), np.zeros(10))}, ["data", "(N, 2)"]),
    ({"data": (np.zeros((10, 2)), np.zeros(9))}, ["data", "one label per point"]),
    ({"data": (np.array([[0.0, np.nan], [1, 1], [2, 2]]), np.array([0, 1, 1]))},
     ["data", "NaN"]),
    ({"data": (np.zeros((6, 2)), np.zeros(6, int))}, ["data", "two classes"]),
    ({"data": (np.zeros((6, 2)), np.array([0, 1, 2, 3, -1, 2]))}, ["data", "0..C-1"]),
    ({"data": "spirl"}, ["data set", "did you mean 'spiral'"]),
    ({"features": ["x1", "x1^3"]}, ["features", "x1^2"]),
    ({"activation": "tahn"}, ["activation", "did you mean 'tanh'"]),
    ({"init": "xavir"}, ["init", "did you mean 'xavier'"]),
    ({"optimizer": "adma"}, ["optimizer", "did you mean 'adam'"]),
    ({"model": nn.Sequential(nn.Linear(3, 1))}, ["model", "3 inputs", "features"]),
    ({"model": nn.Sequential(nn.Linear(3, 1)), "features": ["x1", "x2"]}, ["model", "3"]),
    ({"model": nn.Sequential(nn.Linear(2, 3))}, ["model", "2 classes", "3"]),
    ({"noise": 0.9}, ["noise"]),
    ({"train_fraction": 1.0}, ["train_fraction"]),
    ({"dropout": 1.0}, ["dropout"]),
    ({"data": 5}, ["data"]),
    ({"model": 5}, ["model"]),
])
def test_bad_input_is_refused_naming_the_argument(kwargs: dict[str, Any], words: list[str]
                                                  ) -> None:
    with pytest.raises((ValueError, TypeError)) as info:
        Playground(**kwargs)
    for word in words:
        assert word in str(info.value), str(info.value)


def test_a_diverging_learning_rate_stops_and_the_lab_recovers() -> None:
    pg = Playground("reg_plane", hidden=[8, 8], activation="relu", lr=5.0)
    history = pg.train(epochs=5)
    assert pg.status == "diverged" and history.status == "diverged"
    assert not history.running and pg.step < 5 * pg.steps_per_epoch
    assert "learning rate" in pg.error
    send(pg, type="play")
    assert "diverged" in pg.error and not pg.history.running
    send(pg, type="reset")
    assert pg.status == "idle" and pg.error == "" and pg.step == 0
    send(pg, type="set", key="lr", value=0.003)
    pg.train(epochs=2)
    assert pg.status == "paused" and np.isfinite(pg.curves["train_loss"]).all()


def test_sizes_above_the_frame_budget_warn_but_work() -> None:
    with pytest.warns(UserWarning, match="30 frames/s"):
        pg = Playground("circles", hidden=[64] * 6)
    assert "30 frames/s" in pg.warning
    pg.train(epochs=1)
    assert pg.step == pg.steps_per_epoch
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        small = Playground("circles", hidden=[8] * 6)
    assert small.warning == ""


def test_train_blocks_outside_a_notebook_and_returns_the_history() -> None:
    pg = Playground("moons", hidden=[4])
    history = pg.train(epochs=2)
    assert history is pg.history and not history.running
    assert history.status == "completed" and len(history.epochs["loss"]) == 2
    assert "val_loss" in history.epochs
    assert pg.epoch == 2 and len(pg.curves["test_loss"]) == 2
    assert isinstance(dlwidgets.Playground, type)


def test_a_seeded_run_with_dropout_repeats_and_leaves_the_global_rng() -> None:
    rng = torch.get_rng_state()
    runs = []
    for _ in range(2):
        pg = Playground("moons", hidden=[6, 6], dropout=0.4, seed=7)
        pg.train(epochs=3)
        runs.append(pg.weights.copy())
    np.testing.assert_array_equal(runs[0], runs[1])
    assert torch.equal(torch.get_rng_state(), rng)
    other = Playground("moons", hidden=[6, 6], dropout=0.4, seed=8)
    other.train(epochs=3)
    assert not np.array_equal(other.weights, runs[0])


def test_close_stops_a_run_and_an_export_mid_run_carries_the_recording(tmp_path: Any) -> None:
    pg = Playground("xor", hidden=[4], speed=0)
    pg.play()
    wait_until(lambda: pg.step > 0)
    page = tmp_path / "lab.html"
    dlwidgets.export_html(pg, str(page))
    assert page.is_file() and "Exported while training" in (pg.export_note() or "")
    assert len(pg.recording["steps"]) >= 1
    history = pg.history
    pg.close()
    assert not history.running


def test_a_dl_cell_model_trains_in_the_lab() -> None:
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "dlwidgets")
    shell.run_cell_magic("dl", "net --quiet", "input 3\ndense 6 relu\ndense 1 sigmoid\n")
    net = shell.user_ns["net"]
    pg = Playground("circles", model=net, features=["x1", "x2", "x1*x2"], optimizer="adam",
                    lr=0.03)
    assert pg.model is net and pg.network["browser"] is True
    assert pg.network["output_activation"] == "sigmoid"
    pg.train(epochs=5)
    assert pg.curves["train_loss"][-1] < pg.curves["train_loss"][0]
    assert pg.history.info["loss"] == "bce"


def test_queries_while_training_read_a_copy_taken_between_steps() -> None:
    pg = Playground("moons", hidden=[6], batch_norm=True, dropout=0.2, speed=0)
    pg.play()
    wait_until(lambda: pg.step > 0)
    b = pg.boundary(resolution=6)
    maps = pg.neuron_maps(resolution=4)
    acc = pg.accuracy()
    assert pg.history.running  # the run went on meanwhile
    assert b.shape == (6, 6) and maps[0].shape == (6, 4, 4) and 0.0 <= acc <= 1.0
    assert pg.model.training  # the training model was never switched to eval mode by a query
    pg.pause()
    np.testing.assert_allclose(pg.boundary(resolution=6).shape, (6, 6))
