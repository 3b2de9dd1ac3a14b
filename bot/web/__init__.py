"""The aiohttp web shell: app factory, health checks, the /try page."""
