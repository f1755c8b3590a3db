"""YOLO v1 (placeholder: being built)."""

__all__ = []
