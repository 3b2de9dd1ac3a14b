"""Fake LINE and Telegram API servers on 127.0.0.1 that speak the real wire format (see each module)."""
