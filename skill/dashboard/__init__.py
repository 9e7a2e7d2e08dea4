"""The shop staff dashboard, minus the web framework: accounts, sessions, the live feed.

``skill/web.py`` serves it under ``/shop``; everything it decides is decided here.

* :mod:`~skill.dashboard.staff`   staff accounts (scrypt hashes) and where they live
* :mod:`~skill.dashboard.auth`    sessions, CSRF tokens, login rate limits, cookie flags
* :mod:`~skill.dashboard.feed`    the change feed: one poller per process, numbered events
* :mod:`~skill.dashboard.service` :class:`Dashboard`, what the ``/shop`` routes call
* :mod:`~skill.dashboard.pages`   the HTML pages (``skill/web_static/``)
"""

from __future__ import annotations

from skill.dashboard.service import Dashboard, DashboardUnavailable, LoginResult
from skill.dashboard.staff import MemoryStaffDirectory, StaffDirectory, StaffMember

__all__ = [
    "Dashboard",
    "DashboardUnavailable",
    "LoginResult",
    "MemoryStaffDirectory",
    "StaffDirectory",
    "StaffMember",
]
