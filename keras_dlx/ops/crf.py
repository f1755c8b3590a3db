"""Linear-chain conditional random field operations: log-likelihood and Viterbi decoding (backend-neutral)."""

__all__ = []
