// lawpoint staff console: the little JavaScript the pages use. Everything
// works without it; it only adds live updates: the LED preview as you type,
// and polling of device commands until their results arrive.
"use strict";

(function () {
  // Ask before a dangerous action (reboot).
  document.querySelectorAll("form[data-confirm]").forEach(function (f) {
    f.addEventListener("submit", function (e) {
      if (!window.confirm(f.getAttribute("data-confirm"))) { e.preventDefault(); }
    });
  });

  // Live LED preview on the message form.
  var body = document.getElementById("body");
  var box = document.getElementById("previews");
  if (body && box && body.dataset.preview) {
    var form = document.getElementById("message-form");
    var timer = null, seq = 0;
    var fields = ["body", "colour", "effect", "speed", "stay", "target"];
    var update = function () {
      var q = new URLSearchParams();
      fields.forEach(function (n) { var el = form.elements[n]; if (el) { q.set(n, el.value); } });
      var mine = ++seq;
      fetch(body.dataset.preview + "?" + q.toString(), { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (r) { return r.json(); })
        .then(function (d) { if (mine === seq) { show(d); } })
        .catch(function () {});
    };
    var show = function (d) {
      var err = document.getElementById("body-error");
      var msg = (d.errors && d.errors.body) || "";
      (d.previews || []).forEach(function (p) { if (!msg && p.error) { msg = p.error; } });
      err.textContent = msg;
      err.hidden = !msg;
      while (box.children.length > 1) { box.removeChild(box.lastChild); }
      (d.previews || []).forEach(function (p) {
        var div = document.createElement("div");
        div.className = "preview";
        div.dataset.board = p.board;
        var h = document.createElement("h3");
        h.textContent = p.label;
        if (p.devices) {
          var s = document.createElement("small");
          s.textContent = " 共 " + p.devices + " 台：" + (p.device_ids || []).join("、");
          h.appendChild(s);
        }
        div.appendChild(h);
        if (p.error) {
          var e = document.createElement("p");
          e.className = "field-error";
          e.textContent = p.error;
          div.appendChild(e);
        }
        if (p.pages.length > 1 || p.scroll) { div.appendChild(demo(p)); }
        p.pages.forEach(function (src, i) {
          var fig = document.createElement("figure");
          var img = document.createElement("img");
          img.className = "led"; img.src = src; img.width = p.width; img.height = p.height;
          img.alt = "第" + (i + 1) + "页";
          var cap = document.createElement("figcaption");
          cap.textContent = "第 " + (i + 1) + " 页" + (p.scroll ? "（滚动显示的一段）" : "");
          fig.appendChild(img); fig.appendChild(cap); div.appendChild(fig);
        });
        box.appendChild(div);
      });
    };
    // demo plays the pages as the board does, in a window the board's
    // size: a scroll moves the pages through it from the right (at an
    // approximate pace: the card's firmware sets the real one); other
    // effects show the pages in turn, each for its stay time.
    var demo = function (p) {
      var wrap = document.createElement("div");
      wrap.className = "led-demo";
      var btn = document.createElement("button");
      btn.type = "button"; btn.className = "small"; btn.textContent = "播放演示";
      var view = document.createElement("div");
      view.className = "led-demo-view"; view.hidden = true;
      var strip = document.createElement("div");
      strip.className = "led-demo-strip";
      p.pages.forEach(function (src) {
        var img = document.createElement("img");
        img.className = "led"; img.src = src; img.width = p.width; img.height = p.height; img.alt = "";
        strip.appendChild(img);
      });
      view.appendChild(strip);
      var anim = null;
      btn.addEventListener("click", function () {
        if (anim) { anim.cancel(); anim = null; view.hidden = true; btn.textContent = "播放演示"; return; }
        view.hidden = false; btn.textContent = "停止演示";
        // The window takes the size the still pages have on screen (a
        // narrow screen shrinks them), so the demo shows the same dots.
        var still = wrap.parentNode.querySelector("figure img.led");
        var w = still ? still.getBoundingClientRect().width : p.width;
        var h = w * p.height / p.width;
        view.style.width = w + "px"; view.style.height = h + "px";
        strip.querySelectorAll("img").forEach(function (img) { img.style.width = w + "px"; img.style.height = h + "px"; });
        var n = p.pages.length, frames, ms;
        if (p.scroll) {
          var travel = (n + 1) * w;
          frames = [{ transform: "translateX(" + w + "px)" }, { transform: "translateX(" + (-n * w) + "px)" }];
          ms = 1000 * travel / Math.max(1, p.dots_per_second * p.scale * w / p.width);
          anim = strip.animate(frames, { duration: ms, iterations: Infinity, easing: "linear" });
        } else {
          frames = [];
          for (var i = 0; i < n; i++) { frames.push({ transform: "translateX(" + (-i * w) + "px)", offset: i / n }); }
          frames.push({ transform: "translateX(" + (-(n - 1) * w) + "px)", offset: 1 });
          anim = strip.animate(frames, { duration: 1000 * n * p.stay_seconds, iterations: Infinity, easing: "steps(1, end)" });
        }
      });
      wrap.appendChild(btn); wrap.appendChild(view);
      var note = document.createElement("small");
      note.textContent = p.scroll ? " 滚动速度为近似值，以屏上实际为准" : " 每页停留 " + p.stay_seconds + " 秒";
      wrap.appendChild(note);
      return wrap;
    };
    form.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(update, 400); });
    form.addEventListener("change", function () { clearTimeout(timer); timer = setTimeout(update, 100); });
  }

  // Poll device commands while any is waiting for its result.
  var table = document.querySelector("table[data-poll]");
  if (table) {
    var url = table.getAttribute("data-poll");
    var tries = 0;
    var poll = function () {
      fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (r) { return r.json(); })
        .then(function (d) {
          var open = false;
          (d.commands || []).forEach(function (c) {
            var row = table.querySelector('tr[data-command="' + c.id + '"]');
            if (!row) { return; }
            row.querySelector(".state").textContent = c.state_name;
            var res = row.querySelector(".result");
            if (res.dataset.shown !== c.result + c.screenshot) {
              res.dataset.shown = c.result + c.screenshot;
              res.textContent = c.result;
              if (c.screenshot) {
                var img = document.createElement("img");
                img.className = "screenshot"; img.src = c.screenshot; img.alt = "设备截图";
                res.appendChild(document.createElement("br"));
                res.appendChild(img);
              }
            }
            open = open || c.open;
          });
          if (open && ++tries < 200) { setTimeout(poll, 3000); }
        })
        .catch(function () { if (++tries < 200) { setTimeout(poll, 10000); } });
    };
    setTimeout(poll, 2000);
  }

  // Rollout progress (notice and schedule pages): poll the JSON while
  // anything is pending, and update the bar, the counts and each row.
  var ro = document.querySelector("[data-rollout]");
  if (ro) {
    var rurl = ro.getAttribute("data-rollout"), rtries = 0;
    var set = function (sel, v) { var el = ro.querySelector(sel); if (el) { el.textContent = v; } };
    var rpoll = function () {
      fetch(rurl, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (r) { return r.json(); })
        .then(function (d) {
          var bar = document.getElementById("rollout-bar");
          if (bar) { bar.max = d.total || 1; bar.value = d.converged; bar.textContent = d.percent + "%"; }
          set(".r-converged", d.converged); set(".r-total", d.total);
          set(".r-pending", d.pending); set(".r-failed", d.failed);
          (d.devices || []).forEach(function (dv) {
            var row = ro.querySelector('tr[data-device="' + dv.id + '"]');
            if (!row) { return; }
            var b = row.querySelector(".badge");
            b.className = "badge " + dv.status; b.textContent = dv.status_name;
            row.cells[4].textContent = dv.reason || "";
            row.cells[5].textContent = dv.online ? "在线" : "离线";
          });
          if (++rtries < 720) { setTimeout(rpoll, d.done ? 30000 : 5000); }
        })
        .catch(function () { if (++rtries < 720) { setTimeout(rpoll, 15000); } });
    };
    setTimeout(rpoll, 5000);
  }
})();
