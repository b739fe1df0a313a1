// Progressive enhancement only: the live username check and the password strength meter. Without JavaScript the
// server checks the same things on submit. No inline scripts (CSP), no dependencies.
(function () {
  "use strict";

  function debounce(fn, ms) {
    var timer;
    return function () {
      var args = arguments;
      clearTimeout(timer);
      timer = setTimeout(function () { fn.apply(null, args); }, ms);
    };
  }

  var username = document.querySelector("input[data-username-check]");
  if (username) {
    var live = document.getElementById(username.id + "-live");
    var base = username.getAttribute("data-username-check");
    var sequence = 0;
    var check = debounce(function (value) {
      var mine = ++sequence;
      if (value === "") { live.textContent = ""; live.className = "live"; return; }
      live.textContent = username.getAttribute("data-checking");
      live.className = "live";
      fetch(base + encodeURIComponent(value), { headers: { accept: "application/json" }, credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (body) {
          if (mine !== sequence) return;
          live.textContent = body.reason;
          live.className = "live " + (body.available ? "ok" : "bad");
          username.setAttribute("aria-invalid", body.available ? "false" : "true");
        })
        .catch(function () { if (mine === sequence) { live.textContent = ""; live.className = "live"; } });
    }, 350);
    username.addEventListener("input", function () { check(username.value.trim()); });
  }

  // Mirrors passwordStrength() in src/web/routes/password-policy.ts.
  function strength(p) {
    if (!p) return 0;
    var lower = p.toLowerCase();
    if (/^(.)\1+$/.test(p) || /^(password|passwort|123456789|qwertyuiop|qwertzuiop|iloveyou|changeme)/.test(lower)) return 0;
    var classes = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^A-Za-z0-9]/].filter(function (re) { return re.test(p); }).length;
    var distinct = new Set(p.split("")).size;
    var score = 0;
    if (p.length >= 10) score++;
    if (p.length >= 14) score++;
    if (classes >= 3 || (p.length >= 16 && classes >= 2)) score++;
    if (distinct >= 8 && p.length >= 12) score++;
    return Math.min(4, score);
  }

  var meterInput = document.querySelector("input[data-strength-meter]");
  if (meterInput) {
    var out = document.getElementById(meterInput.id + "-live");
    var labels = meterInput.getAttribute("data-strengths").split("|");
    var label = meterInput.getAttribute("data-strength-label");
    var meter = document.createElement("meter");
    meter.min = 0; meter.max = 4; meter.low = 2; meter.high = 3; meter.optimum = 4; meter.value = 0;
    meter.setAttribute("aria-hidden", "true");
    out.parentNode.insertBefore(meter, out);
    meterInput.addEventListener("input", function () {
      var s = strength(meterInput.value);
      meter.value = s;
      out.textContent = meterInput.value ? label + ": " + labels[s] : "";
    });
  }

  // Move focus to the error summary so keyboard and screen-reader users land on it.
  var summary = document.getElementById("form-errors");
  if (summary) summary.focus();
})();
