"""Meaning of a parsed declaration: arguments bound, shapes inferred and checked, parameters
counted. The result, a ``ModelSpec``, is what the builder turns into modules and what the
summary shows; built models carry it as ``model.dl_spec``.
"""

from __future__ import annotations

import math
from typing import Any

import torch.nn as nn

from ..suggest import closest
from . import layers as L
from .checks import check
from .errors import DSLError
from .layers import (
    ACTIVATION_NAMES,
    REGISTRY,
    REQUIRED,
    Activation,
    ArgError,
    Embedding,
    InitSpec,
    Layer,
    LayerError,
    P,
    Shape,
    fmt,
    fmt_size,
    init_spec,
)

# SpecWarning and LOSS_MODULES are re-exported: pickles of models built before nodes.py existed
# (torch.save keeps model.dl_spec) name their classes as dlwidgets.dsl.spec.*
from .nodes import LOSS_MODULES, LOSSES, ModelSpec, SpecNode, SpecWarning  # noqa: F401
from .parser import Item, Statement, Value, parse

DEFAULT_MAX_PARAMS = 1_000_000_000
MAX_NODES = 10_000
MAX_REPEAT = 1000

PARTS = ("encoder", "decoder", "generator", "discriminator")
KEYWORDS = ("input", "loss", "seed", "latent", "repeat", "block", "residual", "shortcut", *PARTS)

# Attribute names an nn.Module already has: a layer may not be named like them.
_RESERVED = set(dir(nn.Sequential)) | {"dl_spec", "training", "encoder", "decoder"}


