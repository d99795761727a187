/* The desk's ticket page: scroll the conversation to its newest message, insert canned
   replies, fetch an AI draft, and warn when a colleague has the ticket open or is typing.
   A static file, no inline script: the admin's Content-Security-Policy may forbid those. */
(function () {
  "use strict";

  function csrfToken(form) {
    var input = form && form.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function post(url, form, fields) {
    var body = new URLSearchParams(fields);
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: {"X-CSRFToken": csrfToken(form), "Content-Type": "application/x-www-form-urlencoded"},
      body: body.toString()
    }).then(function (response) {
      if (!response.ok) { throw new Error("HTTP " + response.status); }
      return response.json();
    });
  }

  function insertText(textarea, text) {
    var start = textarea.selectionStart || 0, end = textarea.selectionEnd || 0;
    var before = textarea.value.slice(0, start), after = textarea.value.slice(end);
    textarea.value = before + text + after;
    textarea.focus();
    textarea.selectionStart = textarea.selectionEnd = (before + text).length;
  }

  function setUp() {
    var desk = document.querySelector(".fte-desk");
    if (!desk) { return; }
    var timeline = document.getElementById("fte-timeline");
    if (timeline) { timeline.scrollTop = timeline.scrollHeight; }

    var form = document.getElementById("fte-reply-form");
    var text = document.getElementById("fte-reply-text");

    var macro = document.getElementById("fte-macro");
    if (macro && text) {
      macro.addEventListener("change", function () {
        var option = macro.options[macro.selectedIndex];
        if (option && option.dataset.body) { insertText(text, option.dataset.body); }
        macro.selectedIndex = 0;
      });
    }

    var draft = document.getElementById("fte-draft");
    var status = document.getElementById("fte-draft-status");
    if (draft && form && text) {
      draft.hidden = false;
      draft.addEventListener("click", function () {
        if (text.value.trim() && !window.confirm("Replace what you have written with the AI's draft?")) { return; }
        var channel = document.getElementById("fte-reply-channel");
        draft.disabled = true;
        status.textContent = "Drafting…";
        post(form.dataset.draftUrl, form, {channel: channel ? channel.value : ""}).then(function (data) {
          if (data.text) {
            text.value = data.text;
            text.focus();
            status.textContent = data.articles && data.articles.length ?
              "Draft from: " + data.articles.join(", ") + ". Check it before sending." : "Check the draft before sending.";
          } else {
            status.textContent = data.note || "No draft.";
          }
        }).catch(function () {
          status.textContent = "The draft could not be made; write the reply yourself.";
        }).then(function () { draft.disabled = false; });
      });
    }

    var presenceUrl = desk.dataset.presenceUrl;
    var banner = document.getElementById("fte-presence");
    if (!presenceUrl || !banner) { return; }
    var lastTyped = 0, delay = 10000, timer = null;
    if (text) {
      text.addEventListener("input", function () {
        var first = Date.now() - lastTyped > 5000;
        lastTyped = Date.now();
        if (first) { report(); }  // tell colleagues at once that someone started typing
      });
    }

    function show(others) {
      if (!others.length) { banner.hidden = true; banner.textContent = ""; return; }
      var typing = others.filter(function (o) { return o.typing; }).map(function (o) { return o.name; });
      var viewing = others.filter(function (o) { return !o.typing; }).map(function (o) { return o.name; });
      var parts = [];
      if (typing.length) { parts.push(typing.join(", ") + (typing.length > 1 ? " are" : " is") + " typing a reply"); }
      if (viewing.length) { parts.push(viewing.join(", ") + (viewing.length > 1 ? " have" : " has") + " this ticket open"); }
      banner.textContent = "⚠ " + parts.join("; ") + ".";
      banner.hidden = false;
    }

    function report() {
      if (timer) { clearTimeout(timer); }
      var typing = Date.now() - lastTyped < 12000 ? "1" : "0";
      post(presenceUrl, form || desk, {typing: typing}).then(function (data) {
        show(data.others || []);
        delay = 10000;
      }).catch(function () {
        delay = Math.min(delay * 2, 60000);  // back off while the server is unhappy
      }).then(function () {
        timer = setTimeout(report, document.hidden ? Math.max(delay, 30000) : delay);
      });
    }
    report();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUp);
  } else {
    setUp();
  }
})();
