/*
 * NSSF assistant web chat (no dependencies).
 *
 * Sends {"sender", "message"} to /chat/api/message and renders the Rasa REST messages it gets
 * back. Everything the user or the bot wrote is untrusted: it is only ever put on the page with
 * textContent or as element attributes, never parsed as HTML.
 */
(function () {
  "use strict";

  var API_URL = "/chat/api/message";
  var KEPT_URL = "/chat/api/notifications";
  var SENDER_KEY = "nssf-chat-sender";
  var SENDER_RE = /^[A-Za-z0-9_-]{1,64}$/;
  var KHMER_RE = /[\u1780-\u17FF\u19E0-\u19FF]/;
  var REQUEST_TIMEOUT_MS = 40000; // the server gives up on Rasa after 25 s by default

  var MSG_NETWORK =
    "Could not reach the server. Please check your connection and try again. / " +
    "មិនអាចភ្ជាប់ទៅម៉ាស៊ីនមេបានទេ។ សូមពិនិត្យការតភ្ជាប់ ហើយព្យាយាមម្តងទៀត។";
  var MSG_SERVER =
    "Something went wrong. Please try again. / មានបញ្ហាកើតឡើង។ សូមព្យាយាមម្តងទៀត។";
  var MSG_NO_REPLY =
    "The assistant had no answer to that. Try asking another way. / " +
    "ជំនួយការមិនមានចម្លើយសម្រាប់សំណួរនេះទេ។ សូមសាកសួរតាមរបៀបផ្សេង។";
  var LABEL_RETRY = "Try again / ព្យាយាមម្តងទៀត";
  var LABEL_IMAGE = "Image from the assistant / រូបភាពពីជំនួយការ";

  var messagesEl = document.getElementById("messages");
  var typingEl = document.getElementById("typing");
  var form = document.getElementById("composer");
  var input = document.getElementById("message-input");

  var sender = loadSender();
  var pending = 0;
  // Messages are sent one after another so the replies come back in the order they were asked.
  var queue = Promise.resolve();

  function randomId() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") {
      return window.crypto.randomUUID();
    }
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map
      .call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); })
      .join("");
  }

  function loadSender() {
    var id = null;
    try {
      id = window.localStorage.getItem(SENDER_KEY);
    } catch (e) {
      id = null; // storage disabled (private mode): the id lives as long as the page
    }
    if (!id || !SENDER_RE.test(id)) {
      id = randomId();
      try {
        window.localStorage.setItem(SENDER_KEY, id);
      } catch (e) {
        /* keep the in-memory id */
      }
    }
    return id;
  }

  function langOf(text) {
    return KHMER_RE.test(text) ? "km" : "en";
  }

  function scrollToEnd() {
    messagesEl.scrollTop = messagesEl.scrollHeight;
  }

  function addBubble(kind, text) {
    var bubble = document.createElement("div");
    bubble.className = "bubble " + kind;
    if (typeof text === "string" && text !== "") {
      var p = document.createElement("p");
      p.textContent = text; // line breaks are kept by CSS (white-space: pre-wrap)
      p.lang = langOf(text);
      bubble.appendChild(p);
    }
    messagesEl.appendChild(bubble);
    scrollToEnd();
    return bubble;
  }

  function safeImageUrl(src) {
    if (typeof src !== "string" || src === "") return null;
    try {
      var url = new URL(src, window.location.href);
      return url.protocol === "https:" || url.protocol === "http:" ? url.href : null;
    } catch (e) {
      return null;
    }
  }

  function addChips(bubble, buttons) {
    var group = document.createElement("div");
    group.className = "chips";
    group.setAttribute("role", "group");
    buttons.forEach(function (b) {
      if (!b || typeof b !== "object") return;
      var title = typeof b.title === "string" ? b.title : "";
      var payload = typeof b.payload === "string" ? b.payload : title;
      if (!title && !payload) return;
      var chip = document.createElement("button");
      chip.type = "button";
      chip.className = "chip";
      chip.textContent = title || payload;
      chip.lang = langOf(title || payload);
      // Chips of older messages stay on the page and keep working.
      chip.addEventListener("click", function () {
        send(payload, title || payload);
      });
      group.appendChild(chip);
    });
    if (group.childNodes.length) bubble.appendChild(group);
  }

  function renderBotMessage(msg) {
    if (!msg || typeof msg !== "object") return;
    var hasButtons = Array.isArray(msg.buttons) && msg.buttons.length > 0;
    var image = safeImageUrl(msg.image);
    if (typeof msg.text !== "string" && !hasButtons && !image) return;
    var bubble = addBubble("bot", msg.text);
    if (image) {
      var img = document.createElement("img");
      img.src = image;
      img.alt = LABEL_IMAGE;
      img.loading = "lazy";
      img.referrerPolicy = "no-referrer";
      img.addEventListener("load", scrollToEnd);
      bubble.appendChild(img);
    }
    if (hasButtons) addChips(bubble, msg.buttons);
    scrollToEnd();
  }

  function showError(text, retry) {
    var bubble = addBubble("error", text);
    bubble.setAttribute("role", "alert");
    if (retry) {
      var again = document.createElement("button");
      again.type = "button";
      again.className = "chip";
      again.textContent = LABEL_RETRY;
      again.addEventListener("click", function () {
        again.disabled = true;
        retry();
      });
      var group = document.createElement("div");
      group.className = "chips";
      group.appendChild(again);
      bubble.appendChild(group);
    }
    scrollToEnd();
  }

  function setTyping(delta) {
    pending += delta;
    typingEl.hidden = pending <= 0;
    messagesEl.setAttribute("aria-busy", pending > 0 ? "true" : "false");
    if (pending > 0) scrollToEnd();
  }

  function postMessage(message) {
    var controller = typeof AbortController === "function" ? new AbortController() : null;
    var timer = controller ? window.setTimeout(function () { controller.abort(); }, REQUEST_TIMEOUT_MS) : null;
    return fetch(API_URL, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({ sender: sender, message: message }),
      credentials: "same-origin",
      signal: controller ? controller.signal : undefined,
    })
      .then(function (response) {
        return response.json().then(
          function (data) { return { response: response, data: data }; },
          function () { return { response: response, data: null }; }
        );
      })
      .finally(function () {
        if (timer) window.clearTimeout(timer);
      });
  }

  /* Send `message` to the assistant, showing `shown` (e.g. a button's title) as the user's bubble. */
  function send(message, shown, restoreOnReject) {
    if (typeof message !== "string" || message.trim() === "") return;
    addBubble("user", typeof shown === "string" && shown !== "" ? shown : message);
    queue = queue.then(function () { return exchange(message, shown, restoreOnReject); });
  }

  function exchange(message, shown, restoreOnReject) {
    setTyping(1);
    return postMessage(message)
      .then(
        function (result) {
          var response = result.response;
          var data = result.data;
          if (response.ok && Array.isArray(data)) {
            if (data.length === 0) addBubble("bot note", MSG_NO_REPLY);
            data.forEach(renderBotMessage);
            return;
          }
          var text = data && typeof data.error === "string" && data.error ? data.error : MSG_SERVER;
          if (response.status >= 400 && response.status < 500) {
            showError(text, null);
            // A rejected message (e.g. too long) goes back into an empty box so it can be edited.
            if (restoreOnReject && input.value === "") input.value = message;
          } else {
            showError(text, function () { send(message, shown, restoreOnReject); });
          }
        },
        function () {
          showError(MSG_NETWORK, function () { send(message, shown, restoreOnReject); });
        }
      )
      .finally(function () {
        setTyping(-1);
      });
  }

  function autoGrow() {
    input.style.height = "auto";
    input.style.height = input.scrollHeight + "px";
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value;
    if (text.trim() === "") {
      input.focus();
      return; // empty input is never sent
    }
    input.value = "";
    autoGrow();
    send(text, text, true);
    input.focus();
  });

  input.addEventListener("keydown", function (event) {
    // Enter sends, Shift+Enter adds a line; never while a Khmer/IME composition is in progress.
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
      event.preventDefault();
      if (typeof form.requestSubmit === "function") {
        form.requestSubmit();
      } else {
        form.dispatchEvent(new Event("submit", { cancelable: true }));
      }
    }
  });

  input.addEventListener("input", autoGrow);

  /* Answers kept for this conversation (the user asked to be told when NSSF has one): shown
     first, at each visit. Nothing to show, or no connection: nothing happens. */
  queue = queue.then(function () {
    return fetch(KEPT_URL, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({ sender: sender }),
      credentials: "same-origin",
    })
      .then(function (response) { return response.ok ? response.json() : []; })
      .then(function (data) { if (Array.isArray(data)) data.forEach(renderBotMessage); })
      .catch(function () {});
  });
})();
