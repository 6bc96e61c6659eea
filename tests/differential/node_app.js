// Differential-test app: the npm `cookie` package (Express's parser) on
// node's `http` server. `node node_app.js PORT` with NODE_PATH pointing at
// the node_modules holding `cookie`. Node joins several Cookie headers with
// "; "; other headers are read as an Express app reads them (req.get),
// by their exact name. See README.md beside this file.
'use strict';
const http = require('http');
const cookie = require('cookie');

const TOKENS = {
  'tok-free': { account: 'free@x', company: 'free', class: 'employee' },
  'tok-strict': { account: 'strict@x', company: 'strict', class: 'employee' },
};

const header = (req, name) => (name in req.headers ? String(req.headers[name]) : null);

http.createServer((req, res) => {
  const jar = req.headers.cookie === undefined ? {} : cookie.parse(req.headers.cookie);
  const session = Object.prototype.hasOwnProperty.call(jar, 'app_sid') ? jar.app_sid : null;
  const path = req.url.split('?')[0];
  if (path === '/whoami') {
    const known = Object.prototype.hasOwnProperty.call(TOKENS, session);
    res.writeHead(known ? 200 : 401, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(known ? TOKENS[session] : {}));
    return;
  }
  res.writeHead(200, { 'Content-Type': 'application/json', 'X-Diff-App': 'node' });
  res.end(JSON.stringify({
    session,
    mfa_status: header(req, 'x-mfa-status'),
    mfa_account: header(req, 'x-mfa-account'),
    auth_user: header(req, 'x-auth-user'),
  }));
}).listen(Number(process.argv[2]), '127.0.0.1');
