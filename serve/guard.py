"""ASGI middleware in front of everything: the Host header is checked, and every response carries the
security headers.

A page on another site can make a browser send requests to 127.0.0.1 under
a name the attacker controls (DNS rebinding): such requests carry that name in
Host, so only the names the service answers to (``--allowed-hosts``; by
default the bound address and localhost) are served, and others get 400
``host_not_allowed``. Every response says not to sniff types or be framed, and
the pages may load only what the service itself serves (CSP).
"""

from __future__ import annotations

from collections.abc import Iterable

from fazhi.serve.errors import ErrorType, send_error

__all__ = ["Guard", "SECURITY_HEADERS", "host_name"]

# The pages inline their script and style; they load nothing from elsewhere. /docs needs the same (fastapi-offline).
CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
SECURITY_HEADERS: list[tuple[bytes, bytes]] = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-resource-policy", b"same-origin"),
]


def host_name(value: str) -> str:
    """The name part of a Host header value: 'Example.org:8000' → 'example.org', '[::1]:80' → '::1'."""
    value = value.strip().lower()
    if value.startswith("["):
        return value[1:].split("]", 1)[0]
    return value.rsplit(":", 1)[0] if value.count(":") == 1 else value


class Guard:
    def __init__(self, app, allowed_hosts: Iterable[str]) -> None:
        self.app = app
        self.allowed = {h.strip().lower() for h in allowed_hosts if h.strip()}
        self.any_host = "*" in self.allowed

    def _allowed(self, scope) -> tuple[bool, str]:
        if self.any_host:
            return True, ""
        for name, value in scope.get("headers", ()):
            if name == b"host":
                shown = value.decode("latin-1")
                return host_name(shown) in self.allowed, shown
        return False, ""

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        ok, host = self._allowed(scope)
        if not ok:
            found = f"'{host[:100]}'" if host else "no Host header"
            await send_error(
                send,
                400,
                f"expected a Host header naming this server ({', '.join(sorted(self.allowed))}), found {found}; "
                "start it with --allowed-hosts to answer to other names",
                ErrorType.HOST_NOT_ALLOWED,
                SECURITY_HEADERS,
            )
            return

        async def secured(message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", ()), *SECURITY_HEADERS]}
            await send(message)

        await self.app(scope, receive, secured)
