"""Layer-contract cases for the CRF layer (see tests/cases.py for `case`)."""

from tests.contract_case import case  # noqa: F401  (the entries use it)

CASES = []
