"""Pre-flight against a real target: every role the load uses must log in before it starts."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.config import load_config
from harness.preflight import PreflightError, check_embedded_target, check_static, check_target
from reference_app.seed import PASSWORD, email_for
from reference_app.stack import EmbeddedStack

pytestmark = pytest.mark.timeout(120)


def url_campaign(tmp_path: Path, url: str, rows: list[tuple[str, str, str]]) -> Path:
    accounts = tmp_path / "accounts.csv"
    accounts.write_text("role,email,password\n"
                        + "".join(f"{role},{email},{password}\n" for role, email, password in rows))
    campaign = tmp_path / "campaign.toml"
    campaign.write_text(f'name = "pre"\n[target]\nkind = "url"\nurl = "{url}"\n'
                        f'accounts = "{accounts}"\n')
    return campaign


def test_every_role_logs_in_or_the_run_does_not_start(stack: EmbeddedStack,
                                                      tmp_path: Path) -> None:
    good = [(role, email_for(role, 1), PASSWORD) for role in ("dosen", "atasan", "keuangan")]
    check_target(load_config(url_campaign(tmp_path, stack.url, good)), stack.url)
    check_embedded_target(stack.url, ("dosen", "atasan", "keuangan", "dekan", "ppk"))

    no_finance = good[:2]
    with pytest.raises(PreflightError, match=r"target\.accounts has no keuangan account"):
        check_target(load_config(url_campaign(tmp_path, stack.url, no_finance)), stack.url)

    wrong = [good[0], ("atasan", email_for("atasan", 1), "not-the-password"), good[2]]
    with pytest.raises(PreflightError) as failed:
        check_target(load_config(url_campaign(tmp_path, stack.url, wrong)), stack.url)
    assert str(failed.value).splitlines() == [
        f"login as {email_for('atasan', 1)} on {stack.url} failed (HTTP 302, sent back to the "
        "login page); check target.accounts"]


def test_a_live_port_in_use_fails_the_pre_flight_with_its_key() -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        config = load_config(None, {"live.prometheus": str(port), "target.kind": "url",
                                    "target.url": "http://127.0.0.1:9"})
        with pytest.raises(PreflightError, match=rf"live.prometheus: cannot listen on {port}: "
                                                 "Address already in use"):
            check_static(config)
