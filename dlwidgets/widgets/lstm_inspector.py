"""LSTM gate inspector: every gate and state of an nn.LSTM / nn.GRU / nn.RNN at every step.

The engine (``dlwidgets.engine.recurrent``) recomputes the layer from its own weights and
records the gates; all of it goes into synced state as binary arrays (heatmaps, the cell
diagram, text colouring, the unit search, playback and hover then work in the browser alone,
also in a static export). What needs torch comes back to Python: typing new text (through the
user's tokenizer), clamping a gate of a unit from a step on (the engine recomputes with the
clamp and the model's own head runs on the clamped states through a forward hook), and the
gradient through time ``||dh_T/dh_t||`` (autograd).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch
import traitlets as t
from torch import nn

from ..engine import recurrent as rec
from ..engine.recurrent import Clamp, RecurrentTrace
from ..engine.tensors import as_tensor, to_model
from ._base import DLWidget, bundle
from ._traits import Array, ArrayDict, array_dict_serialization

#: Default and hard limits on the number of time steps shown.
MAX_STEPS = 1000
MAX_STEPS_HARD = 5000
#: Largest trace (values over all recorded arrays) the widget sends to the browser.
MAX_TRACE_VALUES = 16_000_000
#: gradient="auto" computes the gradient through time up front when its cost (multiply-adds,
#: see ``gradient_cost``) stays below this: about a second or two on a laptop CPU.
GRADIENT_AUTO_BUDGET = 1_000_000_000

Tokenizer = Callable[[str], Any]

STATES = Array("float32", ndim=4)   # (layers L, directions D, T, units)
NORMS = Array("float32", ndim=3)    # (L, D, T)
OUTPUT = Array("float32", ndim=2)   # (T, k): the model's output per step
FINAL = Array("float32", ndim=1)    # a model output that is not per step, flattened

def gradient_cost(rnn: nn.RNNBase, steps: int) -> int:
    """Multiply-adds of the gradient through time of ``rnn`` over ``steps`` steps.

    One backward pass per output unit (H_out of them, per layer and direction), each through
    T steps of the recurrent product (gate rows × H_out, plus the LSTM projection): the cost
    grows with T·H³, not T·H.
    """
    dirs = 2 if rnn.bidirectional else 1
    proj = int(getattr(rnn, "proj_size", 0) or 0)
    h_out = proj or rnn.hidden_size
    gates = 4 if isinstance(rnn, nn.LSTM) else 3 if isinstance(rnn, nn.GRU) else 1
    per_step = gates * rnn.hidden_size * h_out + proj * rnn.hidden_size
    return rnn.num_layers * dirs * int(steps) * h_out * per_step



def _describe(rnn: nn.RNNBase, name: str, owner: nn.Module) -> str:
    kind = type(rnn).__name__
    parts = [f"{rnn.num_layers} layer{'s' if rnn.num_layers > 1 else ''}",
             f"{rnn.hidden_size} units", f"input {rnn.input_size}"]
    if rnn.bidirectional:
        parts.append("bidirectional")
    if getattr(rnn, "proj_size", 0):
        parts.append(f"proj_size {rnn.proj_size}")
    if not rnn.bias:
        parts.append("no bias")
    if isinstance(rnn, nn.RNN):
        parts.append(rnn.nonlinearity)
    where = f" '{name}' in {type(owner).__name__}" if name else ""
    return f"nn.{kind}{where} ({', '.join(parts)})"


def _per_step(out: torch.Tensor | None, steps: int) -> np.ndarray | None:
    """A model output as (T, outputs) when it has one row per step, else None."""
    if out is None or not out.is_floating_point():
        return None
    arr = out.detach().cpu().to(torch.float32).numpy()
    if steps == 1:
        return arr.reshape(1, -1)
    arr = np.squeeze(arr)
    if arr.ndim == 1 and arr.shape[0] == steps:
        return arr[:, None]
    if arr.ndim == 2 and arr.shape[0] == steps:
        return arr
    return None


def _final(out: torch.Tensor | None, limit: int = 1000) -> np.ndarray | None:
    """A model output that is not per step (e.g. class logits), flattened, if small enough."""
    if out is None or not out.is_floating_point() or out.numel() > limit:
        return None
    return out.detach().cpu().to(torch.float32).numpy().reshape(-1)


class _Prepared:
    """Everything derived from one input sequence (before any state is touched)."""

    def __init__(self, x: torch.Tensor, hx: Any, model_inputs: Any, outputs: np.ndarray | None,
                 output_label: str, output_note: str, tokens: list[str], text: str) -> None:
        self.x, self.hx, self.model_inputs = x, hx, model_inputs
        self.outputs, self.output_label, self.output_note = outputs, output_label, output_note
        self.tokens, self.text = tokens, text
        self.layer_x: torch.Tensor | None = None  # the layer's input as the model passed it
        self.final: np.ndarray | None = None  # the model's output when not one row per step


class LSTMInspector(DLWidget):
    """Gates and states of a recurrent layer over a sequence: heatmaps, cell diagram, text
    colouring, unit search, clamping interventions and gradient through time."""

    _esm = bundle("lstm_inspector")

    # computed by Python (read by the front end)
    info = t.Dict().tag(sync=True)
    tokens = t.List(t.Unicode()).tag(sync=True)
    # state name -> (L, D, T, units)
    trace_data = ArrayDict(values=STATES).tag(sync=True, **array_dict_serialization)
    # "h0", ("c0") -> (L, D, units)
    initial = ArrayDict(values=Array("float32", ndim=3)).tag(sync=True,
                                                             **array_dict_serialization)
    # {"y": (T, k), ("final": (k,))} or {}
    outputs = ArrayDict(fields={"y": OUTPUT, "final": FINAL}).tag(sync=True,
                                                                  **array_dict_serialization)
    # {"norms": (L, D, T), "compare": (L', D', T)}: ||dh_T/dh_t||
    gradient = ArrayDict(values=NORMS).tag(sync=True, **array_dict_serialization)
    clamp = t.Dict().tag(sync=True)          # the applied intervention, or {}
    # under the clamp: {"trace": {name: ...}, "outputs", "final", "gradient"} or {}
    clamped = ArrayDict(fields={"trace": ArrayDict(values=STATES), "outputs": OUTPUT,
                                "final": FINAL, "gradient": NORMS}).tag(
        sync=True, **array_dict_serialization)
    error = t.Unicode("").tag(sync=True)     # last refused request from the page
    text = t.Unicode("").tag(sync=True)      # current text when a tokenizer is given
    title = t.Unicode("").tag(sync=True)
    # view state (the front end may set these; all data for them is in state)
    layer = t.Int(0).tag(sync=True)
    direction = t.Int(0).tag(sync=True)
    unit = t.Int(0).tag(sync=True)
    step = t.Int(0).tag(sync=True)
    gate = t.Unicode("h").tag(sync=True)
    selection = t.List(t.Int(), default_value=[]).tag(sync=True)  # [start, stop) of tokens
    speed = t.Float(6.0).tag(sync=True)      # steps per second while playing

    def __init__(self, lstm: nn.Module, inputs: Any, tokens: Sequence[str] | None = None, *,
                 tokenizer: Tokenizer | None = None, compare: nn.Module | None = None,
                 compare_label: str | None = None, unit: int = 0, gate: str | None = None,
                 layer: int = 0, direction: int = 0, gradient: bool | str = "auto",
                 max_steps: int = MAX_STEPS, title: str | None = None,
                 device: str | torch.device | None = None) -> None:
        name, rnn = rec.find_recurrent(lstm)
        if tokenizer is not None and not callable(tokenizer):
            raise TypeError(f"tokenizer must be callable (str -> token ids), got {type(tokenizer).__name__}")
        if isinstance(max_steps, bool) or not isinstance(max_steps, (int, np.integer)):
            raise TypeError(f"max_steps must be an int, got {max_steps!r}")
        if not 1 <= int(max_steps) <= MAX_STEPS_HARD:
            raise ValueError(f"max_steps must be in [1, {MAX_STEPS_HARD}], got {max_steps}")
        if gradient not in ("auto", True, False):
            raise ValueError(f"gradient must be 'auto', True or False, got {gradient!r}")
        self._model = lstm
        self._rnn = rnn
        self._rnn_name = name
        self._tokenizer = tokenizer
        self._device = device
        self._max_steps = int(max_steps)
        self._gradient_mode = gradient
        self._mode = rec._mode(rnn)
        self._trace: RecurrentTrace | None = None
        self._clamped_trace: RecurrentTrace | None = None
        self._clamped_outputs: np.ndarray | None = None
        self._clamped_final: np.ndarray | None = None
        self._norms: np.ndarray | None = None
        self._clamped_norms: np.ndarray | None = None
        self._compare_norms: np.ndarray | None = None
        self._outputs: np.ndarray | None = None
        self._compare: tuple[nn.Module, str, nn.RNNBase, str] | None = None
        self._demo: Any = None  # the CharDemo behind LSTMInspector.demo()
        if compare is not None:
            try:
                cname, crnn = rec.find_recurrent(compare)
            except TypeError as exc:  # its message speaks of `lstm`
                raise TypeError(f"compare: {exc}") from None
            label = compare_label or _describe(crnn, cname, compare)
            self._compare = (compare, cname, crnn, label)
        prepared = self._prepare(inputs, tokens)
        super().__init__(title=title if title is not None else _describe(rnn, name, lstm))
        self._set_info_static()
        self._apply(prepared)
        state_names = list(self.info["state_names"])
        chosen = gate if gate is not None else ("c" if self._mode == "LSTM" else "h")
        if chosen not in state_names:
            raise ValueError(f"gate={chosen!r}; choose one of: {', '.join(state_names)}")
        self.layer = layer
        self.direction = direction
        self.gate = chosen
        self.unit = unit
        self.on_msg(self._on_request)

    # ------------------------------------------------------------------ inputs
    def _prepare(self, inputs: Any, tokens: Sequence[str] | None) -> _Prepared:
        """Resolve what reaches the recurrent layer; raises without touching state."""
        rnn, model = self._rnn, self._model
        text = ""
        if isinstance(inputs, str):
            if self._tokenizer is None:
                raise TypeError("inputs is a str but no tokenizer= was given to turn it into "
                                "token ids (e.g. tokenizer=demo.tokenizer)")
            text = inputs
            produced = self._tokenizer(text)
            if isinstance(produced, tuple) and len(produced) == 2:
                produced, tok = produced
                tokens = [str(s) for s in tok] if tokens is None else tokens
            model_inputs: Any = as_tensor(produced, "the tokenizer's output", sample_axis=False)
        else:
            model_inputs = as_tensor(inputs, "inputs", sample_axis=False)
        note = ""
        hx: Any = None
        model_out: torch.Tensor | None = None
        layer_x: torch.Tensor | None = None
        if model is rnn:
            x = rec.single_sequence(rnn, model_inputs)
            label = "layer output h (last layer)"
        else:
            try:
                cap = rec.capture_input(model, rnn, to_model(self._model, model_inputs))
            except Exception as exc:  # the model's own forward failed: feed the layer directly
                x, note = self._fallback(model_inputs, exc)
                label = "layer output h (last layer)"
            else:
                x = rec.single_sequence(rnn, cap.x)
                hx, model_out, layer_x = cap.hx, cap.model_output, cap.x
                label = "model output"
        steps = int(x.shape[0])
        if steps > self._max_steps:
            raise ValueError(
                f"inputs have T={steps} time steps; the inspector shows at most "
                f"max_steps={self._max_steps} (pass a shorter sequence such as "
                f"inputs[:{self._max_steps}], or raise max_steps up to {MAX_STEPS_HARD})"
            )
        final: np.ndarray | None = None
        if model_out is not None:
            outputs = _per_step(model_out, steps)
            if outputs is None:
                note = (f"the model's output has shape {tuple(model_out.shape)}, not one row per "
                        "step; the heat rows show the recurrent layer's output, the model's "
                        "output is shown as a whole")
                label = "layer output h (last layer)"
                final = _final(model_out)
        else:
            outputs = None
        if tokens is None:
            if text and len(text) == steps:
                tokens = list(text)
            elif not model_inputs.is_floating_point() and model_inputs.numel() == steps:
                tokens = [str(int(v)) for v in model_inputs.reshape(-1)]
            else:
                tokens = [str(i) for i in range(steps)]
        if isinstance(tokens, str) or not isinstance(tokens, Sequence):
            raise TypeError(f"tokens must be a list of strings, got {tokens!r:.60}")
        tokens = list(tokens)
        if len(tokens) != steps:
            raise ValueError(f"tokens has {len(tokens)} entries but the sequence has T={steps} steps")
        if not all(isinstance(s, str) for s in tokens):
            raise TypeError("tokens must be strings")
        self._check_size(steps)
        prepared = _Prepared(x, hx, model_inputs, outputs, label, note, tokens, text)
        prepared.layer_x = layer_x
        prepared.final = final
        return prepared

    def _fallback(self, model_inputs: torch.Tensor, exc: BaseException) -> tuple[torch.Tensor, str]:
        """model(inputs) failed: feed the layer directly (features) or through the model's
        first nn.Embedding (token ids)."""
        rnn = self._rnn
        why = f"model(inputs) failed ({type(exc).__name__}: {exc})"
        if model_inputs.is_floating_point():
            if model_inputs.shape[-1] != rnn.input_size:
                raise ValueError(
                    f"{why}; inputs have {model_inputs.shape[-1]} features per step but the "
                    f"recurrent layer '{self._rnn_name}' expects input_size={rnn.input_size}"
                ) from exc
            return rec.single_sequence(rnn, model_inputs), why + "; fed the inputs to the layer directly"
        embed = next((m for m in self._model.modules() if isinstance(m, nn.Embedding)), None)
        if embed is None or embed.embedding_dim != rnn.input_size:
            raise ValueError(
                f"{why}; inputs are token ids but the model has no nn.Embedding of size "
                f"{rnn.input_size} in front of its recurrent layer '{self._rnn_name}'"
            ) from exc
        ids = model_inputs.reshape(-1).to(embed.weight.device)
        if ids.numel() and (int(ids.min()) < 0 or int(ids.max()) >= embed.num_embeddings):
            raise ValueError(
                f"token ids must be in [0, {embed.num_embeddings - 1}], got "
                f"[{int(ids.min())}, {int(ids.max())}]"
            ) from exc
        with torch.no_grad():
            x = embed(ids)
        return rec.single_sequence(rnn, x), why + "; embedded the ids with its nn.Embedding"

    def _check_size(self, steps: int) -> None:
        rnn = self._rnn
        dirs = 2 if rnn.bidirectional else 1
        units = {"LSTM": 5 * rnn.hidden_size + (getattr(rnn, "proj_size", 0) or rnn.hidden_size),
                 "GRU": 4 * rnn.hidden_size}.get(self._mode, 2 * rnn.hidden_size)
        total = rnn.num_layers * dirs * steps * units
        if total > MAX_TRACE_VALUES:
            raise ValueError(
                f"the trace would hold {total:,} values ({rnn.num_layers} layers × {dirs} "
                f"directions × T={steps} × {units} per step), more than the {MAX_TRACE_VALUES:,} "
                "the inspector sends to a browser; pass a shorter sequence"
            )

    # ------------------------------------------------------------------ computation
    def _set_info_static(self) -> None:
        rnn = self._rnn
        names = list(rec.STATE_NAMES[rec.kind_of(rnn)])
        if getattr(rnn, "proj_size", 0):
            names.insert(names.index("h"), "m")
        self.info = {
            "kind": rec.kind_of(rnn), "nonlinearity": getattr(rnn, "nonlinearity", ""),
            "module_name": self._rnn_name, "owner": type(self._model).__name__,
            "description": _describe(rnn, self._rnn_name, self._model),
            "num_layers": rnn.num_layers, "num_directions": 2 if rnn.bidirectional else 1,
            "hidden_size": rnn.hidden_size, "proj_size": int(getattr(rnn, "proj_size", 0)),
            "input_size": rnn.input_size, "state_names": names,
            "clampable": {k: [lo, hi] for k, (lo, hi) in rec.CLAMP_RANGES[self._mode].items()},
            "has_tokenizer": self._tokenizer is not None,
            "max_steps": self._max_steps,
        }

    def _apply(self, p: _Prepared) -> None:
        """Compute the trace (and gradients) for a prepared input and publish everything."""
        trace = rec.trace_recurrent(self._rnn, p.x, p.hx, device=self._device)
        norms, grad_note = self._gradients(self._rnn, p.x, p.hx, ())
        compare_norms, compare_note = None, ""
        if self._compare is not None and norms is not None:
            compare_norms, compare_note = self._compare_gradients(p.model_inputs)
        self._prepared = p
        self._trace = trace
        self._outputs = p.outputs if p.outputs is not None else trace.output
        self._norms = norms
        self._compare_norms = compare_norms
        self._clamped_trace = None
        self._clamped_outputs = None
        self._clamped_final = None
        self._clamped_norms = None
        nonfinite = -1
        for arr in trace.states.values():
            bad = ~np.isfinite(arr)
            if bad.any():
                step = int(np.nonzero(bad.any(axis=(0, 1, 3)))[0][0])
                nonfinite = step if nonfinite < 0 else min(nonfinite, step)
        with self.hold_sync():
            self.info = {
                **self.info, "steps": trace.steps, "output_label": p.output_label,
                "output_note": p.output_note, "gradient_note": grad_note,
                "compare_label": self._compare[3] if self._compare is not None else "",
                "compare_note": compare_note, "nonfinite_step": nonfinite,
            }
            self.trace_data = dict(trace.states)
            self.initial = self._initial_state(p.hx)
            self.outputs = {"y": self._outputs,
                            **({"final": p.final} if p.final is not None else {})}
            grad: dict[str, Any] = {}
            if norms is not None:
                grad["norms"] = norms
            if compare_norms is not None:
                grad["compare"] = compare_norms
            self.gradient = grad
            self.clamp = {}
            self.clamped = {}
            self.tokens = p.tokens
            self.text = p.text
            self.step = min(self.step, trace.steps - 1)
            self.selection = []

    def _initial_state(self, hx: Any) -> dict[str, np.ndarray]:
        rnn = self._rnn
        dirs = 2 if rnn.bidirectional else 1
        h_units = getattr(rnn, "proj_size", 0) or rnn.hidden_size
        h0 = np.zeros((rnn.num_layers, dirs, h_units), np.float32)
        c0 = np.zeros((rnn.num_layers, dirs, rnn.hidden_size), np.float32)
        if hx is not None:
            if isinstance(rnn, nn.LSTM):
                h0 = hx[0].detach().cpu().float().numpy().reshape(h0.shape)
                c0 = hx[1].detach().cpu().float().numpy().reshape(c0.shape)
            else:
                h0 = hx.detach().cpu().float().numpy().reshape(h0.shape)
        out = {"h0": h0}
        if isinstance(rnn, nn.LSTM):
            out["c0"] = c0
        return out

    def _gradients(self, rnn: nn.RNNBase, x: torch.Tensor, hx: Any,
                   clamps: Sequence[Clamp]) -> tuple[np.ndarray | None, str]:
        cost = gradient_cost(rnn, int(x.shape[0]))
        if self._gradient_mode is False:
            return None, "gradient through time is off (gradient=False)"
        if self._gradient_mode == "auto" and cost > GRADIENT_AUTO_BUDGET:
            return None, (f"gradient through time not computed: about {cost:.2g} multiply-adds "
                          f"(H_out backward passes through T steps), over the "
                          f"{GRADIENT_AUTO_BUDGET:.0e} of gradient='auto' (pass gradient=True to "
                          "force)")
        norms = np.stack([rec.gradient_through_time(rnn, x, layer=layer, hx=hx, clamps=clamps,
                                                    device=self._device)
                          for layer in range(rnn.num_layers)])
        return norms.astype(np.float32), ""

    def _compare_gradients(self, model_inputs: torch.Tensor) -> tuple[np.ndarray | None, str]:
        assert self._compare is not None
        model, _, crnn, _ = self._compare
        try:
            if model is crnn:
                x, hx = rec.single_sequence(crnn, model_inputs), None
            else:
                cap = rec.capture_input(model, crnn, model_inputs)
                x, hx = rec.single_sequence(crnn, cap.x), cap.hx
            norms, note = self._gradients(crnn, x, hx, ())
            return norms, note
        except Exception as exc:  # shown beside the chart, never a crash of the main view
            return None, f"the comparison model could not run on these inputs ({type(exc).__name__}: {exc})"

    # ------------------------------------------------------------------ validation
    @t.validate("layer")
    def _check_layer(self, proposal: t.Bunch) -> int:
        value = int(proposal["value"])
        if not 0 <= value < self._rnn.num_layers:
            raise t.TraitError(f"layer must be in [0, {self._rnn.num_layers - 1}], got {value}")
        return value

    @t.validate("direction")
    def _check_direction(self, proposal: t.Bunch) -> int:
        value = int(proposal["value"])
        dirs = 2 if self._rnn.bidirectional else 1
        if not 0 <= value < dirs:
            raise t.TraitError(f"direction must be in [0, {dirs - 1}], got {value}")
        return value

    @t.validate("unit")
    def _check_unit(self, proposal: t.Bunch) -> int:
        value = int(proposal["value"])
        n = self._rnn.hidden_size
        if not 0 <= value < n:
            raise t.TraitError(f"unit must be in [0, {n - 1}], got {value}")
        return value

    @t.validate("step")
    def _check_step(self, proposal: t.Bunch) -> int:
        value = int(proposal["value"])
        n = self._trace.steps if self._trace is not None else 1
        if not 0 <= value < n:
            raise t.TraitError(f"step must be in [0, {n - 1}], got {value}")
        return value

    @t.validate("gate")
    def _check_gate(self, proposal: t.Bunch) -> str:
        value = str(proposal["value"])
        names = self.info.get("state_names", []) if self.info else []
        if names and value not in names:
            raise t.TraitError(f"gate={value!r}; choose one of: {', '.join(names)}")
        return value

    @t.validate("selection")
    def _check_selection(self, proposal: t.Bunch) -> list[int]:
        value = [int(v) for v in proposal["value"]]
        if not value:
            return []
        n = self._trace.steps if self._trace is not None else 0
        if len(value) != 2 or not 0 <= value[0] < value[1] <= n:
            raise t.TraitError(f"selection must be [start, stop) with 0 <= start < stop <= {n}, got {value}")
        return value

    @t.validate("speed")
    def _check_speed(self, proposal: t.Bunch) -> float:
        value = float(proposal["value"])
        if not (math.isfinite(value) and 0.2 <= value <= 120):
            raise t.TraitError(f"speed must be in [0.2, 120] steps per second, got {value}")
        return value

    # ------------------------------------------------------------------ requests from the page
    def _on_request(self, _widget: Any, content: dict[str, Any], _buffers: list[Any]) -> None:
        kind = content.get("type") if isinstance(content, dict) else None
        if kind not in ("text", "clamp", "clear_clamp"):
            return
        self.error = ""  # so that the same refusal twice is still a change the page sees
        try:
            if kind == "text":
                self.set_text(str(content.get("text", "")))
            elif kind == "clamp":
                self.clamp_gate(str(content.get("gate")), unit=int(content.get("unit", self.unit)),
                                value=float(content.get("value", 0.0)),
                                start=int(content.get("start", self.step)),
                                layer=int(content.get("layer", self.layer)),
                                direction=int(content.get("direction", self.direction)))
            else:
                self.clear_clamp()
        except (ValueError, TypeError, t.TraitError) as exc:
            self.error = str(exc)

    # ------------------------------------------------------------------ public API
    def set_inputs(self, inputs: Any, tokens: Sequence[str] | None = None) -> LSTMInspector:
        """Show a new input sequence (same rules as the constructor); clears any clamp."""
        self._apply(self._prepare(inputs, tokens))
        return self

    def set_text(self, text: str) -> LSTMInspector:
        """Tokenize ``text`` with the tokenizer given at construction and show its trace."""
        if self._tokenizer is None:
            raise TypeError("this inspector has no tokenizer: pass tokenizer= to LSTMInspector "
                            "to type text")
        if not isinstance(text, str) or not text:
            raise ValueError("text must be a non-empty string")
        return self.set_inputs(text)

    def clamp_gate(self, gate: str, unit: int | None = None, value: float = 1.0,
                   start: int | None = None, *, stop: int | None = None, layer: int | None = None,
                   direction: int | None = None) -> LSTMInspector:
        """Hold ``gate`` of ``unit`` at ``value`` from step ``start`` on and show the effect.

        The engine recomputes every state with the clamp; the model's output is recomputed by
        running the model with the layer's output replaced (a forward hook), and the gradient
        through time under the clamp. Defaults: the selected unit, layer, direction and step.
        """
        assert self._trace is not None
        clamp = Clamp(gate=gate, unit=self.unit if unit is None else int(unit), value=float(value),
                      start=self.step if start is None else int(start), stop=stop,
                      layer=self.layer if layer is None else int(layer),
                      direction=self.direction if direction is None else int(direction))
        rec.check_clamps(self._rnn, [clamp], self._trace.steps)
        p = self._prepared
        clamped = rec.trace_recurrent(self._rnn, p.x, p.hx, [clamp], device=self._device)
        outputs: np.ndarray | None = clamped.output
        final: np.ndarray | None = None
        if (p.outputs is not None or p.final is not None) and p.layer_x is not None:
            # the model's own output with the clamped layer inside (same layout as it passed)
            states = rec.recompute(self._rnn, p.layer_x, p.hx, [clamp], device=self._device)
            out = rec.model_output_with(self._model, self._rnn, to_model(self._model, p.model_inputs), states)
            if p.outputs is not None:
                outputs = _per_step(out, clamped.steps)
            else:
                final = _final(out)
        norms = None
        if self._norms is not None:
            norms, _ = self._gradients(self._rnn, p.x, p.hx, [clamp])
        self._clamped_trace = clamped
        self._clamped_outputs = outputs
        self._clamped_final = final
        self._clamped_norms = norms
        payload: dict[str, Any] = {"trace": dict(clamped.states)}
        if outputs is not None:
            payload["outputs"] = outputs
        if final is not None:
            payload["final"] = final
        if norms is not None:
            payload["gradient"] = norms
        with self.hold_sync():
            self.clamp = {"gate": clamp.gate, "unit": clamp.unit, "value": clamp.value,
                          "start": clamp.start, "stop": clamp.stop, "layer": clamp.layer,
                          "direction": clamp.direction}
            self.clamped = payload
        return self

    def clear_clamp(self) -> LSTMInspector:
        """Remove the intervention."""
        self._clamped_trace = None
        self._clamped_outputs = None
        self._clamped_final = None
        self._clamped_norms = None
        with self.hold_sync():
            self.clamp = {}
            self.clamped = {}
        return self

    def search_units(self, start: int | None = None, stop: int | None = None,
                     gate: str | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Units ranked by mean activation inside steps [start, stop) minus outside (of the
        selected gate, layer and direction); defaults to the selection made in the text."""
        if start is None or stop is None:
            if not self.selection:
                raise ValueError("no selection: pass start and stop, or select text in the widget")
            start, stop = self.selection
        values = self.trace[gate or self.gate][self.layer, self.direction]
        return rec.rank_units(values, int(start), int(stop))

    # reading results --------------------------------------------------------------------
    @property
    def module_name(self) -> str:
        """Name of the inspected layer inside the model ('' when the layer itself was given)."""
        return self._rnn_name

    @property
    def recurrent_layer(self) -> nn.RNNBase:
        """The nn.LSTM / nn.GRU / nn.RNN that is inspected."""
        return self._rnn

    @property
    def trace(self) -> dict[str, np.ndarray]:
        """Every recorded array, float32, shape (num_layers, num_directions, T, units).

        LSTM: input, forget, cell (candidate g), output, c, h (and m = o*tanh(c) when
        proj_size > 0); GRU: reset, update, new, h; RNN: pre (pre-activation), h.
        """
        assert self._trace is not None
        return {k: v.copy() for k, v in self._trace.states.items()}

    @property
    def engine_trace(self) -> RecurrentTrace:
        """The engine's trace object (with output, h_n, c_n as the module returns them)."""
        assert self._trace is not None
        return self._trace

    @property
    def clamped_trace(self) -> dict[str, np.ndarray] | None:
        """The trace under the current clamp (None without one)."""
        if self._clamped_trace is None:
            return None
        return {k: v.copy() for k, v in self._clamped_trace.states.items()}

    @property
    def model_outputs(self) -> np.ndarray:
        """(T, k): the model's output per step (or the layer's output for a bare layer)."""
        assert self._outputs is not None
        return self._outputs.copy()

    @property
    def final_output(self) -> np.ndarray | None:
        """The model's output flattened, when it is not one row per step (e.g. class logits)."""
        f = self._prepared.final
        return None if f is None else f.copy()

    @property
    def clamped_final_output(self) -> np.ndarray | None:
        """The same under the current clamp (None without one)."""
        return None if self._clamped_final is None else self._clamped_final.copy()

    @property
    def clamped_outputs(self) -> np.ndarray | None:
        """The model's output per step under the current clamp (None without one)."""
        return None if self._clamped_outputs is None else self._clamped_outputs.copy()

    @property
    def gradient_norms(self) -> np.ndarray | None:
        """||dh_T/dh_t||_F, shape (num_layers, num_directions, T) (None when not computed)."""
        return None if self._norms is None else self._norms.copy()

    @property
    def compare_gradient_norms(self) -> np.ndarray | None:
        """The same for the ``compare=`` model (None without one)."""
        return None if self._compare_norms is None else self._compare_norms.copy()

    @property
    def clamped_gradient_norms(self) -> np.ndarray | None:
        """Gradient norms under the current clamp (None without one)."""
        return None if self._clamped_norms is None else self._clamped_norms.copy()

    @property
    def steps(self) -> int:
        """Number of time steps T."""
        assert self._trace is not None
        return self._trace.steps

    # ------------------------------------------------------------------ the built-in demo
    @classmethod
    def demo(cls, seed: int | None = None, text: str | None = None, *, pretrained: bool = True,
             **kwargs: Any) -> LSTMInspector:
        """The bracket-depth demo: a char LSTM (weights shipped with the package for the default
        seed, ``char_demo.DEMO_SEED``;
        ``pretrained=False`` or another seed trains it, in seconds), its counting unit selected,
        the same task's nn.RNN as the gradient comparison, text editable (characters '()abcd')."""
        from ..engine.char_demo import DEMO_SEED, char_demo

        d = char_demo(DEMO_SEED if seed is None else seed, pretrained=pretrained)
        kwargs.setdefault("unit", d.counting_unit)
        kwargs.setdefault("gate", "c")
        kwargs.setdefault("title", f"Bracket-depth char LSTM (demo, test accuracy "
                                   f"{d.accuracy:.1%}; unit {d.counting_unit} counts depth, "
                                   f"r = {d.counting_r:+.2f})")
        kwargs.setdefault("compare_label", f"nn.RNN on the same task (accuracy {d.rnn_accuracy:.1%})")
        widget = cls(d.model, text if text is not None else d.text, tokenizer=d.tokenizer,
                     compare=d.rnn_model, **kwargs)
        widget._demo = d
        return widget
