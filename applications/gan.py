"""Generative adversarial networks: a training wrapper for any generator/discriminator pair (being written)."""

__all__ = []
