"""The training loop equals hand-written PyTorch loops: optimizers, schedules, penalties, clipping."""

from __future__ import annotations

import copy
import inspect
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from dlwidgets.engine.datasets import epoch_permutation
from dlwidgets.engine.fit import FitOptions, train
from dlwidgets.engine.training_optim import OPTIMIZERS, EarlyStopping


def _data(n: int = 40, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 3, generator=g)
    y = (x[:, 0] + 0.5 * x[:, 1] > 0).long() + (x[:, 2] > 1).long()
    return x, y


def _model(seed: int = 0, out: int = 3) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, out))


def _hand_loop(model: nn.Module, x: torch.Tensor, y: torch.Tensor,
               opt: torch.optim.Optimizer, *, epochs: int, batch_size: int, seed: int = 0,
               loss_fn=F.cross_entropy, max_steps: int | None = None, scheduler=None,
               per_step_scheduler=None, extra_loss=None, clip_norm: float | None = None,
               ) -> list[float]:
    """The loop a student writes, with the same sample order as fit (seeded permutation)."""
    lrs, steps = [], 0
    for epoch in range(epochs):
        order = epoch_permutation(len(x), seed, epoch)
        for start in range(0, len(x), batch_size):
            if max_steps is not None and steps >= max_steps:
                return lrs
            idx = order[start:start + batch_size]
            lrs.append(opt.param_groups[0]["lr"])
            opt.zero_grad()
            loss = loss_fn(model(x[idx]), y[idx])
            if extra_loss is not None:
                loss = loss + extra_loss(model)
            loss.backward()
            if clip_norm is not None:
                torch.nn.utils.clip_grad_norm_(model.parameters(), clip_norm)
            opt.step()
            if per_step_scheduler is not None:
                per_step_scheduler.step()
            steps += 1
        if scheduler is not None:
            scheduler.step()
    return lrs


def _assert_same_params(a: nn.Module, b: nn.Module, atol: float = 1e-6) -> None:
    for (name, pa), pb in zip(a.named_parameters(), b.parameters()):
        torch.testing.assert_close(pa.detach(), pb.detach(), atol=atol, rtol=1e-5,
                                   msg=lambda m, name=name: f"{name}: {m}")


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_named_optimizer_is_torch_optim(name: str) -> None:
    x, y = _data()
    ours, theirs = _model(), _model()
    spec = OPTIMIZERS[name]
    lr = spec.default_lr
    history = train(ours, (x, y), FitOptions(optimizer=name, epochs=2, batch_size=16,
                                             device="cpu"))
    built = history.info["optimizer_implementation"]
    # bit for bit the torch.optim step fit chose (fused or multi-tensor) ...
    same = _model()
    fastest = {k: True for k in ("fused", "foreach") if built == k}
    opt = spec.cls(same.parameters(), lr=lr, **spec.settings, **fastest)  # type: ignore[call-arg]
    _hand_loop(same, x, y, opt, epochs=2, batch_size=16)
    for pa, pb in zip(ours.parameters(), same.parameters()):
        assert torch.equal(pa, pb)
    # ... and torch's default per-tensor loop (equal, or up to rounding in the last bits)
    opt = spec.cls(theirs.parameters(), lr=lr, **spec.settings)  # type: ignore[call-arg]
    _hand_loop(theirs, x, y, opt, epochs=2, batch_size=16)
    _assert_same_params(ours, theirs)
    assert built == ("fused" if "fused" in inspect.signature(spec.cls).parameters
                     else "foreach" if "foreach" in inspect.signature(spec.cls).parameters
                     else "loop")
    assert history.stop_reason == "completed"
    assert len(history.steps["loss"]) == 2 * math.ceil(40 / 16)
    assert np.all(history.steps["lr"] == lr)
    assert isinstance(history.info["lr"], float)


