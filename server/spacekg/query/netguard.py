"""The second wall against server-side request forgery: a process that cannot reach the network.

The first wall refuses ``SERVICE`` and ``LOAD`` on the parsed request (``sparql.py``). This
one makes sure that, even if a query slipped past it (a parser that disagrees with the
engine's), the engine has no way to open a connection: a seccomp filter (through libseccomp,
``pyseccomp``) makes ``connect()`` and ``sendto()`` to an address fail with ``EPERM`` and,
in a query process, ``socket()`` too for every address family but local ``AF_UNIX``.
Oxigraph's ``SERVICE`` client, rdflib's URL fetching and DNS look-ups all need them.

Query processes (``query/processes.py``) install it always; a server worker installs it when its
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


def deny_outbound_network(*, allow_sockets: bool = False) -> None:
    """Forbid this process (all its threads) to reach out over the network from now on.

    By default no socket but ``AF_UNIX`` can be created and no socket can connect (a query
    process). ``allow_sockets`` keeps ``socket()`` for a server that creates sockets for
    what it accepts (Granian's worker does); ``connect()`` and ``sendto()`` with an address
    still fail, so nothing can be sent anywhere the server was not called from. Raises
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
        if not allow_sockets:
            rules.add_rule(refuse, "socket", seccomp.Arg(0, seccomp.NE, socket.AF_UNIX))
        # an inherited or newly made socket still cannot connect, or send a datagram, anywhere
        rules.add_rule(refuse, "connect")
        rules.add_rule(refuse, "sendto", seccomp.Arg(4, seccomp.NE, 0))
        rules.load()
    except OSError as exc:
        raise NetworkWallUnavailable(f"the seccomp filter could not be loaded: {exc}") from exc
