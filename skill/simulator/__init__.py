"""The offline simulator: NLU, request envelopes, dialog emulation and conversation tests."""