def test_sparse_gradients_get_the_multi_tensor_step() -> None:
    """Fused kernels take no sparse gradients: a model with nn.Embedding(sparse=True) trains with
    foreach instead, and equals torch's default SGD."""
    class Bag(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            torch.manual_seed(0)
            self.embed = nn.Embedding(10, 4, sparse=True)
            self.out = nn.Linear(4, 2)

        def forward(self, tokens: torch.Tensor) -> torch.Tensor:
            return self.out(self.embed(tokens).mean(1))

    g = torch.Generator().manual_seed(1)
    tokens = torch.randint(0, 10, (24, 3), generator=g)
    labels = (tokens[:, 0] > 4).long()
    ours, theirs = Bag(), Bag()
    history = train(ours, (tokens, labels), FitOptions(optimizer="sgd", lr=0.1, epochs=2,
                                                       batch_size=8, device="cpu"))
    assert history.stop_reason == "completed"
    assert history.info["optimizer_implementation"] == "foreach"
    _hand_loop(theirs, tokens, labels, torch.optim.SGD(theirs.parameters(), lr=0.1), epochs=2,
               batch_size=8)
    for pa, pb in zip(ours.parameters(), theirs.parameters()):
        assert torch.equal(pa, pb)


def test_named_settings_are_the_documented_ones() -> None:
    params = [nn.Parameter(torch.zeros(2))]
    from dlwidgets.engine.training_optim import make_optimizer

    sgd = make_optimizer("nesterov", params, lr=0.1)
    assert isinstance(sgd, torch.optim.SGD)
    assert sgd.defaults["momentum"] == 0.9 and sgd.defaults["nesterov"] is True
    assert sgd.defaults["dampening"] == 0
    mom = make_optimizer("momentum", params, lr=0.1, momentum=0.5)
    assert mom.defaults["momentum"] == 0.5 and mom.defaults["nesterov"] is False
    adamw = make_optimizer("adamw", params, weight_decay=0.1)
    assert isinstance(adamw, torch.optim.AdamW) and adamw.defaults["weight_decay"] == 0.1
    assert make_optimizer("adadelta", params).defaults["lr"] == 1.0
    with pytest.raises(ValueError, match="did you mean 'adam'"):
        make_optimizer("adma", params)
    with pytest.raises(ValueError, match="momentum= applies"):
        make_optimizer("adam", params, momentum=0.9)


def test_optimizer_class_factory_and_instance() -> None:
    x, y = _data()
    reference = _model()
    _hand_loop(reference, x, y, torch.optim.RMSprop(reference.parameters(), lr=0.005,
                                                    alpha=0.9), epochs=1, batch_size=8)
    a, b, c = _model(), _model(), _model()
    train(a, (x, y), FitOptions(optimizer=torch.optim.RMSprop, lr=0.005, epochs=1, batch_size=8,
                                optimizer_options={"alpha": 0.9}))
    train(b, (x, y), FitOptions(optimizer=lambda p: torch.optim.RMSprop(p, lr=0.005, alpha=0.9),
                                epochs=1, batch_size=8))
    train(c, (x, y), FitOptions(optimizer=torch.optim.RMSprop(c.parameters(), lr=0.005,
                                                              alpha=0.9),
                                epochs=1, batch_size=8))
    for model in (a, b, c):
        _assert_same_params(model, reference)
    d = _model()
    with pytest.raises(ValueError, match="already built"):
        train(d, (x, y), FitOptions(optimizer=torch.optim.SGD(d.parameters(), lr=0.1), lr=0.1))
    with pytest.raises(ValueError, match="does not hold this model's parameters"):
        train(d, (x, y), FitOptions(optimizer=torch.optim.SGD(_model().parameters(), lr=0.1)))


@pytest.mark.parametrize("schedule, make", [
    ("step", lambda o: torch.optim.lr_scheduler.StepLR(o, step_size=1, gamma=0.1)),
    ({"name": "step", "step_size": 2, "gamma": 0.5},
     lambda o: torch.optim.lr_scheduler.StepLR(o, step_size=2, gamma=0.5)),
    ("exponential", lambda o: torch.optim.lr_scheduler.ExponentialLR(o, gamma=0.9)),
    ("cosine", lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=4)),
])
def test_epoch_schedules_are_torch_schedulers(schedule, make) -> None:
    x, y = _data()
    ours, theirs = _model(), _model()
    history = train(ours, (x, y), FitOptions(optimizer="sgd", lr=0.2, epochs=4, batch_size=16,
                                             schedule=schedule))
    opt = torch.optim.SGD(theirs.parameters(), lr=0.2)
    lrs = _hand_loop(theirs, x, y, opt, epochs=4, batch_size=16, scheduler=make(opt))
    np.testing.assert_allclose(history.steps["lr"], lrs, rtol=1e-12)
    _assert_same_params(ours, theirs)
    assert len(set(lrs)) > 1
    # the epoch record holds the lr the epoch trained with (before the scheduler stepped)
    np.testing.assert_allclose(history.epochs["lr"], lrs[::3], rtol=1e-12)


