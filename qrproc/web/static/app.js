// The desk's little script: follow a background job, copy the report's sentence, tick every card
// of a list, and size the report's frame to its content. The pages work without it (a job page
// then reloads itself every few seconds).
"use strict";

function followJob(box) {
  var url = box.getAttribute("data-job-url");
  var bar = box.querySelector("progress");
  var label = box.querySelector("[data-job-label]");
  var count = box.querySelector("[data-job-count]");
  function poll() {
    fetch(url, { headers: { "Accept": "application/json" }, cache: "no-store" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (job) {
        if (!job) { setTimeout(poll, 2000); return; }
        if (job.state === "done" || job.state === "failed") { window.location.reload(); return; }
        if (label) { label.textContent = job.label; }
        if (job.total) {
          bar.max = job.total; bar.value = job.done;
          if (count) { count.textContent = job.done + "/" + job.total; }
        } else {
          bar.removeAttribute("value");
          if (count) { count.textContent = ""; }
        }
        setTimeout(poll, 500);
      })
      .catch(function () { setTimeout(poll, 2000); });
  }
  poll();
}

function copyText(button) {
  var target = document.getElementById(button.getAttribute("data-copy"));
  var status = document.getElementById(button.getAttribute("data-copy-status"));
  var text = target.textContent.trim();
  function said(ok) {
    status.textContent = ok ? "Đã sao chép." : "Không sao chép được: hãy bôi đen câu rồi bấm Ctrl+C.";
  }
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(text).then(function () { said(true); }, function () { said(false); });
  } else {
    var range = document.createRange();
    range.selectNodeContents(target);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    said(document.execCommand("copy"));
  }
}

function tickAll(box) {
  var form = box.form;
  var name = box.getAttribute("data-check-all");
  box.addEventListener("change", function () {
    form.querySelectorAll('input[type="checkbox"][name="' + name + '"]').forEach(function (c) {
      c.checked = box.checked;
    });
  });
}

function fitFrame(frame) {
  function fit() {
    try {
      var doc = frame.contentDocument;
      if (doc && doc.documentElement) {
        frame.style.height = (doc.documentElement.scrollHeight + 4) + "px";
      }
    } catch (e) { /* not ours to size: keep the stylesheet's height */ }
  }
  frame.addEventListener("load", fit);
  window.addEventListener("resize", fit);
  fit();
}

function showFileNames(input) {
  var out = document.getElementById(input.getAttribute("data-file-names"));
  var empty = out.textContent;
  input.addEventListener("change", function () {
    var names = Array.prototype.map.call(input.files, function (f) { return f.name; });
    out.textContent = names.length ? names.join(", ") : empty;
  });
}

document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("input[data-file-names]").forEach(showFileNames);
  document.querySelectorAll("[data-job-url]").forEach(followJob);
  document.querySelectorAll("button[data-copy]").forEach(function (b) {
    b.hidden = false;
    b.addEventListener("click", function () { copyText(b); });
  });
  document.querySelectorAll("input[data-check-all]").forEach(tickAll);
  document.querySelectorAll("iframe[data-fit]").forEach(fitFrame);
});
