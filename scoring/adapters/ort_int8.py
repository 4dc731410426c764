"""int8 classifiers in ONNX Runtime: weights per output channel, activations per token.

Every MatMul whose second input is a constant 2-D weight becomes an integer product:

- weights: symmetric per output channel with codes -64..64 (scale = max|w| / 64 of each column),
  fixed once;
- activations: symmetric 8-bit per token, at run time: each row of the input (one token's vector)
  gets its own scale max|x| / 127 (uint8 values 1..255 around the zero point 128).

Why weights stop at 64: ONNX Runtime multiplies uint8 activations by int8 weights. On a CPU with
AVX-512 VNNI each product is accumulated in 32 bits; on AVX2 (and AVX-512 without VNNI) the kernel
first adds pairs of products in a saturating 16-bit lane (``vpmaddubsw``). With weights up to 127
a pair reaches 2 x 255 x 127 = 64,770 and clips at 32,767, so the same model gave other numbers, and
on some hosts garbage. With weights up to 64 a pair is at most 2 x 255 x 64 = 32,640: no path
saturates, every integer sum is exact, and the result is the same on every x86 CPU (ONNX Runtime's
quantisation docs call the 7-bit version of this remedy ``reduce_range``). On a MiniLM classifier
fine-tuned on SST-2, codes up to 64 agree with fp32 as often as codes up to 127 did (99.66% of 872
sentences); up to 63, on 99.43%. ``integer_ranges`` reads the bounds back
from a written graph, and the tests hold them under the limit.

Why per token: dynamic quantisation per tensor (ONNX Runtime's ``quantize_dynamic``) takes one
scale for the whole batch, so one token with a large activation (the outliers BERT-style encoders
carry on a few tokens) coarsens every other token, and a sentence's numbers depend on the sentences
batched with it. Per token, a sentence's numbers depend on that sentence only. On a MiniLM classifier
fine-tuned on SST-2 it flips about a third as many predictions as per-tensor, at the same speed
(``make bench``).

Per MatMul(A, W) the graph computes s = max(ReduceMax(|A|) / A_MAX, tiny) over A's last axis,
q = QuantizeLinear(A / s, 1, A_ZERO) (uint8 with zero point 128: ONNX Runtime's fast u8 x s8 kernels),
then MatMulIntegerToFloat(q, W_int8, 1, w_scale, 128, 0) * s. An input shared by several MatMuls
(query, key and value) is quantised once. Gemm nodes (a pooler, a classification head: one token
each) stay float32.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from scoring.adapters import ort

VERSION = "2"  # bump when a change here can move a measured number (see scoring/code.py)

TINY = 1e-30  # the smallest scale: an all-zero row quantises to zeros instead of dividing by zero
W_MAX = 64  # largest |weight| code: see "Why weights stop at 64" above
A_MAX, A_ZERO = 127, 128  # activation codes lie in A_ZERO - A_MAX .. A_ZERO + A_MAX (uint8)
PAIR_LIMIT = 32767  # a 16-bit lane: the sum of two uint8 x int8 products must stay within it


def _weight_int8(w):
    """(int8 weights, float32 scale per output column) of a (K, N) float matrix."""
    import numpy as np

    scale = np.maximum(np.abs(w).max(axis=0), TINY) / W_MAX
    return np.clip(np.round(w / scale), -W_MAX, W_MAX).astype(np.int8), scale.astype(np.float32)


def quantize_per_token(source: Path, target: Path) -> int:
    """Write ``source``'s graph with per-token int8 MatMuls to ``target``; returns how many were quantised."""
    import numpy as np
    import onnx
    from onnx import helper, numpy_helper

    model = onnx.load(str(source))
    graph = model.graph
    weights = {t.name: t for t in graph.initializer if len(t.dims) == 2}
    added = [numpy_helper.from_array(np.asarray(v, dtype), name) for name, v, dtype in (
        ("int8/inv_a_max", 1 / A_MAX, np.float32), ("int8/tiny", TINY, np.float32), ("int8/one", 1.0, np.float32),
        ("int8/zp_a", A_ZERO, np.uint8), ("int8/zp_w", 0, np.int8))]
    nodes, quantised, count = [], {}, 0
    for node in graph.node:
        if node.op_type != "MatMul" or node.input[1] not in weights:
            nodes.append(node)
            continue
        a, out, p = node.input[0], node.output[0], f"int8/mm{count}/"
        count += 1
        wq, ws = _weight_int8(numpy_helper.to_array(weights[node.input[1]]).astype(np.float32))
        added += [numpy_helper.from_array(wq, p + "w"), numpy_helper.from_array(ws, p + "w_scale")]
        if a not in quantised:
            q = quantised[a] = f"int8/act{len(quantised)}/"
            nodes += [
                helper.make_node("Abs", [a], [q + "abs"]),
                helper.make_node("ReduceMax", [q + "abs"], [q + "max"], axes=[-1], keepdims=1),
                helper.make_node("Mul", [q + "max", "int8/inv_a_max"], [q + "s0"]),
                helper.make_node("Max", [q + "s0", "int8/tiny"], [q + "s"]),
                helper.make_node("Div", [a, q + "s"], [q + "x"]),
                helper.make_node("QuantizeLinear", [q + "x", "int8/one", "int8/zp_a"], [q + "q"]),
            ]
        q = quantised[a]
        nodes += [
            helper.make_node("MatMulIntegerToFloat", [q + "q", p + "w", "int8/one", p + "w_scale", "int8/zp_a",
                                                      "int8/zp_w"], [p + "y"], domain="com.microsoft"),
            helper.make_node("Mul", [p + "y", q + "s"], [out]),
        ]
    del graph.node[:]
    graph.node.extend(nodes)
    graph.initializer.extend(added)
    if not any(o.domain == "com.microsoft" for o in model.opset_import):
        model.opset_import.append(helper.make_opsetid("com.microsoft", 1))
    onnx.save(model, str(target))
    return count


