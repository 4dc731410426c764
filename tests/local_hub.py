"""Enough of the Hugging Face Hub's HTTP API, on 127.0.0.1, for huggingface_hub.snapshot_download.

Serves repositories from folders at 40-hex revisions: model info (with file sizes), the recursive
tree listing, and HEAD/GET of each file under /resolve/. Every request is logged so tests can see
what was (and was not) downloaded. Point huggingface_hub at it with HF_ENDPOINT.
"""

from __future__ import annotations

import hashlib
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit


class LocalHub:
    def __init__(self) -> None:
        self.repos: dict[tuple[str, str], Path] = {}  # (repo id, revision) -> folder
        self.log: list[tuple[str, str]] = []  # (method, path)
        self.downloads, self.likes = 12345, 67
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_HEAD(self):  # noqa: N802
                hub._serve(self, head=True)

            def do_GET(self):  # noqa: N802
                hub._serve(self, head=False)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def add(self, repo: str, revision: str, folder: Path) -> None:
        self.repos[(repo, revision)] = folder

    def close(self) -> None:
        self.httpd.shutdown()

    def downloaded(self) -> list[str]:
        """Files whose bytes were sent (GET of /resolve/)."""
        return [p.rsplit("/", 1)[-1] for m, p in self.log if m == "GET" and "/resolve/" in p]

    # --- the API -------------------------------------------------------------------------------

    @staticmethod
    def _files(folder: Path) -> dict[str, Path]:
        return {str(p.relative_to(folder)): p for p in sorted(folder.rglob("*")) if p.is_file()}

    def _json(self, handler, body, status: int = 200, headers: dict | None = None, head: bool = False) -> None:
        data = json.dumps(body).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            handler.send_header(k, v)
        handler.end_headers()
        if not head:
            handler.wfile.write(data)

    def _missing(self, handler, what: str, head: bool) -> None:
        code = "RevisionNotFound" if what == "revision" else "EntryNotFound" if what == "entry" else "RepoNotFound"
        self._json(handler, {"error": f"{what} not found"}, 404, {"X-Error-Code": code}, head)

    def _serve(self, handler, head: bool) -> None:
        path = unquote(urlsplit(handler.path).path)
        self.log.append(("HEAD" if head else "GET", path))
        parts = path.strip("/").split("/")
        if parts[:2] == ["api", "models"] and len(parts) == 4:  # model info at main: adoption counts
            repo = "/".join(parts[2:4])
            if not any(r == repo for r, _ in self.repos):
                return self._missing(handler, "repo", head)
            return self._json(handler, {"id": repo, "downloads": self.downloads, "likes": self.likes}, head=head)
        if parts[:2] == ["api", "models"] and len(parts) >= 6 and parts[4] in ("revision", "tree"):
            repo, kind, revision = "/".join(parts[2:4]), parts[4], parts[5]
            folder = self.repos.get((repo, revision))
            if folder is None:
                return self._missing(handler, "revision" if any(r == repo for r, _ in self.repos) else "repo", head)
            files = self._files(folder)
            if kind == "revision":
                siblings = [{"rfilename": n, "size": p.stat().st_size, "blobId": self._oid(p)} for n, p in files.items()]
                return self._json(handler, {"id": repo, "modelId": repo, "sha": revision, "siblings": siblings,
                                            "private": False, "tags": [], "downloads": 0, "likes": 0}, head=head)
            tree = [{"type": "file", "path": n, "size": p.stat().st_size, "oid": self._oid(p)} for n, p in files.items()]
            return self._json(handler, tree, head=head)
        if len(parts) >= 5 and parts[2] == "resolve":
            repo, revision, name = "/".join(parts[:2]), parts[3], "/".join(parts[4:])
            folder = self.repos.get((repo, revision))
            if folder is None:
                return self._missing(handler, "revision" if any(r == repo for r, _ in self.repos) else "repo", head)
            target = self._files(folder).get(name)
            if target is None:
                return self._missing(handler, "entry", head)
            data = target.read_bytes()
            handler.send_response(200)
            handler.send_header("Content-Length", str(len(data)))
            handler.send_header("ETag", f'"{self._oid(target)}"')
            handler.send_header("X-Repo-Commit", revision)
            handler.end_headers()
            if not head:
                handler.wfile.write(data)
            return None
        return self._missing(handler, "repo", head)

    @staticmethod
    def _oid(path: Path) -> str:
        return hashlib.sha256(path.read_bytes()).hexdigest()
