"""Causal language models: load the one an entry pins, and score a document's log-likelihood in windows.

Windows (token positions): a document's tokens t_1..t_n follow one prefix token t_0 (BOS, else EOS,
as lm-evaluation-harness does). A window feeds t_start..t_{end-1} (at most ``window`` tokens) and
scores the targets t_{done+1}..t_end; each window scores ``window - min_context + 1`` new targets, so
every scored target after the first window sees at least ``min_context`` tokens. ``min_context=1``
is lm-evaluation-harness's rolling loglikelihood (context_len=1, the last window taking a full
window of context); a larger ``min_context`` is the overlapping sliding window of The Pile paper.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator
from importlib import metadata
from pathlib import Path

from scoring import data
from scoring.check import Unavailable
from scoring.entries import Entry, PyPISource, WheelsSource

VERSION = "1"  # bump when a change here can move a measured number (see scoring/code.py)

GGUF_FILE_TYPES = {0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 7: "Q8_0", 8: "Q5_0", 9: "Q5_1", 10: "Q2_K",
                   11: "Q3_K_S", 12: "Q3_K_M", 13: "Q3_K_L", 14: "Q4_K_S", 15: "Q4_K_M", 16: "Q5_K_S",
                   17: "Q5_K_M", 18: "Q6_K", 32: "BF16"}


def windows(n: int, window: int, min_context: int) -> Iterator[tuple[int, int, int]]:
    """(start, end, done) for n targets: feed tokens [start, end), score targets done+1..end."""
    if not 1 <= min_context < window:
        raise ValueError(f"need 1 <= min_context < window, got {min_context} and {window}")
    stride, done = window - min_context + 1, 0
    while done < n:
        end = min(n, window if done == 0 else done + stride)
        yield max(0, end - window), end, done
        done = end


class CausalLM:
    """A causal LM with its tokenizer's ``encode`` (no special tokens) and the prefix token id.

    Speed without moving a number: the output layer runs only on the positions a window scores
    (``logits_to_keep``), and a document's windows of equal length go through the model together,
    at most ``batch_tokens`` tokens per forward pass. Each window is still its own sequence with its
    own positions, so every target sees exactly the context the protocol gives it.
    """

    def __init__(self, model, encode: Callable[[str], list[int]], prefix_token_id: int, info: dict | None = None,
                 batch_tokens: int = 2048):
        self.model = model.eval()
        self.encode = encode
        self.prefix_token_id = prefix_token_id
        self.info = info or {}
        self.batch_tokens = batch_tokens
        self.forward_seconds = 0.0

    def loglikelihood(self, text: str, window: int, min_context: int) -> tuple[float, int]:
        """(sum of natural-log likelihoods of the text's tokens, number of tokens scored)."""
        import torch

        ids = torch.tensor([self.prefix_token_id] + list(self.encode(text)), dtype=torch.long)
        n = len(ids) - 1
        total = 0.0
        t0 = time.perf_counter()
        with torch.inference_mode():
            for group in _batches(list(windows(n, window, min_context)), self.batch_tokens):
                keep = max(e - d for _, e, d in group)
                inputs = torch.stack([ids[s:e] for s, e, _ in group])
                logits = self.model(inputs, logits_to_keep=keep).logits
                for row, (_, e, d) in zip(logits, group, strict=True):
                    total += target_logprob(row[keep - (e - d):], ids[d + 1:e + 1])
        self.forward_seconds += time.perf_counter() - t0
        return total, n


def target_logprob(logits, targets, block_bytes: int = 4 << 20) -> float:
    """Sum over positions of log P(target) from one window's (positions, vocabulary) logits.

    lm-evaluation-harness's formula, log-softmax in float32 then the targets gathered, taken a block
    of positions at a time: each position's log-softmax is its own, so blocking moves no digit. A
    block's float32 copy (``block_bytes``, 4 MiB: 21 positions of a 49k vocabulary, 4 of a 262k one)
    stays in cache instead of writing (and for bfloat16 upcasting) every position's whole vocabulary
    at once, which is 3-7x slower on a 2-core EPYC whatever the dtype.
    """
    import torch

    block = max(1, block_bytes // (4 * logits.shape[-1]))
    picked = [torch.log_softmax(logits[i:i + block].float(), dim=-1).gather(1, targets[i:i + block, None])
              for i in range(0, len(targets), block)]
    return torch.cat(picked).double().sum().item()


def _batches(spans: list[tuple[int, int, int]], batch_tokens: int) -> Iterator[list[tuple[int, int, int]]]:
    """Consecutive windows of the same length, at most ``batch_tokens`` tokens per group (one window at least)."""
    group: list[tuple[int, int, int]] = []
    for span in spans:
        length = span[1] - span[0]
        if group and (length != group[0][1] - group[0][0] or (len(group) + 1) * length > batch_tokens):
            yield group
            group = []
        group.append(span)
    if group:
        yield group


def _gguf_path(entry: Entry, gguf_file: str | None, models_dir: Path | None = None) -> tuple[Path, dict]:
    from scoring.adapters import require_pinned_package

    source = entry.source
    if isinstance(source, WheelsSource):
        from scoring import wheels

        folder = wheels.model_path(source, models_dir or data.default_models_dir())
        if folder is None:
            raise Unavailable("wheels-not-fetched", packages=", ".join(w.package for w in source.wheels))
        shipped = sorted(n for n in source.files if n.endswith(".gguf"))
        chosen = [n for n in shipped if gguf_file is None or Path(n).name == gguf_file]
        if len(chosen) != 1:
            raise Unavailable("gguf-choice", where="the entry pins", files=", ".join(shipped) or "none")
        path = (folder / chosen[0]).resolve()
        if data.sha256_file(path) != source.files[chosen[0]]:
            raise Unavailable("fetched-file-changed", files=chosen[0])
        return path, {"wheels": {w.package: w.version for w in source.wheels}}
    if not isinstance(source, PyPISource):
        raise Unavailable("gguf-source", source=source.type)
    _, provenance = require_pinned_package(entry, None)
    shipped = [f for f in metadata.distribution(source.package).files or [] if f.name.endswith(".gguf")]
    chosen = [f for f in shipped if gguf_file is None or f.name == gguf_file]
    if len(chosen) != 1:
        names = ", ".join(f.name for f in shipped) or "none"
        raise Unavailable("gguf-choice", where=f"package {source.package} ships", files=names)
    return Path(chosen[0].locate()).resolve(), provenance


def gguf_quantisation(path: Path) -> dict:
    """What the GGUF file says about itself: file type, tensor types, architecture."""
    import gguf

    reader = gguf.GGUFReader(str(path))

    def field(key: str):
        f = reader.fields.get(key)
        return None if f is None else f.contents()

    file_type = field("general.file_type")
    return {
        "format": "GGUF",
        "file_type": GGUF_FILE_TYPES.get(file_type, str(file_type)),
        "tensor_types": dict(sorted(Counter(t.tensor_type.name for t in reader.tensors).items())),
        "architecture": field("general.architecture"),
        "gguf_name": field("general.name"),
    }


def load(entry: Entry, gguf_file: str | None, max_bytes: int = 2 << 30, models_dir: Path | None = None,
         dtype: str = "float32") -> CausalLM:
    """The entry's GGUF model, dequantised by transformers to float32 (local files only, no remote code).

    ``dtype="bfloat16"`` casts the weights afterwards: a reduced-precision path whose numbers are its
    own (log-softmax still runs in float32), never mixed with float32 results. Its self-attention runs
    in ``block_attention`` (eager attention's arithmetic, without the masked-out blocks), where
    PyTorch's CPU flash kernel does not speed up in bfloat16.
    """
    from scoring.adapters import hf

    path, provenance = _gguf_path(entry, gguf_file, models_dir)
    size = path.stat().st_size
    if size > max_bytes:
        raise Unavailable("file-too-large", file=path.name, size=size, cap=max_bytes)
    try:
        from transformers import AutoModelForCausalLM, AutoTokenizer
        from transformers.utils import logging as hf_logging
    except ImportError:
        raise Unavailable("library-missing", package="transformers", version="5.24.0") from None
    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()
    hf.use_all_cores()
    safe = {"gguf_file": path.name, "local_files_only": True, "trust_remote_code": False}
    t0 = time.perf_counter()
    tokenizer = AutoTokenizer.from_pretrained(path.parent, **safe)
    model = AutoModelForCausalLM.from_pretrained(path.parent, **safe)
    attention = model.config._attn_implementation
    if dtype != "float32":
        import importlib

        import torch

        # loaded by name: only reduced precision runs it, so float32 units' keys do not carry its version
        # (a check that scores in bfloat16 lists it among its adapters)
        block_attention = importlib.import_module("scoring.adapters.block_attention")
        model = model.to(getattr(torch, dtype))
        block_attention.use(model)
        attention = block_attention.NAME
    prefix = tokenizer.bos_token_id if tokenizer.bos_token_id is not None else tokenizer.eos_token_id
    info = {
        **provenance,
        "file": path.name,
        "sha256": data.sha256_file(path),
        "bytes": size,
        "quantisation": gguf_quantisation(path),
        "loaded_as": f"{model.dtype} (GGUF tensors dequantised by transformers{'' if dtype == 'float32' else ', then cast'})".replace("torch.", ""),
        "parameters": hf.parameter_count(model),
        "attention": attention,
        "prefix_token": {"id": prefix, "text": tokenizer.convert_ids_to_tokens(prefix)},
        "load_seconds": round(time.perf_counter() - t0, 1),
    }
    return CausalLM(model, lambda text: tokenizer.encode(text, add_special_tokens=False), prefix, info)
