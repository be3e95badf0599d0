"""Integrations with outside services (Slack alerts today). Nothing here may block or break trading:
every outside failure is caught at this boundary, logged and counted."""
