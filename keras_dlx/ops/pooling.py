"""Pooling operations with argmax indices (backend-neutral)."""

__all__ = []
