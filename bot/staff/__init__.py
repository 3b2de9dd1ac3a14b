"""The staff console: tickets, queue, meetings, dashboard (aiohttp + Jinja2, server-rendered)."""
