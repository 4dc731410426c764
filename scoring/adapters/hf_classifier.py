"""Hugging Face sequence classifiers: P(positive) per sentence, optionally from an int8 copy.

Labels are mapped by name from ``config.id2label`` (POSITIVE/pos -> positive, NEGATIVE/neg ->
negative); a model whose labels carry no meaning (LABEL_0, LABEL_1) needs ``options.labels``.
With more than two labels, P(positive) is taken over the positive and negative labels only.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from scoring import adapters
from scoring.adapters import hf

VERSION = "1"  # bump when a change here can move a measured number (see scoring/code.py)

PRECISION = {"none": "fp32", "int8": "int8 dynamic (Linear layers, PyTorch; 7-bit activations)",
             "int8-onnx": "int8 dynamic (ONNX Runtime; activations per token, weights per output channel within ±64)"}
LABEL_NAMES = {"positive": "positive", "pos": "positive", "negative": "negative", "neg": "negative"}


class ClassifierOptions(hf.HFOptions):
    labels: dict[str, Literal["negative", "positive"]] | None = Field(
        None, description="model label name -> dataset label, overriding the mapping by name")
    quantize: Literal["none", "int8", "int8-onnx"] = Field(
        "none", description="int8: PyTorch dynamic int8 quantisation of Linear layers; int8-onnx: the model "
                            "exported to ONNX, run by ONNX Runtime with dynamic int8 (per-channel weights); "
                            "both compared with fp32")


def label_indices(id2label: dict, override: dict[str, str] | None = None) -> dict[str, int]:
    """{'negative': class index, 'positive': class index} from the model's label names."""
    names = {int(i): str(name) for i, name in id2label.items()}
    if override:
        unknown = sorted(set(override) - set(names.values()))
        if unknown:
            raise ValueError(f"options.labels names {', '.join(unknown)}, which the model does not have "
                             f"(its labels: {', '.join(names.values())})")
    found: dict[str, list[int]] = {"negative": [], "positive": []}
    for index, name in sorted(names.items()):
        target = override.get(name) if override else LABEL_NAMES.get(name.strip().lower())
        if target:
            found[target].append(index)
    if any(len(v) != 1 for v in found.values()):
        hint = "" if override else "; set options.labels in the entry, e.g. {LABEL_0: negative, LABEL_1: positive}"
        raise ValueError(f"cannot map the model labels {names} to exactly one negative and one positive label{hint}")
    return {k: v[0] for k, v in found.items()}


def _ort():
    return adapters.optional_module("huggingface", "quantize", "int8-onnx")


def quantized(model, tokenizer, quantize: str):
    """The int8 copy of a classifier that ``quantize`` asks for (None for "none"); ``model`` is left as is."""
    if quantize == "int8":
        return hf.quantize_int8(model)
    if quantize == "int8-onnx":  # one thread per session: hf.run_batches runs a batch per core
        return _ort().int8_classifier(model, tokenizer, 1)
    return None


def quantized_libraries(quantize: str) -> dict[str, str]:
    """Libraries the int8 copy adds to the ones every Hugging Face run records."""
    return _ort().libraries() if quantize == "int8-onnx" else {}


def positive_probabilities(model, tokenizer, tokenized: hf.Tokenized, indices: dict[str, int], batch_size: int,
                           bar=None) -> list[float]:
    """Softmax over the negative and positive logits, in fp32, one value per sentence."""
    import torch

    pair = [indices["negative"], indices["positive"]]

    def output(out, mask):
        return torch.softmax(out.logits[:, pair].float(), dim=-1)[:, 1].tolist()

    return hf.run_batches(model, tokenizer, tokenized, batch_size, output, bar)


class HFClassifier:
    """Classifier adapter ``huggingface``: scores are P(positive), so the usual threshold is 0.5."""

    Options = ClassifierOptions
    probabilities = True

    def __init__(self, entry, options: dict, ctx):
        self.options = ClassifierOptions.model_validate(options)
        located = hf.locate(entry, self.options, getattr(ctx, "models_dir", None))
        self.tokenizer, self.fp32 = hf.load(located.path, "classifier")
        pruned = adapters.always_module("huggingface", "scoring.adapters.first_token").apply(self.fp32)
        self.indices = label_indices(self.fp32.config.id2label, self.options.labels)
        self.int8 = quantized(self.fp32, self.tokenizer, self.options.quantize)
        self.model = {**located.provenance, "labels": {k: self.fp32.config.id2label[v] for k, v in self.indices.items()},
                      "precision": PRECISION[self.options.quantize], "parameters": hf.parameter_count(self.fp32),
                      **({"last_layer": "computed for the first token only (the one the head reads)"} if pruned else {})}
        self.libraries = hf.libraries()
        self.libraries.update(quantized_libraries(self.options.quantize))
        self._fp32_scores: list[float] | None = None

    def _probabilities(self, model, tokenized, ctx, desc: str) -> list[float]:
        bar = (lambda it: ctx.bar(it, desc=desc, unit="batch")) if ctx is not None else None
        return positive_probabilities(model, self.tokenizer, tokenized, self.indices, self.options.batch_size, bar)

    def scores(self, sentences: list[str], ctx) -> list[float]:
        tokenized = hf.tokenize(self.tokenizer, sentences, self.options.max_length)
        self._fp32_scores = self._probabilities(self.fp32, tokenized, ctx, "fp32")
        if self.int8 is None:
            return self._fp32_scores
        return self._probabilities(self.int8, tokenized, ctx, "int8")

    def extra_metrics(self, scores: list[float], labels: list[int], threshold: float) -> dict[str, float]:
        """For the int8 variant: how often its prediction equals fp32's, and the largest probability gap."""
        if self.int8 is None or self._fp32_scores is None:
            return {}
        same = sum((a >= threshold) == (b >= threshold) for a, b in zip(scores, self._fp32_scores, strict=True))
        gap = max(abs(a - b) for a, b in zip(scores, self._fp32_scores, strict=True))
        return {"agreement_with_fp32": same / len(scores), "max_prob_diff_vs_fp32": gap}
