"""The recomputed LSTM/GRU/RNN traces against PyTorch's own modules.

Outputs, h_n and c_n are compared with the module's forward over every configuration
(layers, directions, batch_first, bias, proj_size, tanh/relu). Gate values and clamps are
compared with a per-step reference written from PyTorch's documented equations with F.linear
(itself checked against the module first), and gradient-through-time norms with
torch.autograd.functional.jacobian of the module's own forward.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from dlwidgets.engine.recurrent import (
    Clamp,
    capture_input,
    find_recurrent,
    gradient_through_time,
    model_output_with,
    rank_units,
    recompute,
    trace_recurrent,
)

TOL = 1e-5


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    """Tiny tensors: one intra-op thread avoids OpenMP spin-waiting on a busy 2-core machine."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def make(kind: str, *, layers: int = 1, bi: bool = False, bf: bool = False, bias: bool = True,
         proj: int = 0, inp: int = 5, hidden: int = 7, seed: int = 0) -> nn.RNNBase:
    torch.manual_seed(seed)
    kw = dict(input_size=inp, hidden_size=hidden, num_layers=layers, bidirectional=bi,
              batch_first=bf, bias=bias)
    if kind == "LSTM":
        m: nn.RNNBase = nn.LSTM(proj_size=proj, **kw)
    elif kind == "GRU":
        m = nn.GRU(**kw)
    else:
        m = nn.RNN(nonlinearity="relu" if kind == "RNN_RELU" else "tanh", **kw)
    return m.eval()


CONFIGS = [
    (kind, layers, bi, bf, bias, proj)
    for kind in ("LSTM", "GRU", "RNN_TANH", "RNN_RELU")
    for layers, bi, bf, bias, proj in itertools.product((1, 2, 3), (False, True), (False, True),
                                                        (True, False), (0, 3))
    if proj == 0 or kind == "LSTM"
]


def _hx(m: nn.RNNBase, batch: int, gen: torch.Generator) -> object:
    dirs = 2 if m.bidirectional else 1
    h_out = getattr(m, "proj_size", 0) or m.hidden_size
    h0 = torch.randn(m.num_layers * dirs, batch, h_out, generator=gen) * 0.5
    if isinstance(m, nn.LSTM):
        return h0, torch.randn(m.num_layers * dirs, batch, m.hidden_size, generator=gen)
    return h0


@pytest.mark.parametrize("kind,layers,bi,bf,bias,proj", CONFIGS)
def test_recompute_matches_module_forward(kind: str, layers: int, bi: bool, bf: bool, bias: bool,
                                          proj: int) -> None:
    m = make(kind, layers=layers, bi=bi, bf=bf, bias=bias, proj=proj, seed=layers * 7 + proj)
    gen = torch.Generator().manual_seed(1)
    batch, steps = 3, 11
    x = torch.randn((batch, steps, 5) if bf else (steps, batch, 5), generator=gen)
    for hx in (None, _hx(m, batch, gen)):
        with torch.no_grad():
            out, state = m(x, hx)
        res = recompute(m, x, hx, device="cpu")
        assert res.output.shape == out.shape
        assert (res.output - out).abs().max().item() <= TOL
        if kind == "LSTM":
            h_n, c_n = state
            assert res.c_n is not None
            assert (res.h_n - h_n).abs().max().item() <= TOL
            assert (res.c_n - c_n).abs().max().item() <= TOL
        else:
            assert res.c_n is None
            assert (res.h_n - state).abs().max().item() <= TOL
    # the recorded states have (L, D, T, B, units) and the last layer's h is the output
    dirs = 2 if bi else 1
    h = res.states["h"]
    assert h.shape == (layers, dirs, steps, batch, proj or 7)
    out_tb = res.output.transpose(0, 1) if bf else res.output
    for d in range(dirs):
        width = proj or 7
        assert torch.equal(h[-1, d], out_tb[..., d * width:(d + 1) * width])


