"""Layer-contract cases (being written in this session)."""

CASES = []
