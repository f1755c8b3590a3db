"""Region proposals and balanced sampling for two-stage detectors (placeholder: being built)."""

__all__ = []
