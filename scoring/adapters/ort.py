"""ONNX Runtime for PyTorch models: export a classifier's logits, open a session, call it like the model.

Export is torch's TorchScript exporter with batch and sequence axes left dynamic. Sessions do not
spin their threads between calls: the caller tokenises and pads between batches, and a spinning
pool would take a core from it. int8 lives in scoring/adapters/ort_int8.py.
"""

from __future__ import annotations

import warnings
from importlib import metadata
from pathlib import Path

from scoring.check import Unavailable

VERSION = "1"  # bump when a change here can move a measured number (see scoring/code.py)

INPUTS = ("input_ids", "attention_mask")


def require() -> None:
    """Stop with a plain reason when ONNX Runtime or the exporter's onnx package is missing."""
    for package, pin in (("onnxruntime", "1.32.0"), ("onnx", "1.23.2")):
        try:
            metadata.version(package)
        except metadata.PackageNotFoundError:
            raise Unavailable("library-missing", package=package, version=pin) from None


def export_logits(model, sample: dict, path: Path, opset: int = 17) -> None:
    """Write ``model``'s classification logits for (input_ids, attention_mask) as an ONNX graph."""
    import torch

    class Logits(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask):
            return self.inner(input_ids=input_ids, attention_mask=attention_mask).logits

    dynamic = {"input_ids": {0: "batch", 1: "sequence"}, "attention_mask": {0: "batch", 1: "sequence"},
               "logits": {0: "batch"}}
    # The wrapper must be in eval mode too: the exporter restores the wrapper's own mode afterwards, and
    # a fresh module's is training, which would switch dropout on in ``model`` for every later call.
    wrapper = Logits(model).eval()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(wrapper, (sample["input_ids"], sample["attention_mask"]), str(path),
                          input_names=list(INPUTS), output_names=["logits"], opset_version=opset,
                          dynamic_axes=dynamic, dynamo=False)


def session(path: Path, threads: int):
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    opts.log_severity_level = 3
    opts.add_session_config_entry("session.intra_op.allow_spinning", "0")  # see the module docstring
    return ort.InferenceSession(str(path), sess_options=opts, providers=["CPUExecutionProvider"])


def libraries() -> dict[str, str]:
    return {p: metadata.version(p) for p in ("onnxruntime", "onnx")}


class Logits:
    """A session called like a transformers classifier: ``model(input_ids=..., attention_mask=...).logits``."""

    def __init__(self, session):
        self.session = session

    def __call__(self, input_ids, attention_mask, **_):
        from types import SimpleNamespace

        import torch

        feed = {"input_ids": input_ids.numpy(), "attention_mask": attention_mask.numpy()}
        return SimpleNamespace(logits=torch.from_numpy(self.session.run(None, feed)[0]))
