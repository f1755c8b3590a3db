"""Pictures of detections (placeholder: being built)."""

__all__ = []
