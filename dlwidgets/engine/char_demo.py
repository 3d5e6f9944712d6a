"""Built-in demo for the LSTM inspector: a character-level model that counts bracket depth.

Nothing is downloaded: the data are generated. Each text mixes brackets and letters, e.g.
``a(b(c)d)(a)``; the target at every character is the nesting depth after reading it (0 to
``MAX_DEPTH``). A small LSTM (embedding 8, 16 units) learns this in a few hundred Adam steps on
the CPU, and one of its cell-state units ends up tracking the depth (a "counting unit", the
kind Karpathy et al. found in LSTMs trained on code). The same architecture with an ``nn.RNN``
is trained on the same data, so the two can be compared (its gradients through time vanish).

Deterministic for a given seed (training runs with one CPU thread and a private RNG state;
the global torch RNG is left as it was). Float rounding still differs between CPUs, so the
default models (seed ``DEMO_SEED``, 16 units, 300 steps) are not trained at run time: their weights ship
with the package (see ``engine.pretrained``), the same model on every machine;
``pretrained=False`` trains them from scratch.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from . import pretrained as shipped_weights

#: Characters the demo models know: brackets and four letters.
VOCAB = "()abcd"
#: Deepest nesting in the training data (the models predict depths 0..MAX_DEPTH).
MAX_DEPTH = 4
EMBED = 8


def bracket_text(length: int, rng: np.random.Generator, max_depth: int = MAX_DEPTH) -> str:
    """Random text of brackets and letters whose nesting never exceeds ``max_depth``."""
    out = []
    depth = 0
    for _ in range(length):
        r = rng.random()
        if r < 0.3 and depth < max_depth:
            out.append("(")
            depth += 1
        elif r < 0.6 and depth > 0:
            out.append(")")
            depth -= 1
        else:
            out.append("abcd"[int(rng.integers(4))])
    return "".join(out)


def depths(text: str) -> np.ndarray:
    """Nesting depth after each character (an unmatched ')' at depth 0 leaves it at 0)."""
    out = np.zeros(len(text), dtype=np.int64)
    depth = 0
    for i, ch in enumerate(text):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth = max(0, depth - 1)
        out[i] = depth
    return out


def encode(text: str) -> torch.Tensor:
    """Token ids of ``text`` as a (1, T) int64 tensor; refuses characters outside ``VOCAB``."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    bad = sorted({ch for ch in text if ch not in VOCAB})
    if bad:
        raise ValueError(
            f"text has characters the demo model does not know: {''.join(bad)!r}; "
            f"use only {VOCAB!r}"
        )
    if not text:
        raise ValueError("text must hold at least one character")
    return torch.tensor([[VOCAB.index(ch) for ch in text]], dtype=torch.int64)


class CharModel(nn.Module):
    """Embedding → recurrent layer (``cell`` = "lstm", "gru" or "rnn") → linear head per step."""

    def __init__(self, cell: str = "lstm", hidden: int = 16, classes: int = MAX_DEPTH + 1) -> None:
        super().__init__()
        layers = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}
        if cell not in layers:
            raise ValueError(f"cell={cell!r}: choose one of {', '.join(layers)}")
        self.embed = nn.Embedding(len(VOCAB), EMBED)
        self.rnn = layers[cell](EMBED, hidden, batch_first=True)
        self.head = nn.Linear(hidden, classes)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        out, _ = self.rnn(self.embed(ids))
        return self.head(out)


@contextlib.contextmanager
def _one_thread() -> Iterator[None]:
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _dataset(seed: int, count: int, length: int) -> tuple[torch.Tensor, torch.Tensor]:
    rng = np.random.default_rng(seed)
    texts = [bracket_text(length, rng) for _ in range(count)]
    ids = torch.cat([encode(t) for t in texts])
    targets = torch.tensor(np.stack([depths(t) for t in texts]))
    return ids, targets


def _accuracy(model: nn.Module, ids: torch.Tensor, targets: torch.Tensor) -> float:
    with torch.no_grad():
        return float((model(ids).argmax(-1) == targets).float().mean())


