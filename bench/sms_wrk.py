"""The Twilio webhook under wrk, against a bare FastAPI endpoint, and a load test on 2 processes.

`python -m bench.sms_wrk` (needs `wrk`: `make bench` installs Debian's package):

1. **wrk, bare vs service.** Distinct signed Twilio requests (one MessageSid each, 2,000 women
   following a scripted conversation) are written to files and replayed by wrk through
   `bench/twilio.lua`, each request sent once, against (a) a bare FastAPI endpoint that parses
   the same form and returns TwiML and (b) `python -m bot serve`, one process each, in the same
   run, on the embedded default (SQLite + in-process state) and on PostgreSQL + Redis. Each
   target as fast as it goes (requests a second, p99), then paced at about 200 requests a
   second (p99); three rounds, bare and service in turn, reported as medians with each
   round's figure.
2. **Load test.** Whole SMS conversations (hi, language, topic, item, rate it, consent, skip
   the profile: 7 messages, exactly one feedback record each), each woman a new number, through
   2 web processes on two ports sharing PostgreSQL + Redis, against the same through 1 process;
   then the feedback rows are counted: none may be missing or doubled.

Loopback only; every server is started here (its own redis-server, a fresh PostgreSQL
database on 127.0.0.1:5432) and stopped at the end. Bounded: every request is sent once.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import secrets
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.responses import Response
from twilio.request_validator import RequestValidator

ROOT = Path(__file__).resolve().parent.parent
LUA = ROOT / "bench" / "twilio.lua"
BASE = "http://bench.local"  # PUBLIC_BASE_URL of every process: what Twilio signs
TOKEN = "bench-twilio-token-0123456789abcdef"
PG_ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/test"
SCRIPT = ["hi", "MENU", "1", "1", "MORE", "0", "2", "help", "menu", "3"]
# a whole conversation ending in one rating: hi (the greeting), the menu, Know your rights,
# item k, Yes helpful, I agree, skip the profile questions
CONVERSATION = ["hi", "MENU", "1", "{k}", "1", "1", "6"]
_validator = RequestValidator(TOKEN)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def signed_line(sid: str, phone: str, body: str) -> str:
    params = {"MessageSid": sid, "AccountSid": "AC" + "0" * 32, "From": phone, "To": "+15005550006",
              "Body": body, "NumMedia": "0"}
    return urlencode(params) + "\t" + _validator.compute_signature(BASE + "/sms/twilio", params)


def write_distinct(prefix: Path, threads: int, n: int, tag: str, women: int = 0) -> None:
    """n distinct requests (2,000 women along SCRIPT, the first numbered `women`), dealt
    round-robin to the threads' files."""
    files = [open(f"{prefix}{t + 1}.txt", "w") for t in range(threads)]  # noqa: SIM115
    for i in range(n):
        line = signed_line(f"SM{tag}{i:030d}", f"+44770{women + i % 2000:07d}", SCRIPT[(i // 2000) % len(SCRIPT)])
        files[i % threads].write(line + "\n")
    for f in files:
        f.close()


def write_conversations(prefix: Path, threads: int, first: int, count: int, tag: str) -> None:
    """`count` whole conversations (women first .. first+count-1), each kept in one thread's file."""
    files = [open(f"{prefix}{t + 1}.txt", "w") for t in range(threads)]  # noqa: SIM115
    for woman in range(first, first + count):
        phone = f"+1415{woman:07d}"
        out = files[woman % threads]
        for step, body in enumerate(CONVERSATION):
            out.write(signed_line(f"SM{tag}{woman:024d}{step:06d}", phone, body.format(k=1 + woman % 9)) + "\n")
    for f in files:
        f.close()


# -- servers --------------------------------------------------------------------------------------

class Process:
    def __init__(self, cmd: list[str], env: dict[str, str], port: int, log: Path) -> None:
        self.port = port
        self._log = open(log, "w")  # noqa: SIM115
        self.proc = subprocess.Popen(cmd, env=env, stdout=self._log, stderr=subprocess.STDOUT, cwd=ROOT)

    def wait_ready(self, path: str, timeout: float = 120.0) -> None:
        import urllib.request
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server on {self.port} exited; see {self._log.name}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"server on {self.port} not ready in {timeout} s")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()


def bot_env(tmp: Path, database_url: str, redis_url: str | None) -> dict[str, str]:
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp), "DATA_DIR": str(tmp / "data"),
           "DATABASE_URL": database_url, "USER_KEY_SECRET": "bench-secret", "TWILIO_AUTH_TOKEN": TOKEN,
           "PUBLIC_BASE_URL": BASE, "LOG_LEVEL": "WARNING", "FEEDBACK_DAILY_CAP": "1000"}
    if redis_url:
        env["REDIS_URL"] = redis_url
    return env


