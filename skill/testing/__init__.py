"""Supported test doubles for code that uses Corner Shop (like httpx's MockTransport)."""
