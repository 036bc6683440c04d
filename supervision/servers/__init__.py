"""Throwaway servers on free loopback ports: each starts in seconds, never touches the
machine's own instances, and removes everything it created when stopped."""

from supervision.servers.mariadb import MariaDBServer, MariaDBSettings
from supervision.servers.nginx import NginxServer
from supervision.servers.phpfpm import PhpFpmServer
from supervision.servers.postgres import PostgresServer, PostgresSettings
from supervision.servers.redis import RedisServer
from supervision.servers.sshd import SSHServer

__all__ = ["MariaDBServer", "MariaDBSettings", "NginxServer", "PhpFpmServer",
           "PostgresServer", "PostgresSettings", "RedisServer", "SSHServer"]