def start_bot(tmp: Path, env: dict[str, str], name: str) -> Process:
    port = free_port()
    p = Process([sys.executable, "-m", "bot", "serve", "--host", "127.0.0.1", "--port", str(port)], env, port,
                tmp / f"{name}.log")
    p.wait_ready("/readyz")
    return p


def start_bare(tmp: Path) -> Process:
    port = free_port()
    p = Process([sys.executable, "-m", "bench.sms_wrk", "bare", "--port", str(port)],
                {"PATH": os.environ.get("PATH", "")}, port, tmp / "bare.log")
    p.wait_ready("/healthz")
    return p


def bare_main(port: int) -> None:
    """A bare FastAPI app: parse the Twilio form, answer TwiML (the baseline)."""
    import uvicorn

    app = FastAPI()

    @app.get("/healthz")
    async def healthz() -> dict:
        return {"status": "ok"}

    @app.post("/sms/twilio")
    async def twilio(request: Request) -> Response:
        form = await request.form()
        body = str(form.get("Body", ""))[:20].replace("&", "").replace("<", "")
        twiml = f'<?xml version="1.0" encoding="UTF-8"?><Response><Message>You said {body}</Message></Response>'
        return Response(twiml, media_type="application/xml")

    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


class Backend:
    """The embedded default, or PostgreSQL (a fresh database) + Redis (its own server)."""

    def __init__(self, kind: str, tmp: Path) -> None:
        self.kind, self.tmp = kind, tmp
        self.redis: subprocess.Popen | None = None
        self.db_name: str | None = None

    async def _pg(self, sql: str) -> None:
        import asyncpg
        conn = await asyncpg.connect(PG_ADMIN_DSN)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    def up(self, label: str) -> dict[str, str]:
        if self.kind == "embedded":
            return bot_env(self.tmp, f"sqlite+aiosqlite:///{self.tmp / (label + '.sqlite3')}", None)
        port = free_port()
        (self.tmp / "redis").mkdir(exist_ok=True)
        self.redis = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                       "--appendonly", "no", "--dir", str(self.tmp / "redis")],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.db_name = f"bench_{label}_{secrets.token_hex(3)}"
        asyncio.run(self._pg(f'CREATE DATABASE "{self.db_name}"'))
        time.sleep(0.3)
        return bot_env(self.tmp, f"postgresql+asyncpg://postgres@127.0.0.1:5432/{self.db_name}",
                       f"redis://127.0.0.1:{port}/0")

    def feedback_rows(self, env: dict[str, str]) -> int:
        url = env["DATABASE_URL"]
        if url.startswith("sqlite"):
            return sqlite3.connect(url.split(":///", 1)[1]).execute("SELECT count(*) FROM feedback").fetchone()[0]

        async def count() -> int:
            import asyncpg
            conn = await asyncpg.connect(f"postgresql://postgres@127.0.0.1:5432/{self.db_name}")
            try:
                return int(await conn.fetchval("SELECT count(*) FROM feedback"))
            finally:
                await conn.close()
        return asyncio.run(count())

    def down(self) -> None:
        if self.redis is not None:
            self.redis.terminate()
            self.redis.wait()
            self.redis = None
        if self.db_name is not None:
            asyncio.run(self._pg(f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)'))
            self.db_name = None


# -- wrk ------------------------------------------------------------------------------------------

_RESULT = re.compile(r"RESULT answered=(\d+) non200=(\d+) p50_us=(\d+) p99_us=(\d+)")


class Wrk:
    """One wrk run. wrk always runs for its -d duration, so each thread's script writes
    `<prefix><n>.done` when its last answer is in, and we stop wrk (SIGINT: it then prints its
    results) once every thread is done; -d is only the upper bound."""

    def __init__(self, port: int, prefix: Path, threads: int, connections: int, pace_ms: int = 0,
                 limit_s: int = 1800) -> None:
        self.prefix, self.threads = prefix, threads
        cmd = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{limit_s}s", "--timeout", "20s",
               "-s", str(LUA), f"http://127.0.0.1:{port}", "--", str(prefix), str(pace_ms)]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.finished: float | None = None

    def done(self) -> bool:
        if self.finished is None and all(Path(f"{self.prefix}{t + 1}.done").exists() for t in range(self.threads)):
            self.finished = time.monotonic()
            self.proc.send_signal(signal.SIGINT)
        return self.finished is not None or self.proc.poll() is not None


