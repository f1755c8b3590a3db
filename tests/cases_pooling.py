"""Layer-contract cases for pooling, vision and the new recurrent cells (see tests/cases.py for `case`)."""

from tests.contract_case import case  # noqa: F401  (the entries use it)

CASES = []
