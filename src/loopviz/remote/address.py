"""Where a program serves its trace: ``HOST:PORT`` parsed once, with the loopback rule.

A served trace reveals the program's task names, files, lines and source: by default only the
machine itself may see it. An address that is not loopback is accepted only with an explicit
``allow_remote`` and a token (:func:`check_exposure`).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

DEFAULT_HOST = "127.0.0.1"
MIN_TOKEN_CHARS = 8


class AddressError(ValueError):
    """A bad address or an exposure without the flag and token it needs (one line)."""


@dataclass(frozen=True, slots=True)
class Address:
    host: str
    port: int

    def __str__(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"

    @property
    def loopback(self) -> bool:
        return is_loopback(self.host)


def is_loopback(host: str) -> bool:
    """Only literal loopback addresses and ``localhost`` (a name that merely resolves to one
    could resolve elsewhere tomorrow)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def parse_address(text: str, *, allow_any_port: bool = False) -> Address:
    """``PORT``, ``HOST:PORT`` or ``[IPv6]:PORT``; a bare port means loopback. Port 0 (the
    system picks a free one) only with ``allow_any_port`` (for serving, not attaching)."""
    text = text.strip()
    host, sep, port_text = text.rpartition(":")
    if not sep:
        host, port_text = DEFAULT_HOST, text
    elif host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    elif ":" in host:
        raise AddressError(f"{text!r}: write an IPv6 address in brackets, as [::1]:PORT")
    host = host or DEFAULT_HOST
    try:
        port = int(port_text)
    except ValueError:
        raise AddressError(f"{text!r} is not HOST:PORT (the port must be a number)") from None
    lowest = 0 if allow_any_port else 1
    if not lowest <= port <= 65535:
        raise AddressError(f"{text!r}: the port must be between {lowest} and 65535")
    return Address(host, port)


def check_exposure(address: Address, *, allow_remote: bool, token: str | None) -> None:
    """Refuse to serve beyond this machine without both the flag and a token."""
    if token is not None and len(token) < MIN_TOKEN_CHARS:
        raise AddressError(f"the token must be at least {MIN_TOKEN_CHARS} characters")
    if address.loopback:
        return
    if not allow_remote:
        raise AddressError(
            f"{address} is not a loopback address: a served trace shows the program's names, "
            f"files and lines, so serving beyond this machine needs --allow-remote "
            f"(allow_remote=True) and a --token")
    if not token:
        raise AddressError(f"serving on {address} needs a token (--token, or "
                           f"LOOPVIZ_TOKEN): viewers must present it")
