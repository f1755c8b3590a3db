"""DCGAN generator and discriminator constructors (being written)."""

__all__ = []
