"""Request handlers, one module per feature. The dispatch order lives in ``skill.app``."""