@pytest.mark.parametrize("kind", ["LSTM", "GRU", "RNN_TANH"])
def test_unbatched_input_matches_module(kind: str) -> None:
    m = make(kind, layers=2, bi=True)
    x = torch.randn(13, 5)
    with torch.no_grad():
        out, state = m(x)
    res = recompute(m, x, device="cpu")
    assert (res.output - out).abs().max().item() <= TOL
    h_n = state[0] if kind == "LSTM" else state
    assert res.h_n.shape == h_n.shape
    assert (res.h_n - h_n).abs().max().item() <= TOL


def test_float64_module_is_exact_to_double_precision() -> None:
    m = make("LSTM", layers=2, bi=True, proj=4).double()
    x = torch.randn(20, 1, 5, dtype=torch.float64)
    with torch.no_grad():
        out, (h_n, c_n) = m(x)
    res = recompute(m, x, device="cpu")
    assert res.output.dtype == torch.float64
    assert (res.output - out).abs().max().item() < 1e-12
    assert res.c_n is not None and (res.c_n - c_n).abs().max().item() < 1e-12


# ----------------------------------------------------------------------------------------------
# per-step reference from the documented equations (F.linear, chunk order i,f,g,o / r,z,n)


def reference(m: nn.RNNBase, x: torch.Tensor, clamps: tuple[Clamp, ...] = ()) -> dict[str, np.ndarray]:
    """Unbatched (T, F) input -> {name: (L, D, T, units)} float64, plus '_out'."""
    md = {n: p.detach().double() for n, p in m.named_parameters()}
    x = x.double()
    steps = x.shape[0]
    dirs = 2 if m.bidirectional else 1
    hid = m.hidden_size
    proj = getattr(m, "proj_size", 0)
    kind = type(m).__name__
    names = {"LSTM": ["input", "forget", "cell", "output", "c", "h"],
             "GRU": ["reset", "update", "new", "h"], "RNN": ["pre", "h"]}[kind]
    out = {n: np.zeros((m.num_layers, dirs, steps, proj if (n == "h" and proj) else hid))
           for n in names}
    inp = x
    for layer in range(m.num_layers):
        outs = []
        for d in range(dirs):
            sfx = f"_l{layer}" + ("_reverse" if d else "")
            w_ih, w_hh = md["weight_ih" + sfx], md["weight_hh" + sfx]
            b_ih, b_hh = md.get("bias_ih" + sfx), md.get("bias_hh" + sfx)
            h = torch.zeros(proj or hid, dtype=torch.float64)
            c = torch.zeros(hid, dtype=torch.float64)
            hs = [torch.zeros(0)] * steps
            order = range(steps) if d == 0 else range(steps - 1, -1, -1)

            def clamp(name: str, t: int, v: torch.Tensor, layer: int = layer, d: int = d) -> torch.Tensor:
                v = v.clone()
                for cl in clamps:
                    if (cl.gate == name and cl.layer == layer and cl.direction == d
                            and cl.start <= t and (cl.stop is None or t < cl.stop)):
                        v[cl.unit] = cl.value
                return v

            for t in order:
                gi = F.linear(inp[t], w_ih, b_ih)
                gh = F.linear(h, w_hh, b_hh)
                if kind == "LSTM":
                    i, f, g, o = (gi + gh).chunk(4)
                    i, f, g, o = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)
                    i, f, g, o = (clamp(n, t, v) for n, v in
                                  zip(("input", "forget", "cell", "output"), (i, f, g, o)))
                    c = clamp("c", t, f * c + i * g)
                    h = o * torch.tanh(c)
                    if proj:
                        h = F.linear(h, md["weight_hr" + sfx])
                    for n, v in zip(names, (i, f, g, o, c, h)):
                        out[n][layer, d, t] = v.numpy()
                elif kind == "GRU":
                    ir, iz, inn = gi.chunk(3)
                    hr, hz, hn = gh.chunk(3)
                    r = clamp("reset", t, torch.sigmoid(ir + hr))
                    z = clamp("update", t, torch.sigmoid(iz + hz))
                    n = clamp("new", t, torch.tanh(inn + r * hn))
                    h = (1 - z) * n + z * h
                    for name, v in zip(names, (r, z, n, h)):
                        out[name][layer, d, t] = v.numpy()
                else:
                    pre = gi + gh
                    h = clamp("h", t, torch.relu(pre) if m.nonlinearity == "relu" else torch.tanh(pre))
                    out["pre"][layer, d, t] = pre.numpy()
                    out["h"][layer, d, t] = h.numpy()
                hs[t] = h
            outs.append(torch.stack(hs))
        inp = torch.cat(outs, -1)
    out["_out"] = inp.numpy()
    return out


