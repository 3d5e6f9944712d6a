"""The built-in bracket-depth demo: generated data, trained models, a counting unit, vanishing
gradients in the RNN, determinism."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dlwidgets.engine import char_demo as cd
from dlwidgets.engine.recurrent import (
    Clamp,
    capture_input,
    gradient_through_time,
    model_output_with,
    recompute,
    trace_recurrent,
)


@pytest.fixture(scope="module")
def demo() -> cd.CharDemo:
    return cd.char_demo()


def test_depths_and_text_generator() -> None:
    assert cd.depths("(a(b))").tolist() == [1, 1, 2, 2, 1, 0]
    assert cd.depths("))(").tolist() == [0, 0, 1]  # unmatched ')' stays at 0
    rng = np.random.default_rng(5)
    text = cd.bracket_text(500, rng, max_depth=3)
    assert set(text) <= set(cd.VOCAB)
    d = cd.depths(text)
    assert d.max() == 3 and d.min() == 0
    # the generator never closes an unopened bracket, so depth is the running balance
    balance = np.cumsum([1 if c == "(" else -1 if c == ")" else 0 for c in text])
    assert np.array_equal(d, balance)


def test_encode_refuses_unknown_characters() -> None:
    assert cd.encode("(a)").tolist() == [[0, 2, 1]]
    with pytest.raises(ValueError, match=r"does not know: '<xz'; use only '\(\)abcd'"):
        cd.encode("(a<z)x")
    with pytest.raises(ValueError, match="at least one"):
        cd.encode("")


def test_demo_models_learn_the_task(demo: cd.CharDemo) -> None:
    assert demo.accuracy > 0.95
    assert demo.rnn_accuracy < demo.accuracy
    ids = demo.tokenizer(demo.text)
    with torch.no_grad():
        pred = demo.model(ids).argmax(-1)[0].numpy()
    assert (pred == cd.depths(demo.text)).mean() > 0.95
    assert isinstance(demo.model.rnn, torch.nn.LSTM) and isinstance(demo.rnn_model.rnn, torch.nn.RNN)


def test_counting_unit_tracks_depth_on_new_text(demo: cd.CharDemo) -> None:
    assert abs(demo.counting_r) > 0.85
    text = cd.bracket_text(300, np.random.default_rng(123))
    with torch.no_grad():
        x = demo.model.embed(cd.encode(text))[0]
    c = trace_recurrent(demo.model.rnn, x, device="cpu").states["c"][0, 0]
    r = np.corrcoef(c[:, demo.counting_unit], cd.depths(text))[0, 1]
    assert abs(r) > 0.85
    unit, r2 = cd.counting_unit(c, text)
    assert r2 == pytest.approx(np.corrcoef(c[:, unit], cd.depths(text))[0, 1])


def test_clamping_the_counting_unit_breaks_the_count(demo: cd.CharDemo) -> None:
    """Intervention: hold the counting unit's cell state fixed from step 10 on; the model's own
    head (run through a forward hook) then predicts the depth worse after step 10."""
    ids = demo.tokenizer(demo.text)
    rnn = demo.model.rnn
    cap = capture_input(demo.model, rnn, ids)
    assert cap.model_output is not None
    truth = cd.depths(demo.text)
    base = recompute(rnn, cap.x, device="cpu")
    c_unit = base.states["c"][0, 0, 9, 0, demo.counting_unit].item()
    clamped = recompute(rnn, cap.x, clamps=[Clamp("c", demo.counting_unit, c_unit, start=10)],
                        device="cpu")
    out = model_output_with(demo.model, rnn, ids, clamped)
    assert out is not None
    acc_before = (cap.model_output.argmax(-1)[0, 10:].numpy() == truth[10:]).mean()
    acc_after = (out.argmax(-1)[0, 10:].numpy() == truth[10:]).mean()
    assert acc_after < acc_before - 0.2


def test_rnn_gradients_vanish_lstm_gradients_do_not(demo: cd.CharDemo) -> None:
    ids = demo.tokenizer(demo.text)
    with torch.no_grad():
        x_lstm = demo.model.embed(ids)[0]
        x_rnn = demo.rnn_model.embed(ids)[0]
    g_lstm = gradient_through_time(demo.model.rnn, x_lstm, device="cpu")[0]
    g_rnn = gradient_through_time(demo.rnn_model.rnn, x_rnn, device="cpu")[0]
    assert g_rnn[0] / g_rnn[-1] < 1e-6
    assert g_lstm[0] / g_lstm[-1] > 1e-3


def test_training_is_deterministic_and_leaves_global_rng_alone() -> None:
    state = torch.random.get_rng_state()
    cd._trained.cache_clear()
    a, acc_a, _ = cd.trained_model("lstm", seed=7, hidden=6, steps=15)
    cd._trained.cache_clear()
    b, acc_b, _ = cd.trained_model("lstm", seed=7, hidden=6, steps=15)
    assert torch.equal(torch.random.get_rng_state(), state)
    assert acc_a == acc_b
    for (name, pa), pb in zip(a.state_dict().items(), b.state_dict().values()):
        assert torch.equal(pa, pb), name
    c, _, _ = cd.trained_model("lstm", seed=8, hidden=6, steps=15)
    assert not torch.equal(c.rnn.weight_hh_l0, a.rnn.weight_hh_l0)
    # copies: changing one does not change the cached model
    with torch.no_grad():
        a.rnn.weight_hh_l0.zero_()
    d, _, _ = cd.trained_model("lstm", seed=7, hidden=6, steps=15)
    assert torch.equal(d.rnn.weight_hh_l0, b.rnn.weight_hh_l0)


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match=r"hidden must be in \[1, 256\], got 0"):
        cd.trained_model(hidden=0)
    with pytest.raises(ValueError, match="cell='conv'"):
        cd.CharModel("conv")
    with pytest.raises(ValueError, match=r"length must be in \[8, 1000\], got 3"):
        cd.char_demo(length=3)
