"""Encryption at rest for personal fields (Fernet: AES-128-CBC + HMAC-SHA256, from `cryptography`).

The key comes from ``SCRUM_ENCRYPTION_KEY`` (one or more comma-separated Fernet keys, newest first,
so keys can be rotated). It is never written to the database.
"""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from bot.errors import SettingsError


class Cipher:
    def __init__(self, keys: str) -> None:
        try:
            self._fernet = MultiFernet([Fernet(k.strip().encode()) for k in keys.split(",") if k.strip()])
        except (ValueError, TypeError):
            raise SettingsError("SCRUM_ENCRYPTION_KEY: not a valid Fernet key (generate one with "
                                "`scrum-bot keygen`)") from None

    @staticmethod
    def generate_key() -> str:
        return Fernet.generate_key().decode()

    def encrypt(self, text: str | None) -> bytes | None:
        return None if text is None else self._fernet.encrypt(text.encode("utf-8"))

    def decrypt(self, token: bytes | None) -> str | None:
        if token is None:
            return None
        try:
            return self._fernet.decrypt(bytes(token)).decode("utf-8")
        except InvalidToken:
            raise SettingsError("SCRUM_ENCRYPTION_KEY does not decrypt the stored data (wrong or rotated-out key)") from None