@pytest.mark.parametrize("kind,layers,bi,proj", [
    ("LSTM", 2, True, 0), ("LSTM", 2, False, 3), ("GRU", 2, True, 0), ("RNN_TANH", 1, True, 0),
    ("RNN_RELU", 2, False, 0),
])
def test_gates_match_documented_equations(kind: str, layers: int, bi: bool, proj: int) -> None:
    m = make(kind, layers=layers, bi=bi, proj=proj)
    x = torch.randn(9, 5)
    ref = reference(m, x)
    with torch.no_grad():
        out = m(x)[0]
    # the reference itself reproduces the module
    assert np.abs(ref["_out"] - out.double().numpy()).max() <= TOL
    tr = trace_recurrent(m, x, device="cpu")
    assert set(tr.states) >= {k for k in ref if not k.startswith("_")}
    for name, arr in ref.items():
        if name.startswith("_"):
            continue
        assert tr.states[name].shape == arr.shape, name
        assert tr.states[name].dtype == np.float32
        assert np.abs(tr.states[name] - arr).max() <= TOL, name
    if proj:
        # m = o * tanh(c) before the projection
        np.testing.assert_allclose(tr.states["m"], tr.states["output"] * np.tanh(tr.states["c"]),
                                   atol=1e-6)


def test_trace_accepts_batched_layouts_of_one_sequence() -> None:
    m = make("LSTM", bf=True)
    x = torch.randn(8, 5)
    a = trace_recurrent(m, x, device="cpu")
    b = trace_recurrent(m, x[None], device="cpu")  # (1, T, F) with batch_first
    assert a.steps == 8 and np.array_equal(a.states["h"], b.states["h"])
    m2 = make("GRU", bf=False)
    c = trace_recurrent(m2, x[:, None], device="cpu")  # (T, 1, F)
    assert c.states["h"].shape == (1, 1, 8, 7)
    with pytest.raises(ValueError, match=r"one sequence.*batch of 3"):
        trace_recurrent(m, torch.randn(3, 8, 5), device="cpu")
    with pytest.raises(ValueError, match=r"\(T, 1, F\)"):
        trace_recurrent(m2, torch.randn(8, 2, 5), device="cpu")


# ----------------------------------------------------------------------------------------------
# clamps


@pytest.mark.parametrize("kind,clamps", [
    ("LSTM", (Clamp("forget", 2, 1.0, start=3), Clamp("input", 2, 0.0, start=3))),
    ("LSTM", (Clamp("output", 0, 0.0, start=0, stop=4, layer=1, direction=1),
              Clamp("c", 5, 0.7, start=6, layer=0))),
    ("LSTM", (Clamp("cell", 1, -1.0, start=2, stop=7),)),
    ("GRU", (Clamp("update", 3, 1.0, start=4), Clamp("reset", 1, 0.0, start=0, direction=1))),
    ("GRU", (Clamp("new", 0, 0.5, start=5, layer=1),)),
    ("RNN_TANH", (Clamp("h", 4, -1.0, start=2, layer=1, direction=1),)),
    ("RNN_RELU", (Clamp("h", 4, 0.0, start=2),)),
])
def test_clamped_trace_matches_reference(kind: str, clamps: tuple[Clamp, ...]) -> None:
    m = make(kind, layers=2, bi=True)
    x = torch.randn(10, 5)
    ref = reference(m, x, clamps)
    tr = trace_recurrent(m, x, clamps=clamps, device="cpu")
    plain = trace_recurrent(m, x, device="cpu")
    for name in tr.states:
        assert np.abs(tr.states[name] - ref[name]).max() <= TOL, name
    assert np.abs(tr.output - ref["_out"]).max() <= TOL
    assert not np.allclose(tr.output, plain.output)  # the clamp changed something downstream


