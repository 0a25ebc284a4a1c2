"""Every example of README.md runs as written, in order, against a fresh demo database and a
real API instance, as a reader following it would run it.

The examples are README.md's fenced blocks, found anew on every run (a new section's examples
are run as soon as it exists):

- ```graphql: sent to the instance's /graphql (no credentials: a development server acts as
  the demo's admin), a subscription over the WebSocket (graphql-transport-ws), answered once a
  check-in of the cycle it follows is made. A document that declares variables takes them
  from the ```json block right after it.
- ```sh: run by bash in the repository's root, one block after the other as in one terminal
  (what a block exports, the next one has), with `.venv/bin` on the PATH, `DATABASE_URL` the
  test database and the sign-in variables of the People walk-through; the address
  http://127.0.0.1:8000 is the instance's. Every command must succeed, and every answer
  `curl` receives is checked like a GraphQL answer (or a SCIM one).
- ```python: executed (its imports and definitions must work); a coroutine function it
  defines that takes a `token` is a client of the instance: it runs with a token of the
  demo's admin until it prints what it received (a subscriber's check-ins are made for it).
- ```json and blocks without a language are answers and diagrams: not run.

An answer must carry no error, no user error, and no empty list where the example reads one
(somewhere in the answer each list it selects has an item), so an example about data the demo
lacks fails. Two HTML comments on the line before a block change that:
`<!-- not run: why -->` skips it (for the few that cannot run here, such as starting the
server), and `<!-- runs with errors: why -->` runs it and expects an error (an example of
the error model).
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import io
import json
import os
import re
import shlex
import signal
import subprocess
import tempfile
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import graphql
import httpx
import pytest
import websockets

from api.app import create_app
from api.auth.tokens import mint_development_token
from api.settings import Settings
from api.webhooks.worker import WebhookWorker
from db.pool import create_pool
from services.demo import seed_demo
from tests.conftest import fresh_database
from tests.servers import serving

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
ADDRESS = "127.0.0.1:8000"
ADMIN = "admin@demo.example"
# The sign-in settings of the People walk-through's server.
SIGN_IN = {
    "OKRQL_JWT_SECRET": "a-development-secret-of-32-characters",
    "OKRQL_JWT_ISSUER": "okrql-dev",
    "OKRQL_JWT_AUDIENCE": "okrql",
}
# A check-in of the demo's Q4 2026 (the cycle the subscription example follows).
CHECK_IN = """mutation { createCheckIn(input: {keyResultId: "S2V5UmVzdWx0OjU3", value: "1230",
  confidence: ON_TRACK}) { userErrors { code } } }"""
FENCE = re.compile(r"^( *)```(\S*)\s*$")
MARKER = re.compile(r"^\s*<!--\s*(not run|runs with errors):\s*(.+?)\s*-->\s*$")


@dataclass(frozen=True)
class Example:
    line: int  # of the opening fence, 1-based
    language: str
    text: str
    section: str
    marker: str | None = None  # "not run" or "runs with errors"

    def __str__(self) -> str:
        return f"README.md:{self.line} ({self.section}, {self.language or 'no language'})"


def examples(text: str) -> list[Example]:
    """The fenced blocks of a Markdown text, dedented to their fence, with their markers."""
    found: list[Example] = []
    lines = text.split("\n")
    section = ""
    i = 0
    while i < len(lines):
        if lines[i].startswith("#"):
            section = lines[i].lstrip("#").strip()
        opening = FENCE.match(lines[i])
        if not opening:
            i += 1
            continue
        indent = len(opening.group(1))
        body: list[str] = []
        j = i + 1
        while not re.match(rf"^ {{0,{indent}}}```\s*$", lines[j]):
            body.append(lines[j][indent:] if lines[j][:indent].strip() == "" else lines[j])
            j += 1
        previous = next((line for line in reversed(lines[:i]) if line.strip()), "")
        marked = MARKER.match(previous)
        found.append(
            Example(
                line=i + 1,
                language=opening.group(2),
                text="\n".join(body) + "\n",
                section=section,
                marker=marked.group(1) if marked else None,
            )
        )
        i = j + 1
    return found


def declared_variables(document: str) -> list[str]:
    operation = _operation(document)
    return [v.variable.name.value for v in operation.variable_definitions or ()]


def _operation(document: str) -> graphql.OperationDefinitionNode:
    return next(
        d
        for d in graphql.parse(document).definitions
        if isinstance(d, graphql.OperationDefinitionNode)
    )


def problems(answer: Any) -> list[str]:
    """What makes a GraphQL answer not what an example shows: errors, user errors, a null
    answer, or a list the example reads that is empty everywhere in the answer."""
    if not isinstance(answer, dict):
        return [f"not a JSON object: {str(answer)[:300]}"]
    if "schemas" in answer and "urn:ietf:params:scim:api:messages:2.0:Error" in answer["schemas"]:
        return [f"SCIM error: {answer}"]
    if "data" not in answer and "errors" not in answer:
        return []  # another JSON answer (SCIM resources, health)
    found = [f"errors: {answer['errors']}"] if answer.get("errors") else []
    data = answer.get("data")
    if not isinstance(data, dict):
        return found or [f"no data: {answer}"]
    filled: dict[str, bool] = {}

    def walk(value: Any, path: str) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                if key == "userErrors" and item:
                    found.append(f"userErrors at {path}: {item}")
                walk(item, f"{path}.{key}")
        elif isinstance(value, list):
            if path.rsplit(".", 1)[-1] != "userErrors":
                filled[path] = filled.get(path, False) or bool(value)
            for item in value:
                walk(item, path)

    for field, value in data.items():
        if value is None:
            found.append(f"{field} is null")
        walk(value, field)
    found += [f"{path} is empty everywhere" for path, full in filled.items() if not full]
    return found


def received(text: str) -> list[Any]:
    """The JSON answers in what curl printed: a JSON body, a body after `curl -i`'s headers,
    or the `data:` lines of an event stream."""
    if text.startswith("HTTP/"):
        text = text.split("\r\n\r\n", 1)[-1] if "\r\n\r\n" in text else text.split("\n\n", 1)[-1]
    if not text.strip():
        return []
    try:
        return [json.loads(text)]
    except json.JSONDecodeError:
        events = [line[5:].strip() for line in text.splitlines() if line.startswith("data:")]
        if not events:
            return [text]
        return [json.loads(event) for event in events if event]


@dataclass
class Instance:
    port: int
    url: str  # the database's
    http: httpx.AsyncClient
    worker: WebhookWorker
    shell: Path  # the shell's state and the answers curl received
    settings: Settings


@pytest.fixture(scope="module")
async def instance(server_url: str) -> AsyncIterator[Instance]:
    async with fresh_database(server_url) as url:
        pool = await create_pool(url, min_size=1, max_size=1)
        async with pool.acquire() as conn:
            await seed_demo(conn)
        await pool.close()
        settings = Settings(
            environment="development",
            jwt_secret=SIGN_IN["OKRQL_JWT_SECRET"],
            jwt_issuer=SIGN_IN["OKRQL_JWT_ISSUER"],
            jwt_audience=SIGN_IN["OKRQL_JWT_AUDIENCE"],
            rate_limit_capacity=0,
            webhook_timeout=5.0,
        )
        app = create_app(settings, url=url)
        worker_pool = await create_pool(url, min_size=1, max_size=2, role="okrql_app")
        worker = WebhookWorker(worker_pool, settings)
        try:
            async with (
                serving(app) as port,
                httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http,
            ):
                with tempfile.TemporaryDirectory(prefix="okrql-readme-") as shell:
                    yield Instance(port, url, http, worker, Path(shell), settings)
        finally:
            await worker.stop()
            await worker_pool.close()


async def _graphql(instance: Instance, document: str, variables: dict[str, Any]) -> Any:
    if _operation(document).operation == graphql.OperationType.SUBSCRIPTION:
        return await _subscription(instance, document, variables)
    response = await instance.http.post(
        "/graphql", json={"query": document, "variables": variables}, timeout=60
    )
    return response.json()


async def _check_in(instance: Instance) -> None:
    made = await instance.http.post("/graphql", json={"query": CHECK_IN})
    assert made.json()["data"]["createCheckIn"]["userErrors"] == [], made.text


async def _subscription(instance: Instance, document: str, variables: dict[str, Any]) -> Any:
    """The first event the subscription sends once check-ins of its cycle are made."""
    async with websockets.connect(
        f"ws://127.0.0.1:{instance.port}/graphql", subprotocols=["graphql-transport-ws"]
    ) as ws:
        await ws.send(
            json.dumps({"type": "connection_init", "payload": {"X-Organization": "demo"}})
        )
        assert json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "connection_ack"
        subscribe = {"query": document, "variables": variables}
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": subscribe}))
        # The subscriber may not be listening yet when the first check-in commits.
        for _ in range(3):
            await _check_in(instance)
            try:
                message = json.loads(await asyncio.wait_for(ws.recv(), 5))
            except TimeoutError:
                continue
            if message["type"] == "next":
                return message["payload"]
            return {"errors": [message]}
        return {"errors": ["no event in three check-ins"]}


def _shell(instance: Instance, example: Example) -> tuple[str, list[Any]]:
    """Run an sh block as the next command of the reader's terminal; its output, and the
    answers its curl commands received."""
    state = instance.shell / "state.sh"
    answers = instance.shell / "answers"
    answers.mkdir(exist_ok=True)
    before = set(answers.iterdir())
    body = example.text.replace(f"http://{ADDRESS}", f"http://127.0.0.1:{instance.port}")
    script = "\n".join(
        (
            "set -eo pipefail",
            f"[ -f {shlex.quote(str(state))} ] && . {shlex.quote(str(state))}",
            f"cd {shlex.quote(str(ROOT))}",
            # Each answer curl receives, kept for the checks (curl bounded in time).
            'curl() { local n; n=$(mktemp -p "$README_ANSWERS");'
            ' command curl --max-time 60 "$@" | tee "$n"; }',
            body,
            f"export -p > {shlex.quote(str(state))}",
        )
    )
    environment = {
        **os.environ,
        **SIGN_IN,
        "PATH": f"{ROOT / '.venv' / 'bin'}:{os.environ.get('PATH', '')}",
        "DATABASE_URL": instance.url,
        "README_ANSWERS": str(answers),
    }
    # A session of its own, so that a block that overstays is stopped with all it started.
    with subprocess.Popen(
        ["bash", "-c", script],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    ) as process:
        try:
            output, _ = process.communicate(timeout=300)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            output, _ = process.communicate()
            return f"exit (ran past 300 s): {output[-2000:]}", []
    if process.returncode != 0:
        return f"exit {process.returncode}: {output[-2000:]}", []
    new = sorted(set(answers.iterdir()) - before, key=lambda p: p.stat().st_mtime_ns)
    return output, [a for path in new for a in received(path.read_text(encoding="utf-8"))]


async def _run(instance: Instance, example: Example, following: Example | None) -> list[str]:
    """What is wrong with running one example (nothing: an empty list)."""
    if example.language == "graphql":
        variables: dict[str, Any] = {}
        if declared_variables(example.text):
            if following is None or following.language != "json":
                return ["takes variables, but no ```json block of them follows"]
            variables = json.loads(following.text)
        return problems(await _graphql(instance, example.text, variables))
    if example.language == "sh":
        output, answers = await asyncio.to_thread(_shell, instance, example)
        if output.startswith("exit "):
            return [output]
        return [p for answer in answers for p in problems(answer)]
    if example.language == "python":
        return await _python(instance, example)
    return [f"no way to run a {example.language!r} block: mark it <!-- not run: why -->"]


async def _python(instance: Instance, example: Example) -> list[str]:
    text = example.text.replace(f"ws://{ADDRESS}", f"ws://127.0.0.1:{instance.port}")
    namespace: dict[str, Any] = {"__name__": "readme_example"}
    exec(compile(text, str(example), "exec"), namespace)  # the README's own code
    clients = [
        f
        for f in namespace.values()
        if inspect.iscoroutinefunction(f)
        and f.__module__ == "readme_example"
        and list(inspect.signature(f).parameters) == ["token"]
    ]
    found = []
    token = mint_development_token(instance.settings, email=ADMIN, organization="demo")
    for client in clients:
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            task = asyncio.create_task(client(token))
            try:
                # The client may not be listening yet when the first check-in commits.
                for _ in range(3):
                    await asyncio.sleep(0.5)
                    await _check_in(instance)
                    for _ in range(50):
                        if printed.getvalue() or task.done():
                            break
                        await asyncio.sleep(0.1)
                    if printed.getvalue() or task.done():
                        break
            finally:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        if not printed.getvalue():
            found.append(f"{client.__name__} printed nothing")
        elif "None" in printed.getvalue().split("\n")[0]:
            found.append(f"{client.__name__} printed {printed.getvalue()[:300]}")
    return found


def _runnable(all_examples: list[Example]) -> Iterator[tuple[Example, Example | None]]:
    for i, example in enumerate(all_examples):
        if example.marker == "not run" or example.language in ("", "json", "text"):
            continue
        following = all_examples[i + 1] if i + 1 < len(all_examples) else None
        yield example, following


async def _deliver(worker: WebhookWorker) -> None:
    """Let the server's webhook worker send what is due, as it does between requests."""
    for _ in range(5):
        if not await worker.run_once():
            return