@lru_cache(maxsize=8)
def _trained(cell: str, seed: int, hidden: int, steps: int) -> tuple[dict[str, torch.Tensor], float, float]:
    """(state dict, test accuracy, seconds) of a model trained on generated bracket texts."""
    train_ids, train_y = _dataset(seed, 512, 40)
    test_ids, test_y = _dataset(seed + 10_000, 32, 200)
    t0 = time.perf_counter()
    with _one_thread(), torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = CharModel(cell, hidden)
        opt = torch.optim.Adam(model.parameters(), lr=0.02)
        gen = torch.Generator().manual_seed(seed)
        for _ in range(steps):
            idx = torch.randint(0, len(train_ids), (32,), generator=gen)
            logits = model(train_ids[idx])
            loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), train_y[idx].reshape(-1))
            opt.zero_grad()
            loss.backward()
            opt.step()
        model.eval()
        acc = _accuracy(model, test_ids, test_y)
    seconds = time.perf_counter() - t0
    state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    return state, acc, seconds


#: Seed of the demo model (the one whose weights ship).
DEMO_SEED = 0
#: The settings whose trained weights ship with the package (dlwidgets/data/char_demo_*.npz).
PRETRAINED = {"seed": DEMO_SEED, "hidden": 16, "steps": 300}


def weights_name(cell: str) -> str:
    return f"char_demo_{cell}"


@lru_cache(maxsize=4)
def _shipped(cell: str) -> tuple[dict[str, torch.Tensor], float] | None:
    """(state dict, test accuracy) of the shipped ``cell`` model, None when not shipped."""
    loaded = shipped_weights.load(weights_name(cell))
    if loaded is None:
        return None
    state, meta = loaded
    return state, float(meta["accuracy"])


def trained_model(cell: str = "lstm", *, seed: int = DEMO_SEED, hidden: int = 16,
                  steps: int = 300, pretrained: bool = True) -> tuple[CharModel, float, float]:
    """A fresh copy of the demo model of kind ``cell`` and its test accuracy and training time.

    With ``pretrained`` (the default) the settings in ``PRETRAINED`` load the shipped weights
    (0 s of training); any other settings, or ``pretrained=False``, train (cached per process).
    """
    if not 1 <= hidden <= 256:
        raise ValueError(f"hidden must be in [1, 256], got {hidden}")
    if not 1 <= steps <= 5000:
        raise ValueError(f"steps must be in [1, 5000], got {steps}")
    shipped = _shipped(cell) if pretrained and {"seed": int(seed), "hidden": int(hidden),
                                                "steps": int(steps)} == PRETRAINED else None
    if shipped is not None:
        state, acc = shipped
        seconds = 0.0
    else:
        state, acc, seconds = _trained(cell, int(seed), int(hidden), int(steps))
    with torch.random.fork_rng(devices=[]):  # the initial weights are overwritten anyway
        model = CharModel(cell, hidden)
    model.load_state_dict(state)
    return model.eval(), acc, seconds


def counting_unit(cell_states: np.ndarray, text: str) -> tuple[int, float]:
    """The unit whose values (T, units) correlate best with the bracket depth, and r."""
    target = depths(text).astype(np.float64)
    values = np.asarray(cell_states, dtype=np.float64)
    if values.shape[0] != len(text):
        raise ValueError(f"cell_states has {values.shape[0]} steps but text has {len(text)}")
    if target.std() == 0:
        raise ValueError("the depth is constant in this text: nothing to correlate with")
    v = values - values.mean(0)
    d = target - target.mean()
    denom = np.sqrt((v * v).sum(0) * (d * d).sum())
    r = np.divide((v * d[:, None]).sum(0), denom, out=np.zeros(values.shape[1]), where=denom > 0)
    unit = int(np.argmax(np.abs(r)))
    return unit, float(r[unit])


