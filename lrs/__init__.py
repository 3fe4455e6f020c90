"""The HTTP edge of Readiness LRS (Flask)."""
