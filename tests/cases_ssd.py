"""Layer-contract cases of the SSD300 layers (tests/cases.py collects them)."""

CASES = []
