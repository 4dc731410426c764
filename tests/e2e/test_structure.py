"""The shape of the house: no import circles in scoring/ or generator/, scoring never imports the generator,
the generator loads no model, and checks are discovered, not listed."""

from __future__ import annotations

import ast
from pathlib import Path

from conftest import ROOT

PACKAGES = ("scoring", "generator")


def _module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")}


def _imports(path: Path, known: set[str]) -> set[str]:
    """Modules of ours that ``path`` imports anywhere (function-level too), except under TYPE_CHECKING."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skip |= {id(n) for n in ast.walk(node)}
    out = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        else:
            continue
        for name in names:
            while name and name not in known:
                name = name.rpartition(".")[0]
            if name:
                out.add(name)
    return out


def _graph() -> dict[str, set[str]]:
    mods = _modules()
    known = set(mods)
    graph = {}
    for name, path in mods.items():
        # a package's __init__ is not an edge to itself, and importing a submodule runs its package first
        graph[name] = {m for m in _imports(path, known) if m != name and not name.startswith(m + ".")}
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    index, low, stack, on, found, counter = {}, {}, [], set(), [], [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_no_import_circles():
    cycles = _cycles(_graph())
    assert cycles == [], "import circles: " + "; ".join(" <-> ".join(c) for c in cycles)


def test_scoring_never_imports_the_generator():
    graph = _graph()
    bad = sorted(f"{m} imports {d}" for m, deps in graph.items() if m.startswith("scoring")
                 for d in deps if d.startswith("generator"))
    assert bad == []


def test_the_generator_loads_no_model():
    heavy = ("torch", "transformers", "sentence_transformers", "onnxruntime")
    bad = []
    for path in (ROOT / "generator").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module] if isinstance(node, ast.ImportFrom) and node.module else []
            bad += [f"{path.relative_to(ROOT)}: {n}" for n in names if n.split(".")[0] in heavy]
    assert bad == []


def test_a_check_added_from_a_new_module_appears_on_a_page(tiny_project, project_args, monkeypatch, tmp_path):
    """Adding a check is its module (and the entries that use it): discovered, scored, verified, shown."""
    import sys

    from scoring import registry

    package = tmp_path / "plugin_checks_for_test"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "word_count.py").write_text('''
"""word-count: words per sentence of a labelled split."""
from scoring import data
from scoring.check import Args, Check, Derived, Metric, Outcome
from scoring.registry import register


class WordCountArgs(Args):
    dataset: str
    split: str = "dev"


@register
class WordCount(Check):
    name = "word-count"
    Args = WordCountArgs
    metrics = {"mean_sentence_words": Metric("Mean words per sentence (plugin)", "other", None)}

    def key_inputs(self, entry, args, ctx):
        return {f.path: f.sha256 for f in data.dataset_files(ctx, args.dataset, args.split)}

    def run(self, entry, args, ctx):
        split = data.split_file(ctx, args.dataset, args.split)
        sentences, _ = data.read_labelled_tsv(split.path)
        return Outcome(metrics={"mean_sentence_words": sum(len(s.split()) for s in sentences) / len(sentences)},
                       inputs={split.spec.path: split.spec.sha256})
''')
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(registry, "CHECK_PACKAGES", [*registry.CHECK_PACKAGES, "plugin_checks_for_test"])
    monkeypatch.setattr(registry, "_CHECKS", dict(registry._CHECKS))  # the test's check leaves with the test
    monkeypatch.setattr(registry, "_loaded", set(registry._loaded))
    monkeypatch.setenv("PYTHONPATH", str(tmp_path) + (":" + sys.path[0] if sys.path else ""))
    entry = tiny_project / "entries" / "datasets" / "tiny-sst.yaml"
    entry.write_text(entry.read_text() + "checks:\n  - check: word-count\n    args: {dataset: tiny-sst}\n")
    from unfragile.cli import main

    assert main(["validate", *project_args]) == 0
    assert main(["score", *project_args, "--only", "tiny-sst"]) == 0
    assert main(["generate", *project_args]) == 0
    page = (tiny_project / "generated" / "entries" / "tiny-sst.md").read_text()
    assert "Mean words per sentence (plugin)" in page