def test_cosine_schedule_per_step() -> None:
    x, y = _data()
    ours, theirs = _model(), _model()
    history = train(ours, (x, y), FitOptions(optimizer="momentum", lr=0.1, epochs=2,
                                             batch_size=10, schedule="cosine",
                                             schedule_every="step"))
    opt = torch.optim.SGD(theirs.parameters(), lr=0.1, momentum=0.9)
    lrs = _hand_loop(theirs, x, y, opt, epochs=2, batch_size=10,
                     per_step_scheduler=torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=8))
    np.testing.assert_allclose(history.steps["lr"], lrs, rtol=1e-12)
    _assert_same_params(ours, theirs)


def test_l2_equals_sgd_weight_decay_and_l1_is_the_abs_penalty() -> None:
    x, y = _data()
    ours, theirs = _model(), _model()
    train(ours, (x, y), FitOptions(optimizer="sgd", lr=0.1, l2=0.05, epochs=2, batch_size=8))
    _hand_loop(theirs, x, y, torch.optim.SGD(theirs.parameters(), lr=0.1, weight_decay=0.05),
               epochs=2, batch_size=8)
    _assert_same_params(ours, theirs)

    ours, theirs = _model(), _model()
    history = train(ours, (x, y), FitOptions(optimizer="adam", lr=0.01, l1=0.01, epochs=2,
                                             batch_size=8))
    _hand_loop(theirs, x, y, torch.optim.Adam(theirs.parameters(), lr=0.01), epochs=2,
               batch_size=8,
               extra_loss=lambda m: 0.01 * sum(p.abs().sum() for p in m.parameters()))
    _assert_same_params(ours, theirs)
    # the recorded loss is the data loss, without the penalty
    fresh = _model()
    order = epoch_permutation(40, 0, 0)[:8]
    assert history.steps["loss"][0] == pytest.approx(
        F.cross_entropy(fresh(x[order]), y[order]).item(), rel=1e-6)


def test_gradient_clipping_by_norm_records_the_norm_before_clipping() -> None:
    x, y = _data()
    ours, theirs = _model(), _model()
    history = train(ours, (x, y), FitOptions(optimizer="sgd", lr=0.5, clip_grad_norm=0.1,
                                             epochs=1, batch_size=8))
    _hand_loop(theirs, x, y, torch.optim.SGD(theirs.parameters(), lr=0.5), epochs=1,
               batch_size=8, clip_norm=0.1)
    _assert_same_params(ours, theirs)
    fresh = _model()
    order = epoch_permutation(40, 0, 0)[:8]
    F.cross_entropy(fresh(x[order]), y[order]).backward()
    norm = torch.sqrt(sum((p.grad ** 2).sum() for p in fresh.parameters()))
    assert history.steps["grad_norm"][0] == pytest.approx(float(norm), rel=1e-5)
    assert history.steps["grad_norm"][0] > 0.1


def test_gradient_clipping_by_value() -> None:
    x, y = _data()
    ours, theirs = _model(), _model()
    train(ours, (x, y), FitOptions(optimizer="sgd", lr=0.5, clip_grad_value=0.01, epochs=1,
                                   batch_size=8))
    opt = torch.optim.SGD(theirs.parameters(), lr=0.5)
    for start in range(0, 40, 8):
        idx = epoch_permutation(40, 0, 0)[start:start + 8]
        opt.zero_grad()
        F.cross_entropy(theirs(x[idx]), y[idx]).backward()
        torch.nn.utils.clip_grad_value_(theirs.parameters(), 0.01)
        opt.step()
    _assert_same_params(ours, theirs)


