"""`make run` as the operator meets it: `python -m b2b_local run` in its own process group."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
from b2b_local.stack import free_port
from b2b_local.tokens import mint_token

BANNER_END = "Ctrl-C stops everything."


class Run:
    """One `python -m b2b_local run` with its output in files (read while it runs)."""

    def __init__(self, tmp_path: Path, port: int, data: Path, name: str) -> None:
        self.out = tmp_path / f"{name}.out"
        self.err = tmp_path / f"{name}.err"
        env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "LANG": "C.UTF-8"}
        with self.out.open("w") as out, self.err.open("w") as err:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "b2b_local", "run", "--port", str(port), "--workers", "1",
                 "--data", str(data)],
                stdout=out, stderr=err, env=env, start_new_session=True,
            )  # fmt: skip
        self.url = f"http://127.0.0.1:{port}"

    def text(self) -> str:
        return self.out.read_text() + self.err.read_text()

    def wait_for_banner(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while BANNER_END not in self.out.read_text():
            assert self.process.poll() is None, self.text()
            assert time.monotonic() < deadline, self.text()
            time.sleep(0.2)

    def interrupt(self) -> int:
        """Ctrl-C as a terminal sends it: SIGINT to the whole process group."""
        os.killpg(self.process.pid, signal.SIGINT)
        try:
            return self.process.wait(timeout=120)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            raise AssertionError(f"still running 120 s after Ctrl-C:\n{self.text()}") from None


def test_quiet_when_idle_clean_ctrl_c_and_data_kept_between_runs(tmp_path):
    port, data = free_port(), tmp_path / "data"
    admin = {"Authorization": f"Bearer {mint_token('run-admin', admin=True)}"}
    first = Run(tmp_path, port, data, "first")
    try:
        first.wait_for_banner()
        assert "Data       kept in" in first.out.read_text()
        # Given a contract made on the first run
        created = httpx.post(
            f"{first.url}/v1/contracts",
            headers=admin,
            json={"organization_name": "Kept U", "create_organization": True, "name": "Kept",
                  "membership_type": "code", "max_learners": 3},
            timeout=60,
        )  # fmt: skip
        assert created.status_code == 201, created.text
        # When the stack idles (the queue poller long-polls moto all the while)
        lines = len(first.text().splitlines())
        time.sleep(8)
        # Then it printed nothing (before quiet mode: three moto request lines a second)
        assert len(first.text().splitlines()) == lines, first.text()
    finally:
        code = first.interrupt()
    # And Ctrl-C stopped it cleanly: exit 0, no traceback from any process
    assert code == 0, first.text()
    assert "Traceback" not in first.text()
    assert (data / "tables" / "Table.jsonl").stat().st_size > 0

    second = Run(tmp_path, port, data, "second")
    try:
        second.wait_for_banner()
        # When the stack starts again on the same data directory
        assert "restored" in second.out.read_text()
        kept = httpx.get(f"{second.url}/v1/contracts/{created.json()['id']}", headers=admin, timeout=60)
        # Then the contract is still there, and the id counter went on from where it was
        assert kept.status_code == 200, kept.text
        assert kept.json()["name"] == "Kept"
        again = httpx.post(
            f"{second.url}/v1/contracts",
            headers=admin,
            json={"organization_name": "Kept U", "name": "Next", "membership_type": "code"},
            timeout=60,
        )
        assert again.status_code == 201, again.text
        assert again.json()["id"] == created.json()["id"] + 1
        assert again.json()["organization_id"] == created.json()["organization_id"]
    finally:
        assert second.interrupt() == 0, second.text()
