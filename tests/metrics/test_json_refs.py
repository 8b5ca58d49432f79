"""``$ref`` in JSON schemas resolves to files inside the project only, at plan time."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from llmeval.errors import ConfigError, SecurityError
from llmeval.metrics.json import build_validator


@pytest.fixture
def root(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / "schemas" / "sub").mkdir(parents=True)
    (root / "schemas" / "main.json").write_text(
        '{"type": "object", "properties": {"a": {"$ref": "sub/a.json"}}, "required": ["a"]}'
    )
    (root / "schemas" / "sub" / "a.json").write_text('{"$ref": "b.yaml#/$defs/s"}')
    (root / "schemas" / "sub" / "b.yaml").write_text("$defs:\n  s: {type: string}\n")
    (tmp_path / "outside.json").write_text('{"type": "string"}')
    return root


def test_relative_refs_resolve_from_the_file_that_holds_them(root: Path) -> None:
    v = build_validator("file://schemas/main.json", root)
    assert v({"a": "x"}) is None
    assert v({"a": 1}) == "data/a: 1 is not of type 'string'"


def test_inline_schema_refs_resolve_from_the_project_root(root: Path) -> None:
    v = build_validator({"$ref": "schemas/sub/a.json"}, root)
    assert v("x") is None and v(1) is not None
    v = build_validator({"$ref": "#/$defs/n", "$defs": {"n": {"type": "integer"}}}, root)
    assert v(3) is None and v("3") is not None


def test_files_are_read_once_at_plan_time(root: Path) -> None:
    v = build_validator("file://schemas/main.json", root)
    (root / "schemas" / "sub" / "b.yaml").unlink()
    assert v({"a": 1}) is not None  # still validates: nothing is read at score time


def test_the_meta_schema_is_known_without_network(root: Path) -> None:
    v = build_validator({"$ref": "https://json-schema.org/draft/2020-12/schema"}, root)
    assert v({"type": "string"}) is None


class _Hits(BaseHTTPRequestHandler):
    hits = 0

    def do_GET(self) -> None:
        type(self).hits += 1
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b'{"type": "string"}')

    def log_message(self, *a: object) -> None:
        pass


def test_network_refs_are_refused_and_never_fetched(root: Path) -> None:
    server = HTTPServer(("127.0.0.1", 0), _Hits)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/s.json"
        with pytest.raises(SecurityError, match="never fetched"):
            build_validator({"$ref": url}, root)
        (root / "schemas" / "net.json").write_text(f'{{"$ref": "{url}"}}')
        with pytest.raises(SecurityError, match="never fetched"):
            build_validator("file://schemas/net.json", root)
    finally:
        server.shutdown()
    assert _Hits.hits == 0


@pytest.mark.parametrize(
    "ref", ["file:///etc/passwd", "../outside.json", "schemas/../../outside.json"]
)
def test_refs_outside_the_project_are_security_errors(root: Path, ref: str) -> None:
    with pytest.raises(SecurityError, match="outside the project"):
        build_validator({"$ref": ref}, root)


def test_a_symlink_leaving_the_project_is_refused(root: Path) -> None:
    (root / "schemas" / "link.json").symlink_to(root.parent / "outside.json")
    with pytest.raises(SecurityError):
        build_validator({"$ref": "schemas/link.json"}, root)
    with pytest.raises(SecurityError):
        build_validator("file://schemas/link.json", root)


@pytest.mark.parametrize(
    ("ref", "message"),
    [
        ("schemas/none.json", "no such file"),
        ("#/nowhere", "no such place"),
        ("schemas/sub/b.yaml#/$defs/missing", "no such place"),
    ],
)
def test_unresolvable_refs_are_config_errors(root: Path, ref: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        build_validator({"$ref": ref}, root)