def test_forget_one_input_zero_freezes_the_cell_state() -> None:
    m = make("LSTM", hidden=6)
    x = torch.randn(15, 5)
    unit, start = 3, 5
    tr = trace_recurrent(m, x, clamps=[Clamp("forget", unit, 1.0, start=start),
                                       Clamp("input", unit, 0.0, start=start)], device="cpu")
    plain = trace_recurrent(m, x, device="cpu")
    c = tr.states["c"][0, 0, :, unit]
    assert np.allclose(c[start - 1:], c[start - 1])  # constant error carousel
    # nothing before the clamp changes
    for name in plain.states:
        assert np.array_equal(tr.states[name][:, :, :start], plain.states[name][:, :, :start])


def test_clamp_validation_messages() -> None:
    m = make("LSTM", layers=2)
    x = torch.randn(6, 5)
    with pytest.raises(ValueError, match=r"\[0, 1\], got 1.5"):
        trace_recurrent(m, x, clamps=[Clamp("forget", 0, 1.5)], device="cpu")
    with pytest.raises(ValueError, match=r"'reset' is not clampable in an LSTM"):
        trace_recurrent(m, x, clamps=[Clamp("reset", 0, 0.5)], device="cpu")
    with pytest.raises(ValueError, match=r"unit must be in \[0, 6\], got 7"):
        trace_recurrent(m, x, clamps=[Clamp("input", 7, 0.5)], device="cpu")
    with pytest.raises(ValueError, match=r"start must be a step in \[0, 5\], got 6"):
        trace_recurrent(m, x, clamps=[Clamp("input", 0, 0.5, start=6)], device="cpu")
    with pytest.raises(ValueError, match=r"layer must be in \[0, 1\], got 2"):
        trace_recurrent(m, x, clamps=[Clamp("input", 0, 0.5, layer=2)], device="cpu")


# ----------------------------------------------------------------------------------------------
# gradient through time


def _single_layer(m: nn.RNNBase, layer: int) -> nn.RNNBase:
    """Forward direction of ``layer`` of ``m`` as a one-layer module of PyTorch."""
    inp = m.input_size if layer == 0 else (m.proj_size or m.hidden_size if isinstance(m, nn.LSTM)
                                           else m.hidden_size) * (2 if m.bidirectional else 1)
    kw = dict(input_size=inp, hidden_size=m.hidden_size, num_layers=1, bias=m.bias)
    if isinstance(m, nn.LSTM):
        one: nn.RNNBase = nn.LSTM(proj_size=m.proj_size, **kw)
    elif isinstance(m, nn.GRU):
        one = nn.GRU(**kw)
    else:
        one = nn.RNN(nonlinearity=m.nonlinearity, **kw)
    with torch.no_grad():
        for name, p in one.named_parameters():
            p.copy_(getattr(m, name.replace("_l0", f"_l{layer}")))
    return one.double().eval()


