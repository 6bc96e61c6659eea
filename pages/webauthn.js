// mfa-gate: passkeys and security keys (WebAuthn) on the gateway's own
// pages. Served from /_mfa/assets/ (no inline script, no third-party
// code). A form marked `data-webauthn="create"` or `"get"` carries the
// server's options in `data-options` (JSON, binary fields in base64url);
// its button marked `data-webauthn-submit` asks the browser for a
// credential, puts the answer in the hidden `passkey_answer` field and
// submits the form. Other buttons of the form (a code) submit as usual.
// Without this script, or without WebAuthn in the browser, the passkey
// parts stay hidden and the code forms work alone.
(function () {
  "use strict";
  if (!window.PublicKeyCredential || !navigator.credentials) {
    return;
  }

  function toBytes(text) {
    var b64 = text.replace(/-/g, "+").replace(/_/g, "/");
    while (b64.length % 4) {
      b64 += "=";
    }
    var raw = atob(b64);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) {
      bytes[i] = raw.charCodeAt(i);
    }
    return bytes.buffer;
  }

  function toText(buffer) {
    if (!buffer) {
      return null;
    }
    var bytes = new Uint8Array(buffer);
    var raw = "";
    for (var i = 0; i < bytes.length; i++) {
      raw += String.fromCharCode(bytes[i]);
    }
    return btoa(raw).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function withIds(list) {
    return (list || []).map(function (c) {
      return Object.assign({}, c, { id: toBytes(c.id) });
    });
  }

  function creationOptions(options) {
    var pk = Object.assign({}, options.publicKey);
    pk.challenge = toBytes(pk.challenge);
    pk.user = Object.assign({}, pk.user, { id: toBytes(pk.user.id) });
    pk.excludeCredentials = withIds(pk.excludeCredentials);
    return { publicKey: pk };
  }

  function requestOptions(options) {
    var pk = Object.assign({}, options.publicKey);
    pk.challenge = toBytes(pk.challenge);
    pk.allowCredentials = withIds(pk.allowCredentials);
    return { publicKey: pk };
  }

  function answerOf(credential) {
    var r = credential.response;
    var response = { clientDataJSON: toText(r.clientDataJSON) };
    if (r.attestationObject) {
      response.attestationObject = toText(r.attestationObject);
      response.transports = r.getTransports ? r.getTransports() : [];
    } else {
      response.authenticatorData = toText(r.authenticatorData);
      response.signature = toText(r.signature);
      response.userHandle = toText(r.userHandle);
    }
    return {
      id: credential.id,
      rawId: toText(credential.rawId),
      type: credential.type,
      response: response,
      extensions: credential.getClientExtensionResults(),
    };
  }

  function ask(form) {
    var options = JSON.parse(form.getAttribute("data-options"));
    if (form.getAttribute("data-webauthn") === "create") {
      return navigator.credentials.create(creationOptions(options));
    }
    return navigator.credentials.get(requestOptions(options));
  }

  function show(form, selector, visible) {
    var el = form.querySelector(selector);
    if (el) {
      el.hidden = !visible;
    }
  }

  document.querySelectorAll("[data-webauthn-only]").forEach(function (el) {
    el.hidden = false;
  });
  document.querySelectorAll("[data-webauthn-fallback]").forEach(function (el) {
    el.hidden = true;
  });
  document.querySelectorAll("form[data-webauthn]").forEach(function (form) {
    var busy = false;
    form.addEventListener("submit", function (event) {
      var submitter = event.submitter;
      if (submitter && !submitter.hasAttribute("data-webauthn-submit")) {
        form.querySelector("input[name=passkey_answer]").value = "";
        return;
      }
      event.preventDefault();
      if (busy) {
        return;
      }
      busy = true;
      show(form, "[data-webauthn-cancelled]", false);
      ask(form).then(
        function (credential) {
          form.querySelector("input[name=passkey_answer]").value =
            JSON.stringify(answerOf(credential));
          form.submit();
        },
        function () {
          busy = false;
          show(form, "[data-webauthn-cancelled]", true);
        }
      );
    });
  });
})();
