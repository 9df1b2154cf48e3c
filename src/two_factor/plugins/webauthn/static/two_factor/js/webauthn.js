/* WebAuthn for django-twofold: register a security key, use it to sign in, sign in with a passkey.
 *
 * Markup (see templates/two_factor/webauthn/): an element with data-webauthn="create", "get" or
 * "passkey" and data-options-url, holding a hidden input[data-webauthn-response], a
 * button[data-webauthn-start] and a [data-webauthn-message] for errors. The button asks the server
 * for options (POST, with the CSRF token), calls navigator.credentials.create() or .get(), puts
 * the response (JSON) into the hidden input and submits the form. A passkey is posted with
 * fetch() and the page then goes where the server says.
 */
(function () {
  "use strict";

  if (window.twoFactorWebauthn) {
    return; // the script may be included more than once on a page
  }

  function toBuffer(text) {
    var base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    base64 += "====".slice(0, (4 - (base64.length % 4)) % 4);
    var binary = atob(base64);
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) {
      bytes[i] = binary.charCodeAt(i);
    }
    return bytes.buffer;
  }

  function toText(buffer) {
    var bytes = new Uint8Array(buffer);
    var binary = "";
    for (var i = 0; i < bytes.length; i++) {
      binary += String.fromCharCode(bytes[i]);
    }
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function withIds(descriptors) {
    return (descriptors || []).map(function (descriptor) {
      return Object.assign({}, descriptor, { id: toBuffer(descriptor.id) });
    });
  }

  function creationOptions(json) {
    return Object.assign({}, json, {
      challenge: toBuffer(json.challenge),
      user: Object.assign({}, json.user, { id: toBuffer(json.user.id) }),
      excludeCredentials: withIds(json.excludeCredentials),
    });
  }

  function requestOptions(json) {
    return Object.assign({}, json, {
      challenge: toBuffer(json.challenge),
      allowCredentials: withIds(json.allowCredentials),
    });
  }

  function credentialJSON(credential) {
    var response = credential.response;
    var data = { clientDataJSON: toText(response.clientDataJSON) };
    if (response.attestationObject) {
      data.attestationObject = toText(response.attestationObject);
      data.transports = response.getTransports ? response.getTransports() : [];
    } else {
      data.authenticatorData = toText(response.authenticatorData);
      data.signature = toText(response.signature);
      data.userHandle = response.userHandle ? toText(response.userHandle) : null;
    }
    return JSON.stringify({
      id: credential.id,
      rawId: toText(credential.rawId),
      type: credential.type,
      response: data,
      authenticatorAttachment: credential.authenticatorAttachment || null,
      clientExtensionResults: credential.getClientExtensionResults
        ? credential.getClientExtensionResults() : {},
    });
  }

  function ServerError(message) {
    this.message = message;
  }

  function csrfToken(form) {
    var input = form && form.querySelector("input[name=csrfmiddlewaretoken]");
    if (input) {
      return input.value;
    }
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function post(url, form, body, fallbackMessage) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Accept": "application/json", "X-CSRFToken": csrfToken(form) },
      body: body,
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) {
          throw new ServerError(data.error || fallbackMessage);
        }
        return data;
      });
    });
  }

  function messages(container) {
    var element = container.querySelector("[data-webauthn-messages]");
    return element ? element.dataset : {};
  }

  function showMessage(container, text) {
    var element = container.querySelector("[data-webauthn-message]");
    if (element) {
      // Only the text changes: a live region that is itself shown and hidden again is not
      // announced by every screen reader.
      element.textContent = text || "";
    }
  }

  function errorMessage(container, error) {
    if (error instanceof ServerError) {
      return error.message;
    }
    var name = error && error.name;
    if (name === "NotAllowedError" || name === "AbortError") {
      return messages(container).cancelled;
    }
    if (name === "InvalidStateError" && container.dataset.webauthn === "create") {
      return messages(container).known;
    }
    return messages(container).failed;
  }

  function start(container, button) {
    var kind = container.dataset.webauthn;
    var form = container.tagName === "FORM" ? container : container.closest("form");
    var failed = messages(container).failed;
    showMessage(container, "");
    button.disabled = true;
    post(container.dataset.optionsUrl, form, null, failed)
      .then(function (options) {
        if (kind === "create") {
          return navigator.credentials.create({ publicKey: creationOptions(options) });
        }
        return navigator.credentials.get({ publicKey: requestOptions(options) });
      })
      .then(function (credential) {
        if (!credential) {
          throw new Error("no credential");
        }
        container.querySelector("[data-webauthn-response]").value = credentialJSON(credential);
        if (kind !== "passkey") {
          form.submit();
          return null;
        }
        return post(form.action, form, new FormData(form), failed).then(function (data) {
          window.location.assign(data.redirect);
        });
      })
      .catch(function (error) {
        showMessage(container, errorMessage(container, error));
        button.disabled = false;
        button.focus();  // disabled, it lost the focus: give it back, next to the message
      });
  }

  function init() {
    var supported = Boolean(window.PublicKeyCredential && navigator.credentials);
    document.querySelectorAll("[data-webauthn-supported]").forEach(function (element) {
      element.hidden = !supported;
    });
    document.querySelectorAll("[data-webauthn-needs-script]").forEach(function (element) {
      element.hidden = true;  // this script runs
    });
    document.querySelectorAll("[data-webauthn]").forEach(function (container) {
      var button = container.querySelector("[data-webauthn-start]");
      if (!button) {
        return;
      }
      if (!supported) {
        showMessage(container, messages(container).unsupported);
        button.disabled = true;
        return;
      }
      button.addEventListener("click", function () { start(container, button); });
      button.disabled = false;  // the page sends it disabled: a click before this did nothing
    });
  }

  window.twoFactorWebauthn = { toBuffer: toBuffer, toText: toText, credentialJSON: credentialJSON };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