@pytest.mark.parametrize("kind,layers,bi,proj,layer", [
    ("LSTM", 1, False, 0, 0), ("LSTM", 2, True, 3, 1), ("GRU", 2, False, 0, 1),
    ("RNN_TANH", 1, True, 0, 0), ("RNN_RELU", 1, False, 0, 0),
])
def test_gradient_through_time_matches_jacobian(kind: str, layers: int, bi: bool, proj: int,
                                                layer: int) -> None:
    m = make(kind, layers=layers, bi=bi, proj=proj).double()
    x = torch.randn(8, 5, dtype=torch.float64)
    norms = gradient_through_time(m, x, layer=layer, device="cpu")
    assert norms.shape == (2 if bi else 1, 8)
    # layer input from PyTorch's own (truncated) module
    inp = x
    if layer:
        below = make(kind, layers=layer, bi=bi, proj=proj).double()
        with torch.no_grad():
            for name, p in below.named_parameters():
                p.copy_(getattr(m, name))
            inp = below(x)[0]
    one = _single_layer(m, layer)
    steps = x.shape[0]
    for t in range(steps - 1):
        with torch.no_grad():
            state = one(inp[: t + 1])[1]
        if isinstance(one, nn.LSTM):
            h, c = state
            jac = torch.autograd.functional.jacobian(lambda hh, c=c, t=t: one(inp[t + 1:], (hh, c))[1][0], h)
        else:
            jac = torch.autograd.functional.jacobian(lambda hh, t=t: one(inp[t + 1:], hh)[1], state)
        assert abs(norms[0, t] - jac.norm().item()) <= 1e-9 * max(1.0, jac.norm().item()), t
    width = proj or m.hidden_size
    assert abs(norms[0, -1] - np.sqrt(width)) < 1e-12  # dh_T/dh_T = identity


def test_gradient_reverse_direction_mirrors_forward() -> None:
    """Feeding the reversed sequence to the forward direction with the reverse weights gives
    the reverse direction's norms mirrored."""
    m = make("GRU", bi=True).double()
    x = torch.randn(7, 5, dtype=torch.float64)
    norms = gradient_through_time(m, x, device="cpu")
    fwd = nn.GRU(5, 7).double()
    with torch.no_grad():
        for name, p in fwd.named_parameters():
            p.copy_(getattr(m, name + "_reverse"))
    mirror = gradient_through_time(fwd, x.flip(0), device="cpu")
    np.testing.assert_allclose(norms[1], mirror[0, ::-1], rtol=1e-10)


def test_lstm_forget_clamp_keeps_gradient_alive_where_rnn_vanishes() -> None:
    torch.manual_seed(3)
    x = torch.randn(40, 5)
    rnn = make("RNN_TANH", hidden=16)
    lstm = make("LSTM", hidden=16)
    g_rnn = gradient_through_time(rnn, x, device="cpu")[0]
    clamps = [Clamp("forget", u, 1.0) for u in range(16)]  # c_t = c_{t-1} + i*g: no decay
    g_carousel = gradient_through_time(lstm, x, clamps=clamps, device="cpu")[0]
    assert g_rnn[0] < 1e-3 * g_rnn[-1]  # vanishes over 40 steps
    assert g_carousel[0] > 1e-2 * g_carousel[-1]


# ----------------------------------------------------------------------------------------------
# models containing a recurrent layer


