"""ONNX Runtime for PyTorch models: export a classifier's logits, quantise to int8, open a session.

Export is torch's TorchScript exporter with batch and sequence axes left dynamic; int8 is ONNX
Runtime's dynamic quantisation (int8 weights per output channel, activations quantised per batch
at run time), which uses the CPU's VNNI/AMX integer instructions where present.
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
            raise Unavailable(f"{package} is not installed (pip install {package}=={pin})") from None


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


def quantize_int8(source: Path, target: Path) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(str(source), str(target), weight_type=QuantType.QInt8, per_channel=True)


def session(path: Path, threads: int):
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    opts.log_severity_level = 3
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


def int8_classifier(model, tokenizer, threads: int) -> Logits:
    """``model`` exported to ONNX and dynamically quantised to int8, ready to run (the files are not kept)."""
    import tempfile

    require()
    sample = tokenizer(["a short sentence", "a somewhat longer second sentence"], padding=True, return_tensors="pt")
    with tempfile.TemporaryDirectory(prefix="int8-onnx-") as tmp:
        fp32, int8 = Path(tmp) / "model.onnx", Path(tmp) / "model.int8.onnx"
        export_logits(model, sample, fp32)
        quantize_int8(fp32, int8)
        return Logits(session(int8, threads))
