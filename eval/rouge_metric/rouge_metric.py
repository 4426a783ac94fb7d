"""ROUGE as an `evaluate` metric that loads offline: `evaluate.load("path/to/eval/rouge_metric")`.

`evaluate.load("rouge")` fetches its script from the hub, which is out of reach here. This
module gives the same call and result shape (keys rouge1/rouge2/rougeL/rougeLsum, fractions
in [0, 1], a list per example with use_aggregator=False) with the project's scorer
(`eval.rouge`, built on rouge_score's tokenizer; no nltk data is downloaded).

Differences from the hub metric, on purpose:
- Porter stemming is on by default (papers report stemmed ROUGE);
- ROUGE-Lsum splits one-paragraph texts into sentences itself (split_sentences=True), so
  rougeLsum is summary-level without the caller adding newlines;
- the aggregate is the plain mean over examples (the hub metric reports the median of a
  random bootstrap, which changes from run to run by about 0.05 points).
"""

import datasets
import evaluate

from eval.rouge import ROUGE_TYPES, score_all

_DESCRIPTION = "ROUGE-1, ROUGE-2, ROUGE-L and summary-level ROUGE-Lsum F1, offline."
_CITATION = """@inproceedings{lin-2004-rouge,
  title = {{ROUGE}: A Package for Automatic Evaluation of Summaries},
  author = {Lin, Chin-Yew},
  booktitle = {Text Summarization Branches Out},
  year = {2004},
  pages = {74--81}
}"""
_INPUTS = """
Args:
    predictions: list of summaries (str).
    references: list of references (str), or list of lists of str for several references
        per example (the best-scoring reference counts, as rouge_score's score_multi does).
    rouge_types: subset of ["rouge1", "rouge2", "rougeL", "rougeLsum"] (default: all four).
    use_aggregator: True for the mean over examples, False for one score per example.
    use_stemmer: Porter stemming (default True).
    split_sentences: put each sentence on its own line for rougeLsum (default True).
Returns:
    {rouge_type: F1 in [0, 1]} (or a list of F1 per example).
Example:
    >>> rouge = evaluate.load("eval/rouge_metric")
    >>> rouge.compute(predictions=["the cat sat"], references=["the cat sat down"])["rouge1"]
    0.857...
"""


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _INPUTS)
class RougeMetric(evaluate.Metric):
    def _info(self):
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation=_CITATION,
            inputs_description=_INPUTS,
            features=[
                datasets.Features({"predictions": datasets.Value("string"),
                                   "references": datasets.Sequence(datasets.Value("string"))}),
                datasets.Features({"predictions": datasets.Value("string"),
                                   "references": datasets.Value("string")}),
            ],
            reference_urls=["https://github.com/google-research/google-research/tree/master/rouge"],
        )

    def _compute(self, predictions, references, rouge_types=None, use_aggregator=True,
                 use_stemmer=True, split_sentences=True):
        types = list(rouge_types or ROUGE_TYPES)
        unknown = [t for t in types if t not in ROUGE_TYPES]
        if unknown:
            raise ValueError(f"unsupported rouge types {unknown}; choose from {list(ROUGE_TYPES)}")
        multi = [refs if isinstance(refs, (list, tuple)) else [refs] for refs in references]
        per_example = []
        for pred, refs in zip(predictions, multi):
            scored = score_all([pred] * len(refs), list(refs), stem=use_stemmer, split=split_sentences)
            per_example.append({t: max((s[t].fmeasure for s in scored), default=0.0) for t in types})
        if use_aggregator:
            n = max(1, len(per_example))
            return {t: sum(e[t] for e in per_example) / n for t in types}
        return {t: [e[t] for e in per_example] for t in types}