class CharModel(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.embed = nn.Embedding(10, 5)
        self.rnn = nn.LSTM(5, 7, batch_first=True)
        self.head = nn.Linear(7, 3)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        out, _ = self.rnn(self.embed(ids))
        return self.head(out)


def test_find_recurrent_and_capture_input_through_embedding() -> None:
    torch.manual_seed(0)
    model = CharModel().eval()
    name, rnn = find_recurrent(model)
    assert name == "rnn" and rnn is model.rnn
    assert find_recurrent(model.rnn) == ("", model.rnn)
    ids = torch.tensor([[1, 2, 3, 4, 0, 9]])
    cap = capture_input(model, rnn, ids)
    assert torch.equal(cap.x, model.embed(ids).detach())
    assert cap.model_output is not None and cap.model_output.shape == (1, 6, 3)
    # replacing the layer's output with our recomputation gives the model's own output
    res = recompute(rnn, cap.x, device="cpu")
    same = model_output_with(model, rnn, ids, res)
    assert same is not None and (same - cap.model_output).abs().max().item() <= TOL
    clamped = recompute(rnn, cap.x, clamps=[Clamp("output", 0, 0.0, start=2)], device="cpu")
    changed = model_output_with(model, rnn, ids, clamped)
    assert changed is not None
    assert (changed[:, :2] - cap.model_output[:, :2]).abs().max().item() <= TOL
    assert not torch.allclose(changed[:, 2:], cap.model_output[:, 2:])


def test_capture_restores_training_flags() -> None:
    model = CharModel().train()
    capture_input(model, model.rnn, torch.tensor([[1, 2]]))
    assert all(m.training for m in model.modules())


def test_find_recurrent_says_what_it_found() -> None:
    with pytest.raises(TypeError, match=r"Sequential contains no recurrent layer \(found: Linear, ReLU, Sequential\)"):
        find_recurrent(nn.Sequential(nn.Linear(2, 3), nn.ReLU()))
    with pytest.raises(TypeError, match=r"LSTMCell.*single steps"):
        find_recurrent(nn.Sequential(nn.LSTMCell(2, 3)))
    with pytest.raises(TypeError, match=r"got a ndarray"):
        find_recurrent(np.zeros(3))


def test_wrong_feature_size_names_both_sizes() -> None:
    m = make("LSTM", inp=5)
    with pytest.raises(ValueError, match=r"4 features per step .* input_size=5"):
        trace_recurrent(m, torch.randn(6, 4), device="cpu")
    with pytest.raises(ValueError, match=r"4 features per step .* input_size=5"):
        recompute(m, torch.randn(6, 2, 4), device="cpu")
    with pytest.raises(TypeError, match=r"float features"):
        trace_recurrent(m, torch.tensor([[1, 2, 3, 4, 5]]), device="cpu")


def test_rank_units_finds_a_planted_unit() -> None:
    rng = np.random.default_rng(0)
    values = rng.normal(0, 0.1, size=(30, 8))
    values[10:15, 5] += 1.0
    order, scores = rank_units(values, 10, 15)
    assert order[0] == 5
    expected = values[10:15, 5].mean() - np.concatenate([values[:10, 5], values[15:, 5]]).mean()
    assert scores[0] == pytest.approx(expected)
    assert np.all(np.diff(scores) <= 0)
    with pytest.raises(ValueError, match="leave some steps outside"):
        rank_units(values, 0, 30)
    with pytest.raises(ValueError, match=r"0 <= start < stop <= 30"):
        rank_units(values, 5, 5)


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
@pytest.mark.parametrize("kind", ["LSTM", "GRU", "RNN_TANH"])
def test_cuda_recompute_matches_cudnn(kind: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # cuDNN's RNNs use TF32 tensor cores by default (inputs rounded to 10 mantissa bits, about
    # 1e-3 relative); compared in full float32 here, as the recomputation runs
    monkeypatch.setattr(torch.backends.cudnn, "allow_tf32", False)
    monkeypatch.setattr(torch.backends.cuda.matmul, "allow_tf32", False)
    m = make(kind, layers=2, bi=True, inp=32, hidden=64, proj=16 if kind == "LSTM" else 0).cuda()
    x = torch.randn(50, 4, 32, device="cuda")
    with torch.no_grad():
        out, state = m(x)  # cuDNN
    res = recompute(m, x, device="cuda")
    assert res.output.is_cuda
    assert (res.output - out).abs().max().item() <= 1e-4
    h_n = state[0] if kind == "LSTM" else state
    assert (res.h_n - h_n).abs().max().item() <= 1e-4
    if kind == "LSTM":
        assert res.c_n is not None and (res.c_n - state[1]).abs().max().item() <= 1e-4
