"""Generative-model metrics (placeholder: being built)."""

__all__ = []
