"""Differential-test app: Werkzeug's or Django's own cookie parsing.

    /usr/bin/python3 python_app.py werkzeug PORT
    /usr/bin/python3 python_app.py django PORT

Headers are read from the WSGI environ as WSGI/CGI apps do
(environ["HTTP_X_MFA_STATUS"]): `-` and `_` in a header name are the same
variable there. See README.md beside this file.
"""
import json
import sys

TOKENS = {
    "tok-free": {"account": "free@x", "company": "free", "class": "employee"},
    "tok-strict": {"account": "strict@x", "company": "strict", "class": "employee"},
}


def answer(name, session, environ):
    """(status, headers, body) for the request, given the session read."""
    if environ.get("PATH_INFO") == "/whoami":
        if session in TOKENS:
            return "200 OK", [], json.dumps(TOKENS[session])
        return "401 Unauthorized", [], "{}"
    body = {
        "session": session,
        "mfa_status": environ.get("HTTP_X_MFA_STATUS"),
        "mfa_account": environ.get("HTTP_X_MFA_ACCOUNT"),
        "auth_user": environ.get("HTTP_X_AUTH_USER"),
    }
    return "200 OK", [("X-Diff-App", name)], json.dumps(body)


def werkzeug_main(port):
    from werkzeug.serving import run_simple
    from werkzeug.wrappers import Request, Response

    @Request.application
    def app(request):
        status, headers, body = answer("werkzeug", request.cookies.get("app_sid"), request.environ)
        return Response(body, status=status, headers=headers, content_type="application/json")

    run_simple("127.0.0.1", port, app, threaded=True)


def django_main(port):
    # Django's runserver is wsgiref's server with threads; the request's
    # COOKIES are django.http.cookie.parse_cookie(environ["HTTP_COOKIE"]).
    import socketserver
    from wsgiref.simple_server import WSGIRequestHandler, WSGIServer

    from django.http.cookie import parse_cookie

    def app(environ, start_response):
        cookies = parse_cookie(environ.get("HTTP_COOKIE", ""))
        status, headers, body = answer("django", cookies.get("app_sid"), environ)
        data = body.encode("utf-8")
        start_response(status, headers + [
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(data))),
        ])
        return [data]

    class Quiet(WSGIRequestHandler):
        def log_message(self, *args):
            pass

    class Server(socketserver.ThreadingMixIn, WSGIServer):
        daemon_threads = True
        # socketserver's default backlog of 5 drops connections under the
        # test's parallel requests.
        request_queue_size = 128

    server = Server(("127.0.0.1", port), Quiet)
    server.set_app(app)
    server.serve_forever()


if __name__ == "__main__":
    name, port = sys.argv[1], int(sys.argv[2])
    {"werkzeug": werkzeug_main, "django": django_main}[name](port)
