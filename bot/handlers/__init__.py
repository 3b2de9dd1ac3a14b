"""Dialogue step handlers: (session, inbound, ctx) -> Turn, all pure."""