def integer_ranges(path: Path) -> list[dict]:
    """For each integer product of a graph written by ``quantize_per_token``: the largest uint8 activation
    code that can reach it, the largest |int8 weight|, and the largest sum of two products (``pair``),
    read from the graph itself (zero points, the activation scale's divisor, the weight codes)."""
    import numpy as np
    import onnx
    from onnx import numpy_helper

    graph = onnx.load(str(path)).graph
    consts = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
    producer = {o: n for n in graph.node for o in n.output}
    out = []
    for node in graph.node:
        if node.op_type != "MatMulIntegerToFloat":
            continue
        quant = producer[node.input[0]]  # QuantizeLinear(A / s, 1, zero point)
        if quant.op_type != "QuantizeLinear" or float(consts[quant.input[1]]) != 1.0:
            raise ValueError(f"{node.name or node.output[0]}: activations are not quantised by this module")
        divide = producer[quant.input[0]]
        scale = producer[divide.input[1]]  # Max(Mul(ReduceMax|A|, 1 / a_max), tiny)
        inverse = next(consts[i] for i in producer[scale.input[0]].input if i in consts)
        a_max = round(1 / float(inverse))  # |A / s| <= a_max, so codes lie within zero point +- a_max
        zero = int(consts[quant.input[2]])
        a_code = min(255, zero + a_max)
        w_code = int(np.abs(consts[node.input[1]].astype(np.int32)).max())
        out.append({"node": node.output[0], "activation_max": a_code, "weight_max": w_code,
                    "pair": 2 * a_code * w_code})
    return out


def int8_classifier(model, tokenizer, threads: int) -> ort.Logits:
    """``model`` exported to ONNX with per-token int8 MatMuls, ready to run (the files are not kept)."""
    ort.require()
    sample = tokenizer(["a short sentence", "a somewhat longer second sentence"], padding=True, return_tensors="pt")
    with tempfile.TemporaryDirectory(prefix="int8-onnx-") as tmp:
        fp32, int8 = Path(tmp) / "model.onnx", Path(tmp) / "model.int8.onnx"
        ort.export_logits(model, sample, fp32)
        if quantize_per_token(fp32, int8) == 0:
            raise ValueError("the exported graph has no MatMul with a constant weight: nothing to run in int8")
        return ort.Logits(ort.session(int8, threads))


def libraries() -> dict[str, str]:
    return ort.libraries()
