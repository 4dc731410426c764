"""What the corpus checks share: their arguments, one shard per data file, and the sample statement."""

from __future__ import annotations

from collections.abc import Iterator

from pydantic import Field

from scoring import data, shards
from scoring.check import Args, Check, Context, Shard
from scoring.entries import DataFile, Entry, FilesSource

VERSION = "1"  # bump when a change here can move a measured number (see scoring/code.py)


class CorpusArgs(Args):
    dataset: str | None = Field(None, description="dataset entry id; default: the entry itself")
    split: str = Field(description="which of the dataset's files to read (their 'split')")
    text_field: str = Field("text", min_length=1, max_length=100)
    subset_field: str = Field("meta.pile_set_name", min_length=1, max_length=100,
                              description="dotted path of the subset name inside each JSON line")
    max_line_bytes: int = Field(shards.Limits.max_line_bytes, ge=1024)
    max_decompressed_bytes: int = Field(shards.Limits.max_output_bytes, ge=1 << 20)
    max_window_bytes: int = Field(shards.Limits.max_window_bytes, ge=1 << 10, le=1 << 31)
    max_ratio: float = Field(shards.Limits.max_ratio, gt=1)

    def limits(self) -> shards.Limits:
        return shards.Limits(max_line_bytes=self.max_line_bytes, max_output_bytes=self.max_decompressed_bytes,
                             max_window_bytes=self.max_window_bytes, max_ratio=self.max_ratio)


def dataset_id(entry: Entry, args: CorpusArgs) -> str:
    return args.dataset or entry.id


def files(entry: Entry, args: CorpusArgs, ctx: Context) -> list[DataFile]:
    return data.dataset_files(ctx, dataset_id(entry, args), args.split)


def key_inputs(entry: Entry, args: CorpusArgs, ctx: Context) -> dict:
    return {f.path: f.sha256 for f in files(entry, args, ctx)}


def shard_list(entry: Entry, args: CorpusArgs, ctx: Context) -> list[Shard]:
    """One shard per data file of the split, in the order the entry lists them."""
    return [Shard(f.path, f.sha256) for f in files(entry, args, ctx)]


def resolve(entry: Entry, args: CorpusArgs, ctx: Context, shard: Shard) -> data.Resolved:
    spec = next((f for f in files(entry, args, ctx) if f.path == shard.name and f.sha256 == shard.sha256), None)
    if spec is None:
        raise ValueError(f"shard {shard.name} is not a file of {dataset_id(entry, args)}/{args.split}")
    return data.resolve(ctx, spec)


def documents(entry: Entry, args: CorpusArgs, ctx: Context, shard: Shard,
              bad: shards.BadLines) -> Iterator[shards.Document]:
    """The shard's valid documents (sha256 verified first); bad lines go to ``bad``."""
    path = resolve(entry, args, ctx, shard).path
    return shards.read_documents(path, bad, args.limits(), shard.name, args.text_field, args.subset_field)


def sample(entry: Entry, args: CorpusArgs, ctx: Context, documents: int) -> dict:
    """Which copy, split and files were measured, and a plain statement of the sample size."""
    dataset = ctx.catalog.get(dataset_id(entry, args), entry)
    source = dataset.source
    copy = source.copy_ if isinstance(source, FilesSource) else ""
    listed = [{"path": f.path, "sha256": f.sha256, "bytes": f.bytes} for f in files(entry, args, ctx)]
    return {
        "dataset": dataset.id,
        "copy": copy,
        "split": args.split,
        "files": listed,
        "documents": documents,
        "label": (f"Measured on {documents:,} document{'s' if documents != 1 else ''} of {dataset.title} "
                  f"({copy or 'local files'}, split {args.split!r}). Numbers describe this sample only, "
                  "not the whole corpus; the intervals say how far a sample this size can be off."),
    }


class CorpusCheck(Check):
    """A check over a corpus split: one shard per data file, keyed by the files' pinned sha256.

    Subclasses implement ``run_shard`` and ``merge``; the runner plans, caches and resumes the shards.
    """

    def key_inputs(self, entry: Entry, args: CorpusArgs, ctx: Context) -> dict:
        return key_inputs(entry, args, ctx)

    def shards(self, entry: Entry, args: CorpusArgs, ctx: Context) -> list[Shard]:
        return shard_list(entry, args, ctx)
