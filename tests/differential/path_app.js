// Path differential app on node, in two styles an app really uses:
//   node path_app.js express PORT   Express routes: app.use('/static'),
//                                   '/login', and a '*' catch-all
//   node path_app.js url PORT       node `http`, routed on
//                                   new URL(req.url, base).pathname
// NODE_PATH points at the node_modules holding `express`. Answers as
// path_app.py does: JSON {route, target, path} with `X-Diff-App: NAME`;
// `/whoami` gives the identity of the session cookie `app_sid`.
'use strict';
const http = require('http');

const TOKENS = {
  'tok-free': { account: 'free@x', company: 'free', class: 'employee' },
  'tok-strict': { account: 'strict@x', company: 'strict', class: 'employee' },
};

function session(req) {
  const header = req.headers.cookie || '';
  for (const part of header.split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === 'app_sid') return v.join('=');
  }
  return null;
}

function whoami(req, res) {
  const known = Object.prototype.hasOwnProperty.call(TOKENS, session(req));
  res.writeHead(known ? 200 : 401, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(known ? TOKENS[session(req)] : {}));
}

function echo(name, route, req, res, path) {
  res.writeHead(200, { 'Content-Type': 'application/json', 'X-Diff-App': name });
  res.end(JSON.stringify({ route, target: req.url, path }));
}

function express(port) {
  const app = require('express')();
  app.get('/whoami', whoami);
  app.use('/static', (req, res) => echo('express', 'public', req, res, req.originalUrl));
  app.all('/login', (req, res) => echo('express', 'public', req, res, req.path));
  app.all('*', (req, res) => echo('express', 'protected', req, res, req.path));
  app.listen(port, '127.0.0.1');
}

function url(port) {
  http.createServer((req, res) => {
    let path;
    try {
      path = new URL(req.url, 'http://app.internal').pathname;
    } catch (e) {
      res.writeHead(400);
      res.end();
      return;
    }
    if (path === '/whoami') return whoami(req, res);
    const route = path === '/login' || path.startsWith('/static/') ? 'public' : 'protected';
    echo('node-url', route, req, res, path);
  }).listen(port, '127.0.0.1');
}

const [style, port] = [process.argv[2], Number(process.argv[3])];
({ express, url })[style](port);
