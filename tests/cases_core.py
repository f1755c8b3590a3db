"""Layer-contract cases for core layers, activation layers and PoincareNormalize (see tests/cases.py for `case`)."""

from tests.contract_case import case  # noqa: F401  (the entries use it)

CASES = []
