<?php
// Differential-test app: the PHP built-in server's own $_COOKIE and
// $_SERVER (where `-` and `_` in a header name are the same variable).
// php -S 127.0.0.1:PORT php_app.php — see README.md beside this file.
const TOKENS = [
    'tok-free' => ['account' => 'free@x', 'company' => 'free', 'class' => 'employee'],
    'tok-strict' => ['account' => 'strict@x', 'company' => 'strict', 'class' => 'employee'],
];
$flags = JSON_INVALID_UTF8_SUBSTITUTE | JSON_UNESCAPED_SLASHES;
$session = isset($_COOKIE['app_sid']) && is_string($_COOKIE['app_sid']) ? $_COOKIE['app_sid'] : null;
$path = parse_url($_SERVER['REQUEST_URI'], PHP_URL_PATH);
header('Content-Type: application/json');
if ($path === '/whoami') {
    if ($session !== null && isset(TOKENS[$session])) {
        echo json_encode(TOKENS[$session], $flags);
    } else {
        http_response_code(401);
        echo '{}';
    }
    return true;
}
header('X-Diff-App: php');
echo json_encode([
    'session' => $session,
    'mfa_status' => $_SERVER['HTTP_X_MFA_STATUS'] ?? null,
    'mfa_account' => $_SERVER['HTTP_X_MFA_ACCOUNT'] ?? null,
    'auth_user' => $_SERVER['HTTP_X_AUTH_USER'] ?? null,
], $flags);
return true;
