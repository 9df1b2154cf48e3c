// Runs static/two_factor/js/webauthn.js in node with a stand-in DOM, fetch and WebAuthn API.
// stdin: {"script", "kind", "options", "credential", "error", "optionsStatus", "loginStatus", "loginBody"}
// stdout: what the page did: the hidden input's value, submit/fetch calls, the message shown.
"use strict";
const fs = require("fs");
const input = JSON.parse(fs.readFileSync(0, "utf8"));

function toBuffer(text) {
  return Uint8Array.from(Buffer.from(text, "base64url")).buffer;
}
function toText(buffer) {
  return Buffer.from(new Uint8Array(buffer)).toString("base64url");
}

const report = { fetches: [], submitted: false, message: null, location: null, checks: {} };
const response = { value: "" };
const message = { textContent: "" };
const messages = { dataset: { unsupported: "UNSUPPORTED", cancelled: "CANCELLED", failed: "FAILED", known: "KNOWN" } };
let onClick = null;
const button = {
  disabled: true, focused: false,
  addEventListener: (name, handler) => { onClick = handler; },
  focus() { this.focused = true; },
};
const form = {
  tagName: "FORM", action: "/passkey/login/",
  submit() { report.submitted = true; },
  querySelector: (selector) => (selector === "input[name=csrfmiddlewaretoken]" ? { value: "csrf-token" } : null),
};
const container = {
  tagName: input.kind === "passkey" ? "FORM" : "DIV",
  dataset: { webauthn: input.kind, optionsUrl: "/options/" },
  closest: () => form,
  querySelector(selector) {
    return {
      "[data-webauthn-start]": button, "[data-webauthn-response]": response,
      "[data-webauthn-message]": message, "[data-webauthn-messages]": messages,
      "input[name=csrfmiddlewaretoken]": { value: "csrf-token" },
    }[selector] || null;
  },
};
if (input.kind === "passkey") {
  Object.assign(container, { action: form.action, submit: form.submit });
}

globalThis.window = globalThis;
globalThis.PublicKeyCredential = function PublicKeyCredential() {};
globalThis.document = {
  readyState: "complete", cookie: "",
  querySelectorAll: (selector) => (selector === "[data-webauthn]" ? [container] : []),
};
globalThis.FormData = function FormData() { this.fields = { credential: response.value }; };
globalThis.location = { assign: (url) => { report.location = url; } };
window.location = globalThis.location;

globalThis.fetch = async (url, init) => {
  report.fetches.push({ url, method: init.method, headers: init.headers, body: init.body && init.body.fields });
  const isOptions = url === "/options/";
  const status = isOptions ? (input.optionsStatus || 200) : (input.loginStatus || 200);
  const body = isOptions ? input.options : (input.loginBody || { redirect: "/after/" });
  return { ok: status < 400, status, json: async () => body };
};

function fakeCredential(json) {
  const r = json.response;
  const out = { clientDataJSON: toBuffer(r.clientDataJSON) };
  if (r.attestationObject) {
    out.attestationObject = toBuffer(r.attestationObject);
    out.getTransports = () => r.transports;
  } else {
    out.authenticatorData = toBuffer(r.authenticatorData);
    out.signature = toBuffer(r.signature);
    out.userHandle = r.userHandle ? toBuffer(r.userHandle) : null;
  }
  return {
    id: json.id, rawId: toBuffer(json.rawId), type: json.type, response: out,
    authenticatorAttachment: json.authenticatorAttachment,
    getClientExtensionResults: () => json.clientExtensionResults,
  };
}

function ceremony(kind) {
  return async ({ publicKey }) => {
    report.checks.kind = kind;
    report.checks.challenge = toText(publicKey.challenge) === input.options.challenge;
    if (publicKey.user) {
      report.checks.userId = toText(publicKey.user.id) === input.options.user.id;
    }
    const listed = publicKey.excludeCredentials || publicKey.allowCredentials || [];
    report.checks.ids = listed.map((descriptor) => toText(descriptor.id));
    if (input.error) {
      const error = new Error(input.error);
      error.name = input.error;
      throw error;
    }
    return fakeCredential(input.credential);
  };
}
globalThis.navigator = { credentials: { create: ceremony("create"), get: ceremony("get") } };

require(input.script);
report.enabledByInit = !button.disabled;
onClick();
setTimeout(() => {
  report.value = response.value;
  report.message = message.textContent || null;
  report.buttonDisabled = button.disabled;
  report.buttonFocused = button.focused;
  process.stdout.write(JSON.stringify(report));
}, 50);