def wrk(port: int, prefix: Path, threads: int, connections: int, pace_ms: int = 0, requests: int = 0) -> Wrk:
    """Bounded: wrk's own -d stops it if some answer never comes (a socket error loses one)."""
    rate = connections * 1000 / pace_ms if pace_ms else 50
    return Wrk(port, prefix, threads, connections, pace_ms, limit_s=int(60 + 2 * requests / rate))


def wait_all(runs: list[Wrk]) -> None:
    while not all(run.done() for run in runs):
        time.sleep(0.05)


def result(run: Wrk, started: float) -> dict:
    wait_all([run])
    out, _ = run.proc.communicate()
    wall = (run.finished or time.monotonic()) - started
    m = _RESULT.search(out)
    if not m:
        raise RuntimeError("wrk said:\n" + out)
    answered, bad, p50, p99 = (int(x) for x in m.groups())
    return {"answered": answered, "non200": bad, "per_s": answered / wall, "p50_ms": p50 / 1000,
            "p99_ms": p99 / 1000, "wall_s": wall}


def run_wrk(port: int, prefix: Path, threads: int, connections: int, pace_ms: int = 0, requests: int = 0) -> dict:
    started = time.monotonic()
    return result(wrk(port, prefix, threads, connections, pace_ms, requests), started)


def wrk_table(kind: str, requests: int, paced_requests: int, rounds: int = 3) -> list[str]:
    """`rounds` rounds, each the bare endpoint then the service (new women each round, so
    every round starts on first messages); the medians, and each round's ratio: these shared
    machines change speed from one minute to the next, a single pair of runs can be off by a
    third."""
    tmp = Path(tempfile.mkdtemp(prefix=f"bench-wrk-{kind}-"))
    backend = Backend(kind, tmp)
    runs: dict[str, list[tuple[dict, dict]]] = {"bare": [], "service": []}
    bare = start_bare(tmp)
    bot = None
    try:
        env = backend.up("wrk")
        bot = start_bot(tmp, env, "bot")
        for n in range(rounds):
            for target, proc in (("bare", bare), ("service", bot)):
                tag = secrets.token_hex(2)
                women = 100_000 * n + (50_000 if target == "service" else 0)
                write_distinct(tmp / f"fast-{tag}-", 16, requests, tag + "f", women)
                fast = run_wrk(proc.port, tmp / f"fast-{tag}-", 16, 16, requests=requests)
                write_distinct(tmp / f"paced-{tag}-", 4, paced_requests, tag + "p", women)
                paced = run_wrk(proc.port, tmp / f"paced-{tag}-", 4, 4, pace_ms=20, requests=paced_requests)  # 4 x 50/s
                runs[target].append((fast, paced))
    finally:
        if bot is not None:
            bot.stop()
        bare.stop()
        backend.down()
        shutil.rmtree(tmp, ignore_errors=True)
    ratios = [s[0]["per_s"] / b[0]["per_s"] for b, s in zip(runs["bare"], runs["service"], strict=True)]
    lines = []
    for target, label in (("bare", "bare FastAPI (parse form, TwiML)"), ("service", "/sms/twilio, the service")):
        fast = [f for f, _ in runs[target]]
        paced = [p for _, p in runs[target]]
        ratio = "baseline" if target == "bare" else (
            f"{statistics.median(ratios):.2f}x ({', '.join(f'{r:.2f}' for r in ratios)})")
        lines.append(
            f"| {kind} | {label} | {sum(f['answered'] for f in fast)} | {sum(f['non200'] for f in fast)} | "
            f"{statistics.median(f['per_s'] for f in fast):,.0f} | {statistics.median(f['p50_ms'] for f in fast):.1f} | "
            f"{statistics.median(f['p99_ms'] for f in fast):.1f} | {ratio} | "
            f"{statistics.median(p['per_s'] for p in paced):,.0f} | {statistics.median(p['p99_ms'] for p in paced):.1f} "
            f"({', '.join(format(p['p99_ms'], '.1f') for p in paced)}) |")
    return lines


