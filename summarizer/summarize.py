"""Moved to `summarizer.pipeline`; this name stays for code written against it."""

from .pipeline import Summarizer, Summary, read_report  # noqa: F401
