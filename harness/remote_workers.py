"""Locust workers on other hosts, over SSH: copy the scenarios (and your locustfile with
its local imports), check Locust, start, stop.

Why paramiko and not a `ssh` subprocess: one verified connection per host (known_hosts,
the same policy as the collectors) carries the upload, the version check, every
worker's command and its log stream. Workers run under a pseudo-terminal, so a lost
connection (the runner killed) hangs them up; at the end the remote directory's
processes are killed and the directory removed, so nothing is left behind.
"""

from __future__ import annotations

import contextlib
import itertools
import shlex
import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import locust
import paramiko

from collectors.shell import ShellError, SSHShell, SSHTarget
from harness.config import LoadConfig, SSHWorkerHost
from harness.locustfiles import SCENARIOS, locustfile_paths, upload_files
from harness.preflight import PreflightError

# Options whose value is a local file the workers need a copy of.
FILE_OPTIONS = ("--esppd-accounts-csv", "--esppd-route-map")


@dataclass
class RemoteHost:
    spec: SSHWorkerHost
    shell: SSHShell
    directory: str = ""
    channels: list[paramiko.Channel] = field(default_factory=list)

    @property
    def label(self) -> str:
        return self.shell.name


class RemoteWorkers:
    def __init__(self, hosts: list[SSHWorkerHost], log_dir: Path, load: LoadConfig) -> None:
        self.log_dir = log_dir
        self.load = load
        self.hosts = [RemoteHost(spec, SSHShell(
            SSHTarget(spec.user, spec.host, spec.port),
            Path(spec.key).expanduser() if spec.key else None,
            Path(spec.known_hosts).expanduser() if spec.known_hosts else None,
            spec.trust_new_host_key)) for spec in hosts]
        self._threads: list[threading.Thread] = []

    def prepare(self, locust_args: list[str]) -> None:
        """Connect, check Python and Locust, upload; PreflightError names every host not ready."""
        problems = []
        for host in self.hosts:
            try:
                self._check_locust(host)
                self._upload(host, locust_args)
            except (ShellError, OSError, paramiko.SSHException) as error:
                problems.append(f"worker host {host.label}: {error}")
            except PreflightError as error:
                problems.append(str(error))
        if problems:
            raise PreflightError("; ".join(problems))

    def _check_locust(self, host: RemoteHost) -> None:
        python = shlex.quote(host.spec.python)
        output = host.shell.run(
            f"{python} -c 'import locust; print(\"locust\", locust.__version__)' 2>&1").strip()
        version = output.rsplit("\n", 1)[-1].removeprefix("locust ").strip()
        if not output.startswith("locust ") and "\nlocust " not in output:
            raise PreflightError(f"worker host {host.label}: {host.spec.python} cannot import "
                                 f"locust ({output.splitlines()[-1] if output else 'no output'});"
                                 f" install locust=={locust.__version__} there")
        if version != locust.__version__:
            raise PreflightError(f"worker host {host.label}: Locust {version} there, "
                                 f"{locust.__version__} here; install locust=="
                                 f"{locust.__version__} on the worker host")

    def _upload(self, host: RemoteHost, locust_args: list[str]) -> None:
        host.directory = f"/tmp/esppd-worker-{uuid.uuid4().hex[:12]}"
        with host.shell.client().open_sftp() as sftp:
            sftp.mkdir(host.directory, 0o700)
            sftp.mkdir(f"{host.directory}/scenarios", 0o700)
            for source in sorted(SCENARIOS.glob("*.py")):
                sftp.put(str(source), f"{host.directory}/scenarios/{source.name}")
            for option, value in itertools.pairwise(locust_args):
                if option in FILE_OPTIONS and value:
                    sftp.put(value, f"{host.directory}/{Path(value).name}")
            if self.load.locustfile is not None:
                made = {f"{host.directory}/custom"}
                sftp.mkdir(f"{host.directory}/custom", 0o700)
                for local, relative in upload_files(Path(self.load.locustfile)).items():
                    for parent in reversed(relative.parents[:-1]):
                        if f"{host.directory}/custom/{parent}" not in made:
                            sftp.mkdir(f"{host.directory}/custom/{parent}", 0o700)
                            made.add(f"{host.directory}/custom/{parent}")
                    sftp.put(str(local), f"{host.directory}/custom/{relative}")

    def _remote_locustfiles(self, directory: str) -> str:
        """-f on a worker host: the uploaded copies of what -f names here."""
        remote = []
        for path in locustfile_paths(self.load):
            if path.resolve().is_relative_to(SCENARIOS):
                remote.append(f"{directory}/scenarios/{path.name}")
            else:
                remote.append(f"{directory}/custom/{path.name}")
        return ",".join(remote)

    def start(self, master_host: str, master_port: int, locust_args: list[str]) -> None:
        for host in self.hosts:
            args = [f"{host.directory}/{Path(value).name}"
                    if option in FILE_OPTIONS and value else value
                    for option, value in zip(["", *locust_args], locust_args, strict=False)]
            command = " ".join(shlex.quote(part) for part in [
                host.spec.python, "-m", "locust", "-f",
                self._remote_locustfiles(host.directory), "--worker",
                "--master-host", master_host, "--master-port", str(master_port), *args])
            transport = host.shell.client().get_transport()
            if transport is None:
                raise PreflightError(f"worker host {host.label}: the SSH connection closed")
            for index in range(1, host.spec.workers + 1):
                channel = transport.open_session(timeout=10)
                channel.get_pty()  # the worker is hung up if this connection dies
                channel.exec_command(f"cd {shlex.quote(host.directory)} && exec {command}")
                host.channels.append(channel)
                log = self.log_dir / f"locust-worker-{host.spec.host}-{host.spec.port}-{index}.log"
                thread = threading.Thread(target=_stream, args=(channel, log), daemon=True)
                thread.start()
                self._threads.append(thread)

    def stop(self) -> None:
        """Close the workers' sessions, kill what is left of them, remove the upload."""
        for host in self.hosts:
            for channel in host.channels:
                with contextlib.suppress(Exception):
                    channel.close()
            if host.directory:
                # "[/]tmp/..." matches the workers' command lines but not this shell's own.
                pattern = f"[{host.directory[0]}]{host.directory[1:]}/"
                with contextlib.suppress(ShellError):
                    host.shell.run(f"pkill -KILL -f {shlex.quote(pattern)}; "
                                   f"rm -rf {shlex.quote(host.directory)}")
            host.shell.close()
        for thread in self._threads:
            thread.join(timeout=5)


def _stream(channel: paramiko.Channel, log: Path) -> None:
    """Copy a remote worker's output into the results' logs until it exits."""
    with open(log, "ab") as out:
        while True:
            try:
                chunk = channel.recv(65536)
            except (OSError, paramiko.SSHException):
                return
            if not chunk:
                return
            out.write(chunk)
            out.flush()
