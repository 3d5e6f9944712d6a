"""Warnings for legal-but-probably-wrong declarations."""

from __future__ import annotations

import warnings

import pytest

from dlwidgets.dsl import DSLWarning, analyze, build, loss_warnings


def warned(source: str) -> list[DSLWarning]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        build(source)
    return [w.message for w in caught if isinstance(w.message, DSLWarning)]


def test_softmax_before_cross_entropy() -> None:
    found = warned("input 4\nloss cross_entropy\ndense 8 relu\ndense 3 softmax")
    assert len(found) == 1
    assert "softmax before a cross-entropy loss" in found[0].message
    assert (found[0].line, found[0].column) == (4, 9)  # the softmax word
    assert warned("input 4\nloss cross_entropy\ndense 8 relu\ndense 3") == []
    assert warned("input 4\ndense 8 relu\ndense 3 softmax") == []  # no loss declared
    # a dropout after the softmax does not hide it
    found = warned("input 4\nloss ce\ndense 3\nsoftmax\ndropout 0.1")
    assert found and found[0].line == 4


def test_loss_line_anywhere_and_other_losses() -> None:
    assert warned("loss ce\ninput 4\ndense 3 softmax")
    assert "use log_softmax" in warned("input 4\nloss nll\ndense 3 softmax")[0].message
    assert warned("input 4\nloss nll\ndense 3 log_softmax") == []
    assert "BCEWithLogitsLoss applies the sigmoid" in warned(
        "input 4\nloss bce_logits\ndense 1 sigmoid")[0].message
    assert "does not end with sigmoid" in warned("input 4\nloss bce\ndense 1")[0].message
    assert warned("input 4\nloss bce\ndense 1 sigmoid") == []
    assert analyze("input 4\nloss ce\ndense 3").loss_module().__class__.__name__ == \
        "CrossEntropyLoss"


def test_loss_warnings_for_training_calls() -> None:
    model = build("input 4\ndense 3 softmax")
    assert loss_warnings(model, "cross_entropy")
    assert loss_warnings(model, "mse") == []
    assert loss_warnings(object(), "cross_entropy") == []


def test_deep_sigmoid_stack() -> None:
    found = warned("input 4\n" + "dense 8 sigmoid\n" * 4 + "dense 1")
    assert len(found) == 1
    assert "4 sigmoid layers in a row" in found[0].message
    assert f"{0.25 ** 4:.2g}" in found[0].message
    assert (found[0].line, found[0].column) == (2, 9)
    # three hidden sigmoids plus a sigmoid output is fine (the output's slope cancels in bce)
    assert warned("input 4\n" + "dense 8 sigmoid\n" * 3 + "dense 1 sigmoid") == []
    # broken up by relu: no warning
    assert warned("input 4\n" + "dense 8 sigmoid\ndense 8 relu\n" * 3 + "dense 1") == []
    # inside a repeat block too
    assert warned("input 4\nrepeat 5:\n  dense 8 sigmoid\ndense 1")


def test_recurrent_dropout_with_one_layer() -> None:
    found = warned("input 5x3\nlstm 4 dropout=0.3\ndense 1")
    assert found and "does nothing" in found[0].message


def test_gan_discriminator_score_warning() -> None:
    found = warned("input 4\nlatent 2\ngenerator:\n  dense 4\ndiscriminator:\n  dense 3")
    assert found and "discriminator gives (3,)" in found[0].message


@pytest.mark.parametrize("source", [
    "input 4\nloss mse\ndense 8 relu\ndense 4",
    "input 1x8x8\nconv 4 3x3 relu\nflatten\ndense 10",
])
def test_clean_models_do_not_warn(source: str) -> None:
    assert warned(source) == []
    assert analyze(source).warnings == []
