"""Lexicon sentiment scorers that ship inside their PyPI wheels."""

from __future__ import annotations

from scoring.adapters import require_pinned_package

VERSION = "1"


class Vader:
    """VADER compound score in [-1, 1]."""

    def __init__(self, entry, options, ctx):
        module, self.model = require_pinned_package(entry, "vaderSentiment.vaderSentiment", "vaderSentiment")
        self._analyzer = module.SentimentIntensityAnalyzer()

    def scores(self, sentences, ctx) -> list[float]:
        return [self._analyzer.polarity_scores(s)["compound"] for s in ctx.bar(sentences, desc="vader", unit="sent")]


class TextBlobPolarity:
    """TextBlob PatternAnalyzer polarity in [-1, 1]."""

    def __init__(self, entry, options, ctx):
        module, self.model = require_pinned_package(entry, "textblob", "textblob")
        self._blob = module.TextBlob

    def scores(self, sentences, ctx) -> list[float]:
        return [self._blob(s).sentiment.polarity for s in ctx.bar(sentences, desc="textblob", unit="sent")]


class Afinn:
    """Sum of AFINN-165 word valences (an unbounded integer)."""

    def __init__(self, entry, options, ctx):
        module, self.model = require_pinned_package(entry, "afinn", "afinn")
        self._afinn = module.Afinn()

    def scores(self, sentences, ctx) -> list[float]:
        return [float(self._afinn.score(s)) for s in ctx.bar(sentences, desc="afinn", unit="sent")]