class _Scope:
    """Module names inside one ``nn.Sequential`` being declared."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.names: list[str] = []

    def take(self, explicit: str | None = None) -> tuple[str, str]:
        name = explicit if explicit is not None else str(len(self.names))
        if name in self.names:
            raise KeyError(name)
        self.names.append(name)
        return name, self.prefix + name


class Analyzer:
    """Walks the statements with the current shape, building ``SpecNode``s."""

    def __init__(self, source: str, max_params: int = DEFAULT_MAX_PARAMS) -> None:
        self.source = source
        self.max_params = max_params
        self.total = 0
        self.count_nodes = 0
        self.prev: str | None = None

    # ------------------------------------------------------------ errors
    def err(self, message: str, line: int, column: int, width: int = 1, *,
            hint: str | None = None, suggestion: str | None = None) -> DSLError:
        return DSLError(message, line, column, width=width, hint=hint, suggestion=suggestion)

    def at_stmt(self, st: Statement, message: str, hint: str | None = None) -> DSLError:
        return self.err(message, st.line, st.col, st.width, hint=hint)

    def at_value(self, v: Value | Item, message: str, hint: str | None = None) -> DSLError:
        return self.err(message, v.line, v.col, v.width, hint=hint)

    def unknown(self, st: Statement, where: str = "") -> DSLError:
        word = st.name
        pool = list(REGISTRY) + list(KEYWORDS)
        near = closest(word, pool)
        if where == "input":
            return self.at_stmt(st, f"unknown layer {word!r}",
                                hint="a model starts with its input shape, e.g. 'input 1x28x28'"
                                ) if near != "input" else self.err(
                f"unknown layer {word!r}", st.line, st.col, st.width, suggestion=near)
        return self.err(f"unknown layer {word!r}", st.line, st.col, st.width, suggestion=near,
                        hint=None if near else "see docs/dsl.md for the layers the DSL knows")

    # ------------------------------------------------------------ top level
    def analyze(self, statements: list[Statement]) -> ModelSpec:
        if not statements:
            raise self.err("the model is empty: start with its input, e.g. 'input 784'", 1, 1)
        input_st: Statement | None = None
        loss: tuple[str, int] | None = None
        seed: int | None = None
        latent_st: Statement | None = None
        parts: dict[str, Statement] = {}
        body: list[Statement] = []
        for st in statements:
            word = st.name.lower()
            if word == "input":
                if input_st is not None:
                    raise self.at_stmt(st, "the input is declared twice",
                                       hint=f"the first 'input' is on line {input_st.line}")
                if body or parts:
                    raise self.at_stmt(st, "'input' must come before the layers")
                input_st = st
            elif word == "loss":
                loss = (self.loss_of(st), st.line)
            elif word == "seed":
                seed = self.seed_of(st)
            elif word == "latent":
                if latent_st is not None:
                    raise self.at_stmt(st, "'latent' is declared twice")
                latent_st = st
            elif word in PARTS:
                if st.body is None:
                    raise self.at_stmt(st, f"'{word}' needs a block: '{word}:' followed by "
                                       "indented layers")
                if st.items:
                    raise self.at_value(st.items[0], f"'{word}:' takes no arguments")
                if word in parts:
                    raise self.at_stmt(st, f"'{word}' is declared twice")
                parts[word] = st
            else:
                if input_st is None:
                    if word in REGISTRY or word in ("repeat", "block", "residual"):
                        raise self.at_stmt(st, "the model needs its input shape before the "
                                           "first layer", hint="add a first line such as "
                                           "'input 784' or 'input 1x28x28'")
                    raise self.unknown(st, "input")
                body.append(st)
        if input_st is None:
            first = statements[0]
            raise self.at_stmt(first, "the model needs an 'input' line",
                               hint="e.g. 'input 784' or 'input 1x28x28'")
        in_shape, dtype = self.input_of(input_st)
        if not parts:
            if latent_st is not None:
                raise self.at_stmt(latent_st, "'latent' belongs to a VAE (between 'encoder:' "
                                   "and 'decoder:') or a GAN (with 'generator:')")
            nodes, out, _ = self.sequence(body, in_shape, dtype, _Scope(""), 0)
            spec = ModelSpec("sequential", in_shape, dtype, out, nodes)
        else:
            if body:
                names = " or ".join(f"'{p}:'" for p in PARTS if p in parts)
                raise self.at_stmt(body[0], f"in a model made of parts, layers go inside {names}")
            spec = self.composite(parts, latent_st, in_shape, dtype)
        spec.seed = seed
        if loss is not None:
            spec.loss, spec.loss_line = loss
        spec.source = self.source
        return spec

    def input_of(self, st: Statement) -> tuple[Shape, str]:
        if st.body is not None:
            raise self.at_stmt(st, "'input' takes no block")
        shape: Shape | None = None
        dtype = "float32"
        for item in st.items:
            v = item.value
            if item.key is not None:
                raise self.at_value(item, f"'input' has no option {item.key!r}",
                                    hint="write 'input 1x28x28', 'input 784' or 'input 50 tokens'")
            if v.kind in ("int", "size") and shape is None:
                shape = (v.value,) if v.kind == "int" else tuple(v.value)
                if any(not 1 <= s <= 10_000_000 for s in shape):
                    raise self.at_value(v, f"every input dimension must be between 1 and "
                                        f"10,000,000, got {v.text}")
                if len(shape) > 3:
                    raise self.at_value(v, f"input {v.text} has {len(shape)} dimensions; the DSL "
                                        "takes up to 3 (channels x height x width)",
                                        hint="leave out the batch dimension")
                if math.prod(shape) > 1_000_000_000:
                    raise self.at_value(v, f"input {v.text} is too large")
            elif v.kind == "name" and v.value.lower() in ("tokens", "ids", "int", "long"):
                dtype = "int64"
            elif v.kind == "name" and v.value.lower() in ("float", "float32"):
                dtype = "float32"
            else:
                raise self.at_value(v, f"unexpected {v.text!r} in 'input'",
                                    hint="write 'input 1x28x28', 'input 784' or 'input 50 tokens'")
        if shape is None:
            raise self.at_stmt(st, "'input' needs a shape, e.g. 'input 784' or 'input 1x28x28'")
        if dtype == "int64" and len(shape) != 1:
            raise self.at_stmt(st, "token input must be 1-D: 'input T tokens' (T ids per sample)")
        return shape, dtype

    def single(self, st: Statement, what: str) -> Value:
        if st.body is not None:
            raise self.at_stmt(st, f"'{st.name}' takes no block")
        if len(st.items) != 1 or st.items[0].key is not None:
            raise self.at_stmt(st, f"'{st.name}' takes one value: {what}")
        return st.items[0].value

    def loss_of(self, st: Statement) -> str:
        v = self.single(st, "the loss name, e.g. 'loss cross_entropy'")
        word = str(v.value).lower() if v.kind == "name" else v.text
        if word not in LOSSES:
            raise self.err(f"unknown loss {v.text!r}", v.line, v.col, v.width,
                           suggestion=closest(word, LOSSES),
                           hint="losses: " + ", ".join(sorted(set(LOSSES.values()))))
        return LOSSES[word]

    def seed_of(self, st: Statement) -> int:
        v = self.single(st, "a whole number, e.g. 'seed 0'")
        if v.kind != "int" or not 0 <= v.value < 2**63:
            raise self.at_value(v, f"seed must be a whole number >= 0, got {v.text!r}")
        return int(v.value)

    # ------------------------------------------------------------ composite models
    def part(self, parts: dict[str, Statement], name: str, shape: Shape, dtype: str
             ) -> tuple[SpecNode, Shape]:
        st = parts[name]
        assert st.body is not None
        if not st.body:
            raise self.at_stmt(st, f"'{name}:' is empty")
        self.prev = None
        nodes, out, _ = self.sequence(st.body, shape, dtype, _Scope(name + "."), 1)
        node = SpecNode(name, name.capitalize(), name, name, shape, out,
                        sum(n.params for n in nodes), st.line, st.col, st.text.strip(),
                        children=nodes)
        return node, out

    def composite(self, parts: dict[str, Statement], latent_st: Statement | None,
                  in_shape: Shape, dtype: str) -> ModelSpec:
        have = set(parts)
        first = min(parts.values(), key=lambda s: s.line)
        if have & {"encoder", "decoder"} and have & {"generator", "discriminator"}:
            raise self.at_stmt(first, "a model is either an autoencoder (encoder/decoder) or a "
                               "GAN (generator/discriminator), not both")
        latent: int | None = None
        if latent_st is not None:
            v = self.single(latent_st, "the latent size, e.g. 'latent 16'")
            if v.kind != "int" or not 1 <= v.value <= 100_000:
                raise self.at_value(v, f"latent size must be a whole number from 1 to 100,000, "
                                    f"got {v.text!r}")
            latent = int(v.value)
        if have & {"encoder", "decoder"}:
            for need in ("encoder", "decoder"):
                if need not in have:
                    raise self.at_stmt(first, f"an autoencoder needs both 'encoder:' and "
                                       f"'decoder:'; '{need}:' is missing")
            enc, h = self.part(parts, "encoder", in_shape, dtype)
            nodes = [enc]
            if latent is None:
                kind = "autoencoder"
                code = h
            else:
                assert latent_st is not None
                kind = "vae"
                if len(h) != 1:
                    raise self.at_stmt(latent_st, f"'latent' needs a feature vector from the "
                                       f"encoder, got {fmt(h)}",
                                       hint="end the encoder with 'flatten'")
                f = h[0]
                count = f * latent + latent
                self.add_params(2 * count, latent_st)
                mu = SpecNode("dense", f"Linear({f}→{latent})", "fc_mu", "fc_mu", h, (latent,),
                              count, latent_st.line, latent_st.col, latent_st.text.strip(),
                              args={"units": latent, "bias": True}, role="mu",
                              layer=REGISTRY["dense"])
                logvar = SpecNode("dense", f"Linear({f}→{latent})", "fc_logvar", "fc_logvar", h,
                                  (latent,), count, latent_st.line, latent_st.col,
                                  latent_st.text.strip(), args={"units": latent, "bias": True},
                                  role="logvar", layer=REGISTRY["dense"])
                nodes.append(SpecNode("latent", f"Gaussian latent ({latent})", "", "", h,
                                      (latent,), 2 * count, latent_st.line, latent_st.col,
                                      latent_st.text.strip(), children=[mu, logvar]))
                code = (latent,)
            dec, out = self.part(parts, "decoder", code, "float32")
            nodes.append(dec)
            if out != in_shape:
                hint = None
                if math.prod(out) == math.prod(in_shape):
                    hint = f"end the decoder with 'reshape {fmt_size(in_shape)}'"
                raise self.at_stmt(parts["decoder"], f"the decoder gives {fmt(out)} but the input "
                                   f"is {fmt(in_shape)}; they must match", hint=hint)
            spec = ModelSpec(kind, in_shape, dtype, out, nodes, latent_dim=latent)
            return spec
        for need in ("generator", "discriminator"):
            if need not in have:
                raise self.at_stmt(first, f"a GAN needs both 'generator:' and 'discriminator:'; "
                                   f"'{need}:' is missing")
        if latent is None:
            raise self.at_stmt(parts["generator"], "a GAN needs the size of its noise input",
                               hint="add a line such as 'latent 64' before 'generator:'")
        if dtype != "float32":
            raise self.at_stmt(parts["generator"], "a GAN generates float samples; the input "
                               "cannot be tokens")
        gen, out = self.part(parts, "generator", (latent,), "float32")
        if out != in_shape:
            hint = None
            if math.prod(out) == math.prod(in_shape):
                hint = f"end the generator with 'reshape {fmt_size(in_shape)}'"
            raise self.at_stmt(parts["generator"], f"the generator gives {fmt(out)} but the data "
                               f"(input) is {fmt(in_shape)}; they must match", hint=hint)
        disc, _ = self.part(parts, "discriminator", in_shape, dtype)
        return ModelSpec("gan", in_shape, dtype, out, [gen, disc], latent_dim=latent)

    # ------------------------------------------------------------ sequences
    def add_params(self, n: int, st: Statement) -> None:
        self.total += n
        if self.total > self.max_params:
            raise self.at_stmt(st, f"the model would have more than {self.max_params:,} "
                               f"parameters (at least {self.total:,}, "
                               f"{self.total * 4 / 1e9:.1f} GB as float32)",
                               hint="make it smaller, or pass max_params= to build() if you mean it")

    def new_node(self, st: Statement) -> None:
        self.count_nodes += 1
        if self.count_nodes > MAX_NODES:
            raise self.at_stmt(st, f"the model has more than {MAX_NODES:,} layers")

    def take(self, scope: _Scope, st: Statement, explicit: str | None = None,
             where: Item | None = None) -> tuple[str, str]:
        try:
            return scope.take(explicit)
        except KeyError:
            target: Any = where if where is not None else st
            raise self.err(f"the name {explicit!r} is used twice in this block", target.line,
                           target.col, target.width) from None

    def sequence(self, stmts: list[Statement], shape: Shape, dtype: str, scope: _Scope,
                 depth: int) -> tuple[list[SpecNode], Shape, str]:
        nodes: list[SpecNode] = []
        for st in stmts:
            made, shape, dtype = self.statement(st, shape, dtype, scope, depth)
            nodes.extend(made)
        return nodes, shape, dtype

    def statement(self, st: Statement, shape: Shape, dtype: str, scope: _Scope, depth: int
                  ) -> tuple[list[SpecNode], Shape, str]:
        word = st.name.lower()
        self.new_node(st)
        if word in ("input", "loss", "seed", "latent", *PARTS):
            raise self.at_stmt(st, f"'{word}' belongs at the top level of the model, "
                               "not inside a block")
        if word == "shortcut":
            raise self.at_stmt(st, "'shortcut:' goes inside a 'residual:' block")
        if word == "repeat":
            return self.repeat(st, shape, dtype, scope, depth)
        if word == "block":
            return self.block(st, shape, dtype, scope, depth)
        if word == "residual":
            return self.residual(st, shape, dtype, scope, depth)
        layer = REGISTRY.get(word)
        if layer is None:
            raise self.unknown(st)
        if st.body is not None:
            raise self.err(f"'{st.name}' takes no block", st.line, st.colon_col or st.col,
                           hint="only repeat, block, residual and the model parts open blocks")
        return self.layer_statement(st, layer, shape, dtype, scope)

    def block_body(self, st: Statement) -> list[Statement]:
        if st.body is None:
            raise self.at_stmt(st, f"'{st.name}' needs a block: end the line with ':' and indent "
                               "the layers below it")
        if not st.body:  # pragma: no cover - the parser never gives an empty body
            raise self.at_stmt(st, f"'{st.name}:' is empty")
        return st.body

    def repeat(self, st: Statement, shape: Shape, dtype: str, scope: _Scope, depth: int
               ) -> tuple[list[SpecNode], Shape, str]:
        body = self.block_body(st)
        if len(st.items) != 1 or st.items[0].key is not None or st.items[0].value.kind != "int":
            raise self.at_stmt(st, "'repeat' takes how many times, e.g. 'repeat 3:'")
        count = st.items[0].value.value
        if not 1 <= count <= MAX_REPEAT:
            raise self.at_value(st.items[0], f"repeat count must be between 1 and {MAX_REPEAT}, "
                                f"got {count}")
        start = shape
        children: list[SpecNode] = []
        for _ in range(count):
            made, shape, dtype = self.sequence(body, shape, dtype, scope, depth + 1)
            children.extend(made)
        node = SpecNode("repeat", f"repeat ×{count}", "", "", start, shape,
                        sum(c.params for c in children), st.line, st.col, st.text.strip(),
                        args={"count": count}, children=children)
        return [node], shape, dtype

    def block_name(self, st: Statement) -> tuple[str | None, Item | None]:
        explicit: str | None = None
        where: Item | None = None
        for item in st.items:
            v = item.value
            if (item.key is None and v.kind == "name") or (item.key == "name" and
                                                          v.kind == "name"):
                if explicit is not None:
                    raise self.at_value(item, "a block has one name")
                explicit, where = str(v.value), item
            else:
                raise self.at_value(item, f"unexpected {v.text!r}: a block takes only a name, "
                                    "e.g. 'block features:'")
        if explicit is not None:
            self.check_name(explicit, where)
        return explicit, where

    def check_name(self, name: str, where: Item | Value | None) -> None:
        if name in _RESERVED or name.startswith("_"):
            pos: Any = where
            raise self.err(f"{name!r} cannot name a layer (torch modules use that name)",
                           pos.line, pos.col, pos.width, hint="choose another name")

    def block(self, st: Statement, shape: Shape, dtype: str, scope: _Scope, depth: int
              ) -> tuple[list[SpecNode], Shape, str]:
        body = self.block_body(st)
        explicit, where = self.block_name(st)
        name, path = self.take(scope, st, explicit, where)
        nodes, out, dtype = self.sequence(body, shape, dtype, _Scope(path + "."), depth + 1)
        node = SpecNode("block", "block", name, path, shape, out,
                        sum(n.params for n in nodes), st.line, st.col, st.text.strip(),
                        children=nodes)
        return [node], out, dtype

    def residual(self, st: Statement, shape: Shape, dtype: str, scope: _Scope, depth: int
                 ) -> tuple[list[SpecNode], Shape, str]:
        body = self.block_body(st)
        if dtype != "float32":
            raise self.at_stmt(st, "a residual block needs float input, not token ids",
                               hint="start with 'embedding VOCAB DIM'")
        explicit: str | None = None
        where: Item | None = None
        act: tuple[Activation, dict[str, Any], Value] | None = None
        for item in st.items:
            v = item.value
            if item.key == "name" and v.kind == "name":
                explicit, where = str(v.value), item
                self.check_name(explicit, item)
            elif item.key is None and v.kind in ("name", "call") and \
                    str(v.value).lower() in ACTIVATION_NAMES:
                if act is not None:
                    raise self.at_value(item, "a residual block takes one activation")
                act = self.activation_of(v)
            else:
                near = closest(str(v.value), ACTIVATION_NAMES) if v.kind == "name" else None
                raise self.err(f"unexpected {item.key + '=' if item.key else ''}{v.text!r} in "
                               "'residual'", item.line, item.col, item.width, suggestion=near,
                               hint="write 'residual:' or 'residual relu:' (activation after "
                                    "the addition)")
        shortcuts = [s for s in body if s.name.lower() == "shortcut"]
        main = [s for s in body if s.name.lower() != "shortcut"]
        if len(shortcuts) > 1:
            raise self.at_stmt(shortcuts[1], "a residual block has at most one 'shortcut:'")
        if not main:
            raise self.at_stmt(st, "the residual block has no layers besides its shortcut")
        name, path = self.take(scope, st, explicit, where)
        nodes, out, _ = self.sequence(main, shape, dtype, _Scope(path + ".body."), depth + 1)
        children = list(nodes)
        if shortcuts:
            sc = shortcuts[0]
            sc_body = self.block_body(sc)
            if sc.items:
                raise self.at_value(sc.items[0], "'shortcut:' takes no arguments")
            sc_nodes, sc_out, _ = self.sequence(sc_body, shape, dtype,
                                                _Scope(path + ".shortcut."), depth + 1)
            if sc_out != out:
                raise self.at_stmt(sc, f"the shortcut gives {fmt(sc_out)} but the residual "
                                   f"branch gives {fmt(out)}; they must match to be added")
            children.append(SpecNode("shortcut", "shortcut", "shortcut", path + ".shortcut",
                                     shape, sc_out, sum(n.params for n in sc_nodes), sc.line,
                                     sc.col, sc.text.strip(), children=sc_nodes, role="shortcut"))
        elif out != shape:
            hint = f"add a 'shortcut:' block inside it that maps {fmt(shape)} to {fmt(out)}"
            if len(out) == 3 and len(shape) == 3:
                stride = max(1, shape[1] // out[1]) if out[1] else 1
                hint += (f", e.g. 'conv {out[0]} 1x1" + (f" stride={stride}" if stride > 1 else "")
                         + " bias=false' and 'batchnorm'")
            raise self.at_stmt(st, f"the residual branch changes the shape {fmt(shape)} to "
                               f"{fmt(out)}, so the input cannot be added back", hint=hint)
        if act is not None:
            layer, args, v = act
            children.append(SpecNode(layer.kind, layer.label(args, out), "act", path + ".act",
                                     out, out, 0, v.line, v.col, st.text.strip(), args=args,
                                     role="post", layer=layer))
        node = SpecNode("residual", "residual" + (f" + {act[0].kind}" if act else ""), name,
                        path, shape, out, sum(c.params for c in children), st.line, st.col,
                        st.text.strip(), children=children)
        return [node], out, dtype

    # ------------------------------------------------------------ layers
    def activation_of(self, v: Value) -> tuple[Activation, dict[str, Any], Value]:
        layer = ACTIVATION_NAMES[str(v.value).lower()]
        items = [Item(a.key, a.value, a.line, a.col) for a in v.args]
        args, _, _, _ = self.bind(layer, items, v.line, v.col, str(v.value), allow_act=False)
        return layer, args, v

    def convert(self, p: P, item: Item) -> Any:
        try:
            return p.convert(item.value, p.name)
        except ArgError as e:
            raise self.err(e.message, item.value.line, item.value.col, item.value.width,
                           hint=e.hint) from None

    def bind(self, layer: Layer, items: list[Item], line: int, col: int, typed: str,
             allow_act: bool = True
             ) -> tuple[dict[str, Any], tuple[Activation, dict[str, Any], Value] | None,
                        InitSpec | None, tuple[str, Item] | None]:
        args: dict[str, Any] = {}
        given: dict[str, Item] = {}
        act: tuple[Activation, dict[str, Any], Value] | None = None
        init: InitSpec | None = None
        name: tuple[str, Item] | None = None
        positional = [p for p in layer.params if p.positional]
        pos_index = 0
        for item in items:
            v = item.value
            if item.key is not None:
                key = item.key.lower()
                if key == "name":
                    if v.kind != "name":
                        raise self.at_value(v, f"name must be a word, got {v.text!r}")
                    if name is not None:
                        raise self.at_value(item, "the name is given twice")
                    self.check_name(str(v.value), item)
                    name = (str(v.value), item)
                    continue
                if key == "init" and layer.has_weights:
                    try:
                        init = init_spec(v)
                    except ArgError as e:
                        raise self.at_value(v, e.message, hint=e.hint) from None
                    continue
                p = layer.param(key)
                if p is None:
                    options = [q.name for q in layer.params] + ["name"] + (
                        ["init"] if layer.has_weights else [])
                    near = closest(key, options + [a for q in layer.params for a in q.aliases])
                    if near is not None and layer.param(near) is not None:
                        near = layer.param(near).name  # type: ignore[union-attr]
                    raise self.err(f"{typed} has no option {item.key!r}", item.line, item.col,
                                   len(item.key), suggestion=near,
                                   hint=None if near else f"usage: {layer.usage}")
                if p.name in given:
                    raise self.err(f"{p.name} is given twice", item.line, item.col, item.width)
                args[p.name] = self.convert(p, item)
                given[p.name] = item
                continue
            if v.kind in ("name", "call"):
                word = str(v.value).lower()
                if v.kind == "name" and word in layer.flags:
                    p = layer.param(word)
                    assert p is not None
                    if p.name in given:
                        raise self.err(f"{p.name} is given twice", item.line, item.col, item.width)
                    args[p.name] = True
                    given[p.name] = item
                    continue
                if word in ACTIVATION_NAMES and allow_act and layer.takes_activation:
                    if act is not None:
                        raise self.at_value(v, f"{typed} already has the activation "
                                            f"'{act[2].text}'")
                    act = self.activation_of(v)
                    continue
                if word in ACTIVATION_NAMES and not layer.is_activation:
                    raise self.at_value(v, f"{typed} takes no activation",
                                        hint=f"put '{v.text}' on its own line after it")
                if (pos_index < len(positional) and v.kind == "name"
                        and positional[pos_index].convert not in (_INT_CONVERTERS)):
                    p = positional[pos_index]
                    args[p.name] = self.convert(p, item)
                    given[p.name] = item
                    pos_index += 1
                    continue
                pool = list(layer.flags) + [q.name for q in layer.params]
                if layer.takes_activation:
                    pool += list(ACTIVATION_NAMES)
                near = closest(word, pool)
                raise self.err(f"unexpected {v.text!r} in {typed}", v.line, v.col, v.width,
                               suggestion=near, hint=None if near else f"usage: {layer.usage}")
            while pos_index < len(positional) and positional[pos_index].name in given:
                pos_index += 1
            if pos_index >= len(positional):
                raise self.err(f"too many values for {typed}: {v.text!r} is extra", v.line, v.col,
                               v.width, hint=f"usage: {layer.usage}")
            p = positional[pos_index]
            args[p.name] = self.convert(p, item)
            given[p.name] = item
            pos_index += 1
        missing = [p.name for p in layer.params if p.name not in args and p.default is REQUIRED]
        if missing:
            raise self.err(f"{typed} needs {' and '.join(m.upper() for m in missing)}", line, col,
                           len(typed), hint=f"usage: {layer.usage}")
        for p in layer.params:
            if p.name not in args:
                args[p.name] = p.default
        self.positions = given
        return args, act, init, name

    def layer_error(self, e: LayerError, st: Statement, typed: str, layer: Layer) -> DSLError:
        message = e.message
        if self.prev and message.startswith(f"{layer.kind} expects"):
            message = f"{typed} after {self.prev} expects" + message[len(layer.kind) + 8:]
        elif message.startswith(f"{layer.kind} expects"):
            message = f"{typed} expects" + message[len(layer.kind) + 8:]
        item = self.positions.get(e.arg) if e.arg else None
        if item is not None:
            return self.err(message, item.line, item.col, item.width, hint=e.hint)
        return self.err(message, st.line, st.col, st.width, hint=e.hint)

    def layer_statement(self, st: Statement, layer: Layer, shape: Shape, dtype: str,
                        scope: _Scope) -> tuple[list[SpecNode], Shape, str]:
        typed = st.name
        args, act, init, name = self.bind(layer, st.items, st.line, st.col, typed)
        if dtype == "int64" and not isinstance(layer, Embedding):
            raise self.at_stmt(st, f"{typed} expects numbers but the input holds token ids",
                               hint="start with 'embedding VOCAB DIM'")
        if dtype != "int64" and isinstance(layer, Embedding):
            raise self.at_stmt(st, "embedding expects token ids",
                               hint="declare the input as 'input T tokens' (T ids per sample)")
        try:
            out = layer.infer(args, shape)
            count = layer.count(args, shape)
            label = layer.label(args, shape)
        except LayerError as e:
            raise self.layer_error(e, st, typed, layer) from None
        if math.prod(out) > 10**12:
            raise self.at_stmt(st, f"{typed} gives an output of {fmt(out)}, far too large")
        self.add_params(count, st)
        mod_name, path = self.take(scope, st, name[0] if name else None,
                                   name[1] if name else None)
        nodes = [SpecNode(layer.kind, label, mod_name, path, shape, out, count, st.line, st.col,
                          st.text.strip(), args=args, layer=layer, init=init)]
        self.prev = typed
        if act is not None:
            a_layer, a_args, v = act
            try:
                a_out = a_layer.infer(a_args, out)
                a_count = a_layer.count(a_args, out)
                a_label = a_layer.label(a_args, out)
            except LayerError as e:
                raise self.err(e.message, v.line, v.col, v.width, hint=e.hint) from None
            self.add_params(a_count, st)
            self.new_node(st)
            a_name, a_path = self.take(scope, st)
            nodes.append(SpecNode(a_layer.kind, a_label, a_name, a_path, out, a_out, a_count,
                                  v.line, v.col, st.text.strip(), args=a_args, role="activation",
                                  layer=a_layer))
            out = a_out
            self.prev = str(v.value)
        return nodes, out, "float32"


_INT_CONVERTERS = (L.posint, L.nonneg, L.size, L.number, L.positive, L.prob, L.unit_interval,
                   L._dim, L._scale)


def analyze(source: str, *, max_params: int = DEFAULT_MAX_PARAMS) -> ModelSpec:
    """Parse and check ``source``; raises ``DSLError`` with line and column when it is wrong."""
    try:
        statements = parse(source)
        spec = Analyzer(source, max_params).analyze(statements)
    except DSLError as err:
        raise err.with_source(source) from None
    spec.warnings = check(spec)
    return spec