def test_examples_are_found_with_their_markers() -> None:
    text = (
        "# A\n\n```graphql\n{ a }\n```\n\n## B\n<!-- not run: starts a server -->\n```sh\n"
        'serve\n```\n\n1. step\n\n   ```json\n   {"x": 1}\n   ```\n'
        "<!-- runs with errors: shows one -->\n```graphql\n{ b }\n```\n```\ndiagram\n```\n"
    )
    assert examples(text) == [
        Example(3, "graphql", "{ a }\n", "A"),
        Example(9, "sh", "serve\n", "B", "not run"),
        Example(15, "json", '{"x": 1}\n', "B"),
        Example(19, "graphql", "{ b }\n", "B", "runs with errors"),
        Example(22, "", "diagram\n", "B"),
    ]


def test_an_answer_without_what_the_example_shows_is_a_problem() -> None:
    full = {"data": {"objectives": {"nodes": [{"keyResults": {"nodes": []}},
                                              {"keyResults": {"nodes": [{"id": "1"}]}}]}}}  # fmt: skip
    assert problems(full) == []
    assert problems({"data": {"objectives": {"nodes": []}}}) == [
        "objectives.nodes is empty everywhere"
    ]
    assert problems({"data": {"auditEvents": None}}) == ["auditEvents is null"]
    assert problems({"data": {"m": {"userErrors": [{"code": "NOT_FOUND"}]}}}) == [
        "userErrors at m: [{'code': 'NOT_FOUND'}]"
    ]
    assert problems({"data": None, "errors": [{"message": "x"}]}) == ["errors: [{'message': 'x'}]"]
    assert problems({"id": "1", "userName": "noor@demo.example"}) == []


def test_every_marked_block_says_why() -> None:
    marked = [e for e in examples(README.read_text(encoding="utf-8")) if e.marker]
    text = README.read_text(encoding="utf-8").split("\n")
    for example in marked:
        reason = MARKER.match(text[example.line - 2])
        assert reason, example
        assert len(reason.group(2)) > 10, example


async def test_every_readme_example_runs_as_written(instance: Instance) -> None:
    all_examples = examples(README.read_text(encoding="utf-8"))
    failures: list[str] = []
    ran = 0
    for example, following in _runnable(all_examples):
        try:
            found = await _run(instance, example, following)
        except Exception as error:  # reported with the example it broke
            found = [f"{type(error).__name__}: {error}"]
        await _deliver(instance.worker)
        ran += 1
        if example.marker == "runs with errors":
            if not any(p.startswith(("errors", "userErrors", "SCIM error", "exit")) for p in found):
                failures.append(f"{example}: shows errors, but ran without any")
        elif found:
            failures.append(f"{example}: " + "; ".join(found)[:3000])
    assert ran > 20, ran
    assert not failures, "\n\n".join(failures)
