"""SSD's L2 normalization with a learned scale (placeholder: being built)."""

__all__ = []
