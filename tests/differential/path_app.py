"""Path differential app: a Flask app with a catch-all route, on a real
WSGI server that does not resolve dot segments.

    /usr/bin/python3 path_app.py gunicorn|waitress|werkzeug PORT

Routes (Flask/Werkzeug routing, as an app would write them):
  GET /whoami                 the identity of the session cookie `app_sid`
  /login, /static/<path:p>    public
  /, /<path:p>                protected (an admin console, say)
Every other answer is JSON {"route", "target", "path"} with the header
`X-Diff-App: flask-SERVER`: which route the app chose, the raw request target the
server received, and the path it routed on. See README.md beside this file.
"""
import json
import sys

from flask import Flask, Response, request

TOKENS = {
    "tok-free": {"account": "free@x", "company": "free", "class": "employee"},
    "tok-strict": {"account": "strict@x", "company": "strict", "class": "employee"},
}
METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]


def make_app(name):
    app = Flask(name, static_folder=None)
    app.url_map.strict_slashes = False

    def echo(route):
        env = request.environ
        target = env.get("RAW_URI") or env.get("REQUEST_URI") or env.get("PATH_INFO")
        body = json.dumps({"route": route, "target": target, "path": request.path})
        return Response(body, content_type="application/json", headers={"X-Diff-App": name})

    @app.route("/whoami")
    def whoami():
        session = request.cookies.get("app_sid")
        if session in TOKENS:
            return Response(json.dumps(TOKENS[session]), content_type="application/json")
        return Response("{}", status=401, content_type="application/json")

    @app.route("/login", methods=METHODS)
    @app.route("/static/<path:p>", methods=METHODS)
    def public(p=None):
        return echo("public")

    @app.route("/", methods=METHODS)
    @app.route("/<path:p>", methods=METHODS)
    def protected(p=None):
        return echo("protected")

    return app


def main(server, port):
    app = make_app(f"flask-{server}")
    if server == "gunicorn":
        from gunicorn.app.base import BaseApplication

        class Standalone(BaseApplication):
            def load_config(self):
                self.cfg.set("bind", f"127.0.0.1:{port}")
                self.cfg.set("workers", 1)
                self.cfg.set("worker_class", "gthread")
                self.cfg.set("threads", 8)
                self.cfg.set("accesslog", None)

            def load(self):
                return app

        Standalone().run()
    elif server == "waitress":
        from waitress import serve

        serve(app, host="127.0.0.1", port=port, threads=8, _quiet=True)
    elif server == "werkzeug":
        from werkzeug.serving import run_simple

        run_simple("127.0.0.1", port, app, threaded=True)
    else:
        raise SystemExit(f"unknown server {server}")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
