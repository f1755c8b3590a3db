"""Faster R-CNN (placeholder: being built)."""

__all__ = []