def test_epoch_metrics_and_validation_equal_direct_evaluation() -> None:
    x, y = _data(60)
    xv, yv = _data(25, seed=1)
    model = _model()
    history = train(model, (x, y), FitOptions(epochs=3, batch_size=16, val_data=(xv, yv),
                                              lr=0.01))
    epochs, steps = history.epochs, history.steps
    assert list(epochs["epoch"]) == [1, 2, 3]
    assert set(epochs) >= {"loss", "accuracy", "val_loss", "val_accuracy", "lr", "time", "step"}
    with torch.no_grad():
        out = model.eval()(xv)
    assert epochs["val_loss"][-1] == pytest.approx(F.cross_entropy(out, yv).item(), rel=1e-5)
    assert epochs["val_accuracy"][-1] == pytest.approx(
        (out.argmax(1) == yv).float().mean().item(), rel=1e-6)
    # the epoch's training numbers are the sample-weighted means of its steps
    sizes = np.array([16, 16, 16, 12] * 3, dtype=np.float64)
    for e in range(3):
        sl = slice(4 * e, 4 * e + 4)
        w = sizes[sl] / sizes[sl].sum()
        assert epochs["loss"][e] == pytest.approx(float((steps["loss"][sl] * w).sum()))
        assert epochs["accuracy"][e] == pytest.approx(float((steps["accuracy"][sl] * w).sum()))
    assert list(steps["step"]) == list(range(1, 13))
    assert np.all(np.diff(steps["time"]) >= 0)


def test_training_learns_moons() -> None:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 32), nn.ReLU(), nn.Linear(32, 2))
    history = train(model, "moons", FitOptions(epochs=15, lr=0.02))
    assert history.final("val_accuracy") > 0.85
    assert history.epochs["loss"][-1] < history.epochs["loss"][0]


