"""(Being written in this session; its owner fills `__all__`.)"""

__all__ = []