def clamp_effect(model: CharModel, text: str, unit: int, start: int = 10) -> float:
    """Fraction of the model's predictions from ``start`` on that change when the cell state
    of ``unit`` is held at its value before ``start`` (how much the model relies on it)."""
    from .recurrent import Clamp, capture_input, model_output_with, recompute

    ids = encode(text)
    cap = capture_input(model, model.rnn, ids)
    held = recompute(model.rnn, cap.x, device="cpu").states["c"][0, 0, start - 1, 0, unit]
    clamped = recompute(model.rnn, cap.x, clamps=[Clamp("c", unit, float(held), start=start)],
                        device="cpu")
    out = model_output_with(model, model.rnn, ids, clamped)
    assert out is not None and cap.model_output is not None
    before = cap.model_output.argmax(-1)[0, start:]
    return float((out.argmax(-1)[0, start:] != before).float().mean())


def relied_on_unit(model: CharModel, text: str, cell_states: np.ndarray,
                   share: float = 0.9) -> tuple[int, float]:
    """The counting unit of ``model``: of the units whose cell state tracks the depth almost as
    well as the best one (|r| ≥ ``share`` × the best |r|), the one the model relies on most
    (``clamp_effect``), and its r. Several units often track the depth nearly equally well;
    which one correlates best by a hair says little, holding it fixed may change nothing."""
    best, best_r = counting_unit(cell_states, text)
    target = depths(text).astype(np.float64)
    values = np.asarray(cell_states, dtype=np.float64)
    r = np.array([np.corrcoef(values[:, u], target)[0, 1] if values[:, u].std() > 0 else 0.0
                  for u in range(values.shape[1])])
    candidates = [u for u in range(len(r)) if abs(r[u]) >= share * abs(best_r)]
    if len(text) <= 10 or len(candidates) == 1:
        return best, best_r
    unit = max(candidates, key=lambda u: (clamp_effect(model, text, u), abs(r[u])))
    return unit, float(r[unit])


@dataclass
class CharDemo:
    """The demo: trained LSTM and RNN models, a sample text, the tokenizer, what was found."""

    model: CharModel
    rnn_model: CharModel
    text: str
    accuracy: float
    rnn_accuracy: float
    counting_unit: int
    counting_r: float
    train_seconds: float

    vocab: str = VOCAB

    def tokenizer(self, text: str) -> torch.Tensor:
        """Character ids of ``text`` for the demo models, shape (1, T)."""
        return encode(text)

    @staticmethod
    def depths(text: str) -> np.ndarray:
        """The target the models learned: nesting depth after each character."""
        return depths(text)


def char_demo(seed: int = DEMO_SEED, *, hidden: int = 16, steps: int = 300, length: int = 60,
              pretrained: bool = True) -> CharDemo:
    """The bracket-depth LSTM and RNN: the shipped weights for the default settings, else
    trained (cached per process); ``pretrained=False`` always trains. See the module doc."""
    if not 8 <= length <= 1000:
        raise ValueError(f"length must be in [8, 1000], got {length}")
    from .recurrent import trace_recurrent

    lstm, acc, t_lstm = trained_model("lstm", seed=seed, hidden=hidden, steps=steps,
                                      pretrained=pretrained)
    rnn, rnn_acc, t_rnn = trained_model("rnn", seed=seed, hidden=hidden, steps=steps,
                                        pretrained=pretrained)
    rng = np.random.default_rng(seed + 20_000)
    text = bracket_text(length, rng)
    while depths(text).max() < 3:  # a sample that goes deep enough to show counting
        text = bracket_text(length, rng)
    with torch.no_grad():
        x = lstm.embed(encode(text))[0]
    trace = trace_recurrent(lstm.rnn, x, device="cpu")
    unit, r = relied_on_unit(lstm, text, trace.states["c"][0, 0])
    return CharDemo(model=lstm, rnn_model=rnn, text=text, accuracy=acc, rnn_accuracy=rnn_acc,
                    counting_unit=unit, counting_r=r, train_seconds=t_lstm + t_rnn)
