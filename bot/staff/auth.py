"""Staff accounts and sessions: argon2 passwords, lockout, expiring sessions, CSRF tokens.

A session cookie holds a random token; the database keeps only its SHA-256, so a database dump
gives nobody a live session. Each session has its own CSRF token, which every form carries and
the server compares in constant time.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import IntakeError
from bot.store.casework import Actor, audit
from bot.store.models import StaffRole, StaffSession, StaffUser

MIN_PASSWORD = 12
_HASHER = PasswordHasher()          # argon2id, library defaults (RFC 9106 low-memory profile)


class PasswordPolicyError(IntakeError):
    status = 400


def _now(now: dt.datetime | None) -> dt.datetime:
    return now or dt.datetime.now(dt.UTC)


def _aware(t: dt.datetime) -> dt.datetime:
    return t if t.tzinfo else t.replace(tzinfo=dt.UTC)


def check_password_policy(password: str, username: str = "") -> None:
    """At least 12 characters, not the user name, not one repeated character."""
    if len(password) < MIN_PASSWORD:
        raise PasswordPolicyError(f"パスワードは{MIN_PASSWORD}文字以上にしてください (password must have at least {MIN_PASSWORD} characters)")
    if username and username.lower() in password.lower():
        raise PasswordPolicyError("パスワードにユーザー名を入れないでください (password must not contain the user name)")
    if len(set(password)) < 4:
        raise PasswordPolicyError("パスワードが単純すぎます (password is too simple)")


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify_password(stored: str, password: str) -> bool:
    try:
        return _HASHER.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


_DUMMY_HASH: list[str] = []


def _dummy_hash() -> str:
    if not _DUMMY_HASH:
        _DUMMY_HASH.append(hash_password(secrets.token_urlsafe(16)))
    return _DUMMY_HASH[0]


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def csrf_ok(expected: str, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(expected.encode(), (given or "").encode())


@dataclass(frozen=True, slots=True)
class LoginPolicy:
    max_failures: int = 5
    lockout_minutes: int = 15
    session_hours: int = 8


@dataclass(frozen=True, slots=True)
class LoginResult:
    token: str | None                 # the cookie value, when the login succeeded
    reason: str = "ok"                # ok | bad_credentials | locked | disabled


async def login(s: AsyncSession, username: str, password: str, policy: LoginPolicy,
                now: dt.datetime | None = None) -> LoginResult:
    """Checks a password; counts failures and locks the account for a while after too many."""
    now = _now(now)
    user = (await s.execute(select(StaffUser).where(StaffUser.username == username))).scalar_one_or_none()
    if user is None:
        verify_password(_dummy_hash(), password)        # same work as for a real user
        await audit(s, None, "login_failed", None, now, reason="unknown_user")
        return LoginResult(None, "bad_credentials")
    if user.disabled:
        verify_password(_dummy_hash(), password)
        await audit(s, user.id, "login_failed", None, now, reason="disabled")
        return LoginResult(None, "disabled")
    if user.locked_until is not None and _aware(user.locked_until) > now:
        await audit(s, user.id, "login_failed", None, now, reason="locked")
        return LoginResult(None, "locked")
    if not verify_password(user.password_hash, password):
        user.failed_logins += 1
        if user.failed_logins >= policy.max_failures:
            user.locked_until = now + dt.timedelta(minutes=policy.lockout_minutes)
            user.failed_logins = 0
            await audit(s, user.id, "lockout", None, now)
        await audit(s, user.id, "login_failed", None, now, reason="password")
        return LoginResult(None, "bad_credentials")
    user.failed_logins, user.locked_until = 0, None
    if _HASHER.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    token = secrets.token_urlsafe(32)
    s.add(StaffSession(token_sha256=token_hash(token), staff_id=user.id, csrf_token=secrets.token_urlsafe(32),
                       created_at=now, expires_at=now + dt.timedelta(hours=policy.session_hours)))
    await audit(s, user.id, "login", None, now)
    return LoginResult(token)


@dataclass(frozen=True, slots=True)
class SignedIn:
    actor: Actor
    csrf_token: str
    token_sha256: str
    display_name: str


async def session_for(s: AsyncSession, token: str | None, now: dt.datetime | None = None) -> SignedIn | None:
    """The signed-in staff member of a session cookie; None when absent, expired or disabled."""
    if not token or len(token) > 200:
        return None
    now = _now(now)
    row = (await s.execute(select(StaffSession, StaffUser).join(StaffUser, StaffUser.id == StaffSession.staff_id)
                           .where(StaffSession.token_sha256 == token_hash(token)))).one_or_none()
    if row is None:
        return None
    sess, user = row
    if _aware(sess.expires_at) <= now or user.disabled:
        return None
    return SignedIn(Actor(user.id, user.department, user.role, user.display_name), sess.csrf_token,
                    sess.token_sha256, user.display_name)


async def logout(s: AsyncSession, token_sha256: str) -> None:
    await s.execute(delete(StaffSession).where(StaffSession.token_sha256 == token_sha256))


# Accounts (the CLI and the admin page) ----------------------------------------------------------

class AccountError(IntakeError):
    status = 400


def _check_role(role: str) -> str:
    try:
        return StaffRole(role).value
    except ValueError:
        raise AccountError(f"役割 {role} はありません (unknown role {role!r}: desk, coordinator or admin)") from None


async def add_user(s: AsyncSession, username: str, display_name: str, department: str, role: str,
                   password: str) -> StaffUser:
    if not username or len(username) > 80 or not username.isascii() or not username.replace("_", "").replace(
            ".", "").replace("-", "").isalnum():
        raise AccountError("ユーザー名は英数字と . _ - で80文字まで (user name: 1–80 letters, digits, '.', '_' or '-')")
    check_password_policy(password, username)
    if (await s.execute(select(StaffUser.id).where(StaffUser.username == username))).scalar_one_or_none():
        raise AccountError(f"ユーザー {username} はすでにあります (user {username!r} already exists)")
    user = StaffUser(username=username, display_name=display_name or username, department=department,
                     role=_check_role(role), password_hash=hash_password(password))
    s.add(user)
    await s.flush()
    return user


async def _user(s: AsyncSession, username: str) -> StaffUser:
    user = (await s.execute(select(StaffUser).where(StaffUser.username == username))).scalar_one_or_none()
    if user is None:
        raise AccountError(f"ユーザー {username} はいません (no user {username!r})")
    return user


async def set_password(s: AsyncSession, username: str, password: str) -> StaffUser:
    """Sets a new password, lifts a lockout and ends the user's sessions."""
    user = await _user(s, username)
    check_password_policy(password, username)
    user.password_hash = hash_password(password)
    user.failed_logins, user.locked_until = 0, None
    await s.execute(delete(StaffSession).where(StaffSession.staff_id == user.id))
    return user


async def set_disabled(s: AsyncSession, username: str, disabled: bool = True) -> StaffUser:
    """Disables (or enables) an account; a disabled account's sessions end at once."""
    user = await _user(s, username)
    user.disabled = disabled
    if disabled:
        await s.execute(delete(StaffSession).where(StaffSession.staff_id == user.id))
    return user
