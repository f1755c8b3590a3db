"""Faster R-CNN losses (placeholder: being built)."""

__all__ = []