# -- the load test ----------------------------------------------------------------------------------

def load_run(processes: int, conversations: int, threads_per_process: int) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix=f"bench-load-{processes}-"))
    backend = Backend("postgres-redis", tmp)
    bots: list[Process] = []
    try:
        env = backend.up(f"load{processes}")
        bots.append(start_bot(tmp, env, "web1"))  # migrates and loads the content first
        for n in range(1, processes):
            bots.append(start_bot(tmp, env, f"web{n + 1}"))
        share = conversations // processes
        procs = []
        for n in range(processes):
            prefix = tmp / f"conv{n}-"
            count = share if n < processes - 1 else conversations - share * (processes - 1)
            write_conversations(prefix, threads_per_process, n * share, count, f"{n}")
        started = time.monotonic()
        for n, bot in enumerate(bots):
            procs.append(wrk(bot.port, tmp / f"conv{n}-", threads_per_process, threads_per_process,
                             requests=len(CONVERSATION) * conversations))
        wait_all(procs)
        results = [result(p, started) for p in procs]
        wall = max(r["wall_s"] for r in results)
        rows = backend.feedback_rows(env)
        answered = sum(r["answered"] for r in results)
        return {"processes": processes, "conversations": conversations, "requests": answered,
                "non200": sum(r["non200"] for r in results), "wall_s": wall,
                "conv_per_s": conversations / wall, "req_per_s": answered / wall,
                "p99_ms": max(r["p99_ms"] for r in results), "rows": rows,
                "lost": max(0, conversations - rows), "duplicated": max(0, rows - conversations)}
    finally:
        for bot in bots:
            bot.stop()
        backend.down()
        shutil.rmtree(tmp, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.sms_wrk")
    sub = parser.add_subparsers(dest="command")
    p_bare = sub.add_parser("bare")
    p_bare.add_argument("--port", type=int, required=True)
    parser.add_argument("--requests", type=int, default=10000, help="distinct requests per target (as fast as it goes)")
    parser.add_argument("--paced", type=int, default=2000, help="requests per target at about 200 a second")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of bare then service, per backend")
    parser.add_argument("--conversations", type=int, default=20000, help="load test, 2 processes")
    parser.add_argument("--baseline-conversations", type=int, default=5000, help="load test, 1 process")
    parser.add_argument("--only", choices=["wrk", "load"])
    args = parser.parse_args(argv)
    if args.command == "bare":
        bare_main(args.port)
        return 0
    if shutil.which("wrk") is None:
        print("wrk is not installed: `make bench` installs it (Debian package wrk)")
        return 1
    if args.only in (None, "wrk"):
        print("## Twilio webhook under wrk: distinct signed requests, each sent once, loopback\n")
        print("| backend | target | requests | non-200 | per second | p50 ms | p99 ms | vs bare "
              "| paced: per second | paced: p99 ms |")
        print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
        for kind in ("embedded", "postgres-redis"):
            for line in wrk_table(kind, args.requests, args.paced, args.rounds):
                print(line, flush=True)
    if args.only in (None, "load"):
        print("\n## Load test: whole SMS conversations (7 messages, one rating each), PostgreSQL + Redis\n")
        print("| processes | conversations | requests | non-200 | seconds | conversations/s | requests/s | p99 ms "
              "| feedback rows | lost | duplicated | vs 1 process |")
        print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        one = load_run(1, args.baseline_conversations, 16)
        two = load_run(2, args.conversations, 16)
        for r in (one, two):
            ratio = "baseline" if r is one else f"{r['conv_per_s'] / one['conv_per_s']:.2f}x"
            print(f"| {r['processes']} | {r['conversations']:,} | {r['requests']:,} | {r['non200']} | {r['wall_s']:.0f} | "
                  f"{r['conv_per_s']:,.1f} | {r['req_per_s']:,.0f} | {r['p99_ms']:.1f} | {r['rows']:,} | {r['lost']} | "
                  f"{r['duplicated']} | {ratio} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
