"""LSTMInspector widget: state after construction, after requests from the page, bad input.

Every number is checked against PyTorch's own modules (the layer's forward, the model's head),
never against numbers copied from our output.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import traitlets
from torch import nn

from dlwidgets import LSTMInspector
from dlwidgets.engine import char_demo as cd
from dlwidgets.engine.recurrent import Clamp, gradient_through_time, rank_units, trace_recurrent
from dlwidgets.widgets._arrays import from_wire

TOL = 1e-5


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def demo() -> cd.CharDemo:
    return cd.char_demo()


class Tagger(nn.Module):
    """Token ids -> embedding -> LSTM -> per-step logits (unbatched or batched ids)."""

    def __init__(self, bf: bool = True) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.embed = nn.Embedding(12, 6)
        self.lstm = nn.LSTM(6, 5, num_layers=2, batch_first=bf)
        self.head = nn.Linear(5, 3)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        out, _ = self.lstm(self.embed(ids))
        return self.head(out)


def test_bare_lstm_state_matches_the_module() -> None:
    torch.manual_seed(1)
    lstm = nn.LSTM(4, 6, num_layers=2, bidirectional=True, proj_size=3).eval()
    x = torch.randn(9, 4)
    w = LSTMInspector(lstm, x)
    with torch.no_grad():
        out, (h_n, c_n) = lstm(x)
    tr = w.trace
    assert set(tr) == {"input", "forget", "cell", "output", "c", "m", "h"}
    assert tr["c"].shape == (2, 2, 9, 6) and tr["h"].shape == (2, 2, 9, 3)
    assert np.abs(np.concatenate([tr["h"][-1, 0], tr["h"][-1, 1]], -1) - out.numpy()).max() <= TOL
    assert np.abs(tr["c"][:, 0, -1] - c_n.numpy()[0::2]).max() <= TOL  # forward: last step
    assert np.abs(tr["c"][:, 1, 0] - c_n.numpy()[1::2]).max() <= TOL   # reverse: step 0
    # what the browser gets: binary float32 of the same values
    for name, wire in w.get_state()["trace_data"].items():
        assert isinstance(wire["data"], memoryview) and wire["dtype"] == "float32"
        assert np.array_equal(from_wire(wire), tr[name])
    assert w.info["kind"] == "LSTM" and w.info["proj_size"] == 3 and w.info["steps"] == 9
    assert w.info["state_names"] == ["input", "forget", "cell", "output", "c", "m", "h"]
    assert w.tokens == [str(i) for i in range(9)]
    assert w.module_name == "" and w.gate == "c"
    assert np.abs(w.model_outputs - out.numpy()).max() <= TOL


@pytest.mark.parametrize("layer,keys", [
    (nn.GRU(3, 4, batch_first=True), {"reset", "update", "new", "h"}),
    (nn.RNN(3, 4, nonlinearity="relu"), {"pre", "h"}),
])
def test_gru_and_rnn_keys_and_values(layer: nn.RNNBase, keys: set[str]) -> None:
    x = torch.randn(7, 3)
    w = LSTMInspector(layer, x[None] if layer.batch_first else x[:, None])  # batch of one
    assert set(w.trace) == keys
    with torch.no_grad():
        out, _ = layer(x)
    assert np.abs(w.trace["h"][0, 0] - out.numpy()).max() <= TOL
    assert w.gate == "h"
    assert "c" not in w.info["clampable"]


def test_model_with_embedding_takes_token_ids_and_shows_its_outputs() -> None:
    model = Tagger().eval()
    ids = torch.tensor([[3, 1, 4, 1, 5, 9, 2, 6]])
    w = LSTMInspector(model, ids)
    assert w.module_name == "lstm"
    assert "'lstm' in Tagger" in w.info["description"] and "2 layers" in w.title
    assert w.tokens == ["3", "1", "4", "1", "5", "9", "2", "6"]
    with torch.no_grad():
        logits = model(ids)[0]
        h_seq, _ = model.lstm(model.embed(ids))
    assert w.info["output_label"] == "model output"
    assert np.abs(w.model_outputs - logits.numpy()).max() <= TOL
    assert np.abs(w.trace["h"][1, 0] - h_seq[0].numpy()).max() <= TOL
    # unbatched ids work too (the model then runs the LSTM unbatched)
    w2 = LSTMInspector(model, ids[0], tokens=list("abcdefgh"))
    assert np.abs(w2.trace["h"] - w.trace["h"]).max() <= TOL
    assert w2.tokens == list("abcdefgh")


def test_linear_before_the_lstm_is_captured() -> None:
    class Pre(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.proj = nn.Linear(2, 4)
            self.rnn = nn.GRU(4, 3)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.rnn(torch.tanh(self.proj(x)))[0]

    model = Pre().eval()
    x = torch.randn(6, 2)
    w = LSTMInspector(model, x)
    with torch.no_grad():
        expected = model(x)
    assert np.abs(w.trace["h"][0, 0] - expected.numpy()).max() <= TOL


def test_broken_forward_falls_back_to_the_embedding() -> None:
    class NoForward(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.emb = nn.Embedding(5, 3)
            self.rnn = nn.LSTM(3, 2)

    model = NoForward()
    ids = torch.tensor([0, 4, 2])
    w = LSTMInspector(model, ids)
    with torch.no_grad():
        out, _ = model.rnn(model.emb(ids))
    assert np.abs(w.trace["h"][0, 0] - out.numpy()).max() <= TOL
    assert "embedded the ids" in w.info["output_note"]
    with pytest.raises(ValueError, match=r"token ids must be in \[0, 4\], got \[0, 7\]"):
        LSTMInspector(model, torch.tensor([0, 7]))


def test_demo_clamp_matches_engine_and_model_head(demo: cd.CharDemo) -> None:
    w = LSTMInspector(demo.model, demo.text, tokenizer=demo.tokenizer)
    assert w.tokens == list(demo.text) and w.text == demo.text
    u = demo.counting_unit
    w.unit, w.step = u, 12
    w.clamp_gate("forget", value=0.0)
    assert w.clamp == {"gate": "forget", "unit": u, "value": 0.0, "start": 12, "stop": None,
                       "layer": 0, "direction": 0}
    with torch.no_grad():
        x = demo.model.embed(demo.tokenizer(demo.text))[0]
    ref = trace_recurrent(demo.model.rnn, x, clamps=[Clamp("forget", u, 0.0, start=12)], device="cpu")
    clamped = w.clamped_trace
    assert clamped is not None
    for name in ref.states:
        assert np.abs(clamped[name] - ref.states[name]).max() <= TOL
    assert np.all(clamped["forget"][0, 0, 12:, u] == 0.0)
    # the model's own head on the clamped hidden states (no hook involved)
    with torch.no_grad():
        head = demo.model.head(torch.as_tensor(ref.states["h"][0, 0])).numpy()
    assert w.clamped_outputs is not None
    assert np.abs(w.clamped_outputs - head).max() <= TOL
    assert np.abs(w.clamped_outputs[:12] - w.model_outputs[:12]).max() <= TOL
    assert w.clamped["outputs"].shape == w.model_outputs.shape
    # the clamp's gradient curve is there too
    g = w.clamped_gradient_norms
    assert g is not None
    expected = gradient_through_time(demo.model.rnn, x, clamps=[Clamp("forget", u, 0.0, start=12)],
                                     device="cpu")
    np.testing.assert_allclose(g[0], expected, rtol=1e-5, atol=1e-12)
    w.clear_clamp()
    assert w.clamp == {} and w.clamped == {} and w.clamped_trace is None


def test_requests_from_the_page(demo: cd.CharDemo) -> None:
    w = LSTMInspector(demo.model, "(a(b))", tokenizer=demo.tokenizer)
    w._on_request(w, {"type": "clamp", "gate": "input", "unit": 2, "value": 0.0, "start": 1,
                      "layer": 0, "direction": 0}, [])
    assert w.error == "" and w.clamp["gate"] == "input" and w.clamp["start"] == 1
    w._on_request(w, {"type": "clamp", "gate": "forget", "unit": 2, "value": 3.0, "start": 1}, [])
    assert "[0, 1], got 3.0" in w.error and w.clamp["gate"] == "input"  # refused, state kept
    w._on_request(w, {"type": "text", "text": "((((a))))"}, [])
    assert w.error == "" and w.tokens == list("((((a))))") and w.steps == 9
    assert w.clamp == {}  # new text clears the intervention
    w._on_request(w, {"type": "text", "text": "(x<y)"}, [])
    assert "does not know" in w.error and w.tokens == list("((((a))))")
    w._on_request(w, {"type": "clear_clamp"}, [])
    assert w.error == ""
    with torch.no_grad():
        out, _ = demo.model.rnn(demo.model.embed(demo.tokenizer("((((a))))")))
    assert np.abs(w.trace["h"][0, 0] - out[0].numpy()).max() <= TOL


def test_gradients_and_comparison(demo: cd.CharDemo) -> None:
    w = LSTMInspector.demo()
    assert w.unit == demo.counting_unit and w.gate == "c"
    ids = demo.tokenizer(demo.text)
    with torch.no_grad():
        x_lstm = demo.model.embed(ids)[0]
        x_rnn = demo.rnn_model.embed(ids)[0]
    norms = w.gradient_norms
    cmp_norms = w.compare_gradient_norms
    assert norms is not None and cmp_norms is not None
    np.testing.assert_allclose(norms[0], gradient_through_time(demo.model.rnn, x_lstm, device="cpu"),
                               rtol=1e-5)
    np.testing.assert_allclose(cmp_norms[0], gradient_through_time(demo.rnn_model.rnn, x_rnn, device="cpu"),
                               rtol=1e-5)
    assert np.array_equal(w.gradient["norms"], norms)
    assert "nn.RNN" in w.info["compare_label"]
    off = LSTMInspector(demo.model, demo.text, tokenizer=demo.tokenizer, gradient=False)
    assert off.gradient == {} and "off" in off.info["gradient_note"]


def test_search_units_uses_the_selection(demo: cd.CharDemo) -> None:
    w = LSTMInspector(demo.model, demo.text, tokenizer=demo.tokenizer)
    with pytest.raises(ValueError, match="no selection"):
        w.search_units()
    w.selection = [3, 9]
    units, scores = w.search_units()
    ref_units, ref_scores = rank_units(w.trace["c"][0, 0], 3, 9)
    assert np.array_equal(units, ref_units) and np.allclose(scores, ref_scores)
    with pytest.raises(traitlets.TraitError, match="selection must be"):
        w.selection = [5, 2]


def test_trait_validation(demo: cd.CharDemo) -> None:
    w = LSTMInspector(demo.model, "(a)", tokenizer=demo.tokenizer)
    with pytest.raises(traitlets.TraitError, match=r"unit must be in \[0, 15\], got 16"):
        w.unit = 16
    with pytest.raises(traitlets.TraitError, match=r"step must be in \[0, 2\], got 3"):
        w.step = 3
    with pytest.raises(traitlets.TraitError, match="gate='reset'"):
        w.gate = "reset"
    with pytest.raises(traitlets.TraitError, match=r"layer must be in \[0, 0\]"):
        w.layer = 1


def test_html_in_tokens_stays_a_plain_string() -> None:
    lstm = nn.LSTM(2, 3)
    evil = "<img src=x onerror=alert(1)>"
    w = LSTMInspector(lstm, torch.randn(3, 2), tokens=["a", evil, "</script>"])
    assert w.tokens == ["a", evil, "</script>"]
    assert w.get_state()["tokens"][1] == evil


@pytest.mark.parametrize(("make", "message"), [
    (lambda: LSTMInspector(nn.Sequential(nn.Linear(3, 4), nn.ReLU()), torch.randn(5, 3)),
     r"Sequential contains no recurrent layer \(found: Linear, ReLU, Sequential\)"),
    (lambda: LSTMInspector(nn.LSTM(5, 4), torch.randn(8, 3)),
     r"3 features per step but the LSTM expects input_size=5"),
    (lambda: LSTMInspector(nn.LSTM(3, 4), torch.randn(8, 3), tokens=list("abc")),
     r"tokens has 3 entries but the sequence has T=8 steps"),
    (lambda: LSTMInspector(nn.GRU(3, 4), torch.randn(1200, 3)),
     r"T=1200 time steps; the inspector shows at most max_steps=1000 .*inputs\[:1000\]"),
    (lambda: LSTMInspector(nn.GRU(3, 4), torch.randn(60, 3), max_steps=50),
     r"T=60 time steps; the inspector shows at most max_steps=50"),
    (lambda: LSTMInspector(nn.GRU(3, 4), torch.randn(4, 3), max_steps=10**6),
     r"max_steps must be in \[1, 5000\]"),
    (lambda: LSTMInspector(nn.LSTM(3, 4, batch_first=True), torch.randn(2, 8, 3)),
     r"one sequence.*\(1, T, F\) with batch_first=True.*batch of 2"),
    (lambda: LSTMInspector(nn.LSTM(3, 4), "abc"), r"no tokenizer= was given"),
    (lambda: LSTMInspector(nn.LSTM(3, 4), torch.tensor([[1, 2, 3]])), r"float features"),
    (lambda: LSTMInspector(nn.LSTM(3, 4), torch.randn(4, 3), gate="forgett"), r"gate='forgett'"),
    (lambda: LSTMInspector(nn.LSTM(3, 4), ["a", "b"]), r"numbers"),
    (lambda: LSTMInspector(nn.LSTM(3, 4), torch.randn(4, 3), tokenizer="chars"),
     r"tokenizer must be callable"),
])
def test_bad_input_messages(make, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises((ValueError, TypeError), match=message):
        make()


def test_container_with_wrong_feature_size_names_both_sizes() -> None:
    class Wrap(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.rnn = nn.LSTM(5, 4)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.rnn(x)[0]

    with pytest.raises(ValueError, match=r"inputs have 3 features per step .* input_size=5"):
        LSTMInspector(Wrap(), torch.randn(6, 3))


def test_nan_is_reported_not_hidden() -> None:
    lstm = nn.LSTM(2, 3)
    with torch.no_grad():
        lstm.weight_ih_l0[0, 0] = float("nan")
    x = torch.randn(5, 2)
    x[:2] = 0.0  # NaN * 0 is still NaN: the first step already holds NaN
    w = LSTMInspector(lstm, x, gradient=False)
    assert w.info["nonfinite_step"] == 0
    assert np.isnan(w.trace["input"][0, 0, 0, 0])


def test_export_state_carries_the_trace_as_buffers(demo: cd.CharDemo) -> None:
    w = LSTMInspector(demo.model, "(ab(c))", tokenizer=demo.tokenizer)
    state = w.get_state()
    assert isinstance(state["trace_data"]["c"]["data"], memoryview)
    assert state["tokens"] == list("(ab(c))")
    assert state["info"]["has_tokenizer"] is True


def test_dsl_classifier_final_output_under_a_clamp() -> None:
    """A %%dl-style model (embedding → bidirectional 2-layer lstm, return=last → dense): its
    output is one vector, shown whole; under a clamp it equals the model's dense layer applied
    to the clamped final states (forward after the last step, reverse after the first)."""
    import dlwidgets

    model = dlwidgets.build("input 12 tokens\nembedding 6 8\nlstm 5 layers=2 bidirectional\n"
                            "dense 3", seed=0).eval()
    ids = torch.tensor([[1, 2, 3, 0, 5, 4, 4, 3, 2, 1, 0, 5]])
    w = LSTMInspector(model, ids)
    assert w.module_name == "1.rnn" and "not one row per step" in w.info["output_note"]
    with torch.no_grad():
        expected = model(ids)[0].numpy()
    final = w.final_output
    assert final is not None and np.abs(final - expected).max() <= TOL
    w.clamp_gate("output", unit=1, value=0.0, start=0, layer=1, direction=1)
    tr = w.clamped_trace
    assert tr is not None
    last = np.concatenate([tr["h"][1, 0, -1], tr["h"][1, 1, 0]])
    with torch.no_grad():
        manual = model[2](torch.as_tensor(last)).numpy()
    clamped = w.clamped_final_output
    assert clamped is not None and np.abs(clamped - manual).max() <= TOL
    assert np.abs(clamped - expected).max() > 1e-4
    assert w.clamped["final"].shape == (3,)