def test_regression_defaults_to_mse_without_accuracy() -> None:
    torch.manual_seed(0)
    rnn = nn.GRU(1, 8, batch_first=True)

    class Last(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.rnn, self.head = rnn, nn.Linear(8, 1)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.head(self.rnn(x)[0][:, -1])

    from dlwidgets.engine.datasets import load_dataset

    history = train(Last(), load_dataset("sequence", kind="sine", n=200, length=10),
                    FitOptions(epochs=2, lr=0.01))
    assert history.info["loss"] == "mse" and "accuracy" not in history.epochs
    assert np.isfinite(history.final("val_loss"))


def test_dataloader_and_torch_dataset_train() -> None:
    x, y = _data()
    a, b, c = _model(), _model(), _model()
    loader = DataLoader(TensorDataset(x, y), batch_size=10)  # no shuffle: order 0..39
    h = train(a, loader, FitOptions(optimizer="sgd", lr=0.1, epochs=2))
    opt = torch.optim.SGD(b.parameters(), lr=0.1)
    for _ in range(2):
        for start in range(0, 40, 10):
            opt.zero_grad()
            F.cross_entropy(b(x[start:start + 10]), y[start:start + 10]).backward()
            opt.step()
    _assert_same_params(a, b)
    assert h.info["steps_per_epoch"] == 4
    train(c, TensorDataset(x, y), FitOptions(optimizer="sgd", lr=0.1, epochs=1, batch_size=16))
    d = _model()
    _hand_loop(d, x, y, torch.optim.SGD(d.parameters(), lr=0.1), epochs=1, batch_size=16)
    _assert_same_params(c, d)


def test_early_stopping_stops_after_patience_epochs() -> None:
    x, y = _data()
    model = _model()
    history = train(model, (x, y), FitOptions(optimizer="sgd", lr=1e-9, epochs=20,
                                              early_stopping=EarlyStopping(
                                                  patience=2, monitor="loss", min_delta=1e-3)))
    assert history.stop_reason == "early_stopped"
    assert list(history.epochs["epoch"]) == [1, 2, 3]
    assert "did not improve for 2 epochs" in history.message


def test_early_stopping_restores_the_best_epoch() -> None:
    x, y = _data()
    ours, theirs = _model(), _model()
    # "best" = highest training loss: epoch 1 of a training that improves; patience 2
    history = train(ours, (x, y), FitOptions(optimizer="sgd", lr=0.1, epochs=10, batch_size=8,
                                             early_stopping=EarlyStopping(
                                                 patience=2, monitor="loss", mode="max")))
    assert history.stop_reason == "early_stopped" and history.epoch_count == 3
    assert "restored" in history.message
    _hand_loop(theirs, x, y, torch.optim.SGD(theirs.parameters(), lr=0.1), epochs=1,
               batch_size=8)
    _assert_same_params(ours, theirs)


def test_early_stopping_watches_val_loss_or_falls_back_to_loss() -> None:
    x, y = _data()
    history = train(_model(), (x, y), FitOptions(epochs=2, early_stopping=3))
    assert history.stop_reason == "completed"
    with pytest.raises(ValueError, match="does not record"):
        train(_model(), (x, y), FitOptions(epochs=2, early_stopping=EarlyStopping(
            monitor="f1")))


def test_model_mode_and_batchnorm_stats_untouched_by_the_checks() -> None:
    from dlwidgets.engine.datasets import as_source
    from dlwidgets.engine.fit import check_fit

    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 3))
    before = copy.deepcopy(model.state_dict())
    check_fit(model, as_source(_data()), nn.CrossEntropyLoss(), "cross_entropy", "index",
              torch.device("cpu"))
    for k, v in model.state_dict().items():
        assert torch.equal(v, before[k]), k
    assert model.training


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_trains_on_cuda_like_on_cpu() -> None:
    x, y = _data()
    gpu, cpu = _model(), _model()
    history = train(gpu, (x, y), FitOptions(optimizer="sgd", lr=0.1, epochs=2, device="cuda"))
    assert next(gpu.parameters()).device.type == "cuda"
    assert history.info["device"].startswith("cuda")
    _hand_loop(cpu, x, y, torch.optim.SGD(cpu.parameters(), lr=0.1), epochs=2, batch_size=32)
    for pa, pb in zip(gpu.parameters(), cpu.parameters()):
        torch.testing.assert_close(pa.detach().cpu(), pb.detach(), atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize("kind", ["index", "binary", "probabilities"])
def test_batched_accuracy_equals_per_batch_accuracy(kind: str) -> None:
    from dlwidgets.engine.fit import _Accuracy

    g = torch.Generator().manual_seed(0)
    sizes = [5, 8, 3, 8]
    if kind == "index":
        outs = [torch.randn(n, 4, generator=g) for n in sizes]
        targets = [torch.randint(0, 4, (n,), generator=g) for n in sizes]
        acc = _Accuracy("index", True)
        direct = [float((o.argmax(1) == t).float().mean()) for o, t in zip(outs, targets)]
    elif kind == "binary":
        outs = [torch.randn(n, 1, generator=g) for n in sizes]
        targets = [torch.randint(0, 2, (n, 1), generator=g).float() for n in sizes]
        acc = _Accuracy("binary", True)
        direct = [float(((o > 0) == (t > 0.5)).float().mean()) for o, t in zip(outs, targets)]
    else:
        outs = [torch.randn(n, 3, generator=g) for n in sizes]
        targets = [torch.softmax(torch.randn(n, 3, generator=g), 1) for n in sizes]
        acc = _Accuracy("index", True)
        direct = [float((o.argmax(1) == t.argmax(1)).float().mean())
                  for o, t in zip(outs, targets)]
    assert acc.batched(outs, targets) == pytest.approx(direct)
    assert [acc(o, t) for o, t in zip(outs, targets)] == pytest.approx(direct)


def test_builtin_two_class_set_with_bce_gets_float_targets() -> None:
    """moons' labels are ints; with a BCE loss fit gives them as float 0/1 of shape (N, 1)."""
    import dlwidgets

    model = dlwidgets.build("input 2 -> dense 8 relu -> dense 1 sigmoid", seed=0)
    history = dlwidgets.fit(model, "moons", loss="bce", epochs=2, monitor=False, block=True)
    assert history.status == "completed"
    data = dlwidgets.load_dataset("moons")
    assert data.x_val is not None and data.y_val is not None
    with torch.no_grad():
        out = model(torch.as_tensor(data.x_val, dtype=torch.float32))
    expected = F.binary_cross_entropy(out, torch.as_tensor(data.y_val, dtype=torch.float32)[:, None])
    assert history.final("val_loss") == pytest.approx(expected.item(), rel=1e-5)


def test_one_registry_serves_training_and_the_race() -> None:
    """fit's names are the race's (less L-BFGS) with the same classes and starting settings;
    a textbook variant trains like its class; named optimizers take the fused or multi-tensor
    step."""
    from dlwidgets.engine import race
    from dlwidgets.engine.training_optim import make_optimizer

    assert set(OPTIMIZERS) == set(race.OPTIMIZERS) - {"lbfgs"}
    for name, spec in OPTIMIZERS.items():
        assert spec.cls is race.OPTIMIZERS[name].cls
        assert spec.formula == race.OPTIMIZERS[name].formula
    params = [nn.Parameter(torch.zeros(2))]
    assert make_optimizer("adam", params).defaults["fused"] is True
    assert make_optimizer("rmsprop", params).defaults["foreach"] is True
    chosen = make_optimizer("adam", params, options={"foreach": False}).defaults
    assert chosen["foreach"] is False and not chosen["fused"]  # the user's choice stands
    assert make_optimizer("adam", [nn.Parameter(torch.zeros(2, dtype=torch.long),
                                                requires_grad=False)]).defaults["foreach"]
    assert make_optimizer("momentum_ema", params).defaults["momentum"] == 0.9
    with pytest.raises(ValueError, match="unknown optimizer 'lbfgs'"):
        make_optimizer("lbfgs", params)
    x, y = _data()
    ours, theirs = _model(), _model()
    train(ours, (x, y), FitOptions(optimizer="adagrad_eps_inside", epochs=1, batch_size=16,
                                   device="cpu"))
    opt = race.EpsInsideAdagrad(theirs.parameters(), lr=0.01, eps=1e-8)
    _hand_loop(theirs, x, y, opt, epochs=1, batch_size=16)
    _assert_same_params(ours, theirs)


def test_typos_are_suggested_by_edit_distance() -> None:
    from dlwidgets.suggest import typo_distance, unknown_name

    assert typo_distance("adma", "adam") == 1  # two neighbours swapped
    assert typo_distance("kitten", "sitting") == 3
    assert typo_distance("", "ab") == 2 and typo_distance("same", "same") == 0
    assert unknown_name("optimizer", "adma", ["adamax", "adam"]).endswith(
        "did you mean 'adam'?")
    assert unknown_name("optimizer", "rmsporp", ["rmsprop", "rprop"]).endswith(
        "did you mean 'rmsprop'?")
    assert "did you mean" not in unknown_name("dataset", "zzzzzz", ["digits", "iris"])


class _ReadsTraining(nn.Linear):
    """A subclass of a mode-free type that acts differently in eval mode."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(x) * (2.0 if self.training else 1.0)


@pytest.mark.parametrize("kind", ["mode-free", "dropout", "subclass"])
def test_validation_loss_is_the_eval_mode_loss_and_modes_come_back(kind: str) -> None:
    """A mode-free model is evaluated without switching; dropout and any other type (a subclass
    of a mode-free type too) are switched to eval mode and back."""
    from dlwidgets.engine.modes import mode_free

    torch.manual_seed(0)
    last = _ReadsTraining(8, 3) if kind == "subclass" else nn.Linear(8, 3)
    middle = nn.Dropout(0.9) if kind == "dropout" else nn.Identity()
    model = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), middle, last)
    assert mode_free(model) == (kind == "mode-free")
    x, y = _data()
    xv, yv = _data(seed=1)
    history = train(model, (x, y), FitOptions(epochs=1, batch_size=8, val_data=(xv, yv)))
    assert model.training and all(m.training for m in model.modules())
    model.eval()
    with torch.no_grad():
        expected = F.cross_entropy(model(xv), yv).item()
    assert history.final("val_loss") == pytest.approx(expected, rel=1e-5)
