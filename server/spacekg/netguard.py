"""The second wall against server-side request forgery: a process that cannot reach the network.

The first wall refuses ``SERVICE`` and ``LOAD`` on the parsed request (``sparql.py``). This
one makes sure that, even if a query slipped past it (a parser that disagrees with the
engine's), the engine has no way to open a connection: a seccomp filter (through libseccomp,
``pyseccomp``) makes ``socket()`` fail with ``EPERM`` for every address family but local
``AF_UNIX`` sockets, and ``connect()`` fail for every socket that might have been inherited.
Oxigraph's ``SERVICE`` client, rdflib's URL fetching and DNS look-ups all need one of them.

Query processes (``sandbox.py``) install it always; a server worker installs it when its
store is local (a remote store is reached over the network, on purpose). A filter cannot be
removed once loaded, and applies to every thread of the process (``CTL_TSYNC``) and to the
threads and children it starts later.
"""

from __future__ import annotations

import errno
import logging
import socket

log = logging.getLogger(__name__)


class NetworkWallUnavailable(RuntimeError):
    """libseccomp (Debian's ``libseccomp2``) or the kernel's seccomp filters are missing."""


def deny_outbound_network(*, allow_connect: bool = False) -> None:
    """Forbid this process (all its threads) to open network sockets from now on.

    ``allow_connect`` keeps ``connect()`` for ``AF_UNIX`` sockets created later (a gunicorn
    worker has none it needs; a query process has none either). Raises
    :class:`NetworkWallUnavailable` when the filter cannot be installed.
    """
    try:
        import pyseccomp as seccomp
    except (ImportError, OSError) as exc:  # pyseccomp loads libseccomp.so.2 at import
        raise NetworkWallUnavailable(f"libseccomp is not available: {exc}") from exc
    try:
        rules = seccomp.SyscallFilter(seccomp.ALLOW)
        rules.set_attr(seccomp.Attr.CTL_TSYNC, 1)
        refuse = seccomp.ERRNO(errno.EPERM)
        rules.add_rule(refuse, "socket", seccomp.Arg(0, seccomp.NE, socket.AF_UNIX))
        if not allow_connect:
            # an inherited or passed network socket still cannot connect anywhere
            rules.add_rule(refuse, "connect")
        rules.load()
    except OSError as exc:
        raise NetworkWallUnavailable(f"the seccomp filter could not be loaded: {exc}") from exc


def network_is_denied() -> bool:
    """True when this process cannot create a network socket (the wall is up)."""
    try:
        probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    except PermissionError:
        return True
    probe.close()
    return False
