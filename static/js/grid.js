/* The rating grid: a spreadsheet-like list that sends only what changed and loses nothing.
   Everything here is an enhancement: without JavaScript the grid is a plain form.

   - Only changed rows are sent (to the live check and on "Lưu"): the other rows' boxes are
     disabled for the moment of the submit, so a 2,000-member grid posts a few fields.
   - What is typed is kept in this browser (localStorage) until the server holds the same
     values: a session that expired, a closed tab or a crash loses nothing.
   - Paste a column from Excel/LibreOffice, undo the last change, filter, search and sort. */
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  var NOT_RATED = "none";
  // Unsaved rows kept in the browser are offered back for three days (a session expiry, a
  // closed tab, a crash); logging out clears them (app.js).
  var DRAFT_MAX_AGE_MS = 3 * 24 * 3600 * 1000;

  function rowOf(el) { return el && el.closest ? el.closest("tbody.grid-member") : null; }
  function inputsOf(row) {
    return Array.prototype.slice.call(row.querySelectorAll("select[name], input[name]"));
  }
  function norm(text) {
    return (text || "").normalize("NFC").trim().toLowerCase().replace(/\s+/g, " ");
  }
  function initialValue(el) {
    if (el.tagName === "SELECT") {
      var selected = Array.prototype.filter.call(el.options, function (o) { return o.defaultSelected; })[0];
      return selected ? selected.value : (el.options[0] ? el.options[0].value : "");
    }
    return el.defaultValue;
  }
  function rowChanged(row) {
    return inputsOf(row).some(function (el) {
      return el.type !== "hidden" && el.value !== initialValue(el);
    });
  }
  function rowToSend(row) {
    return row.hasAttribute("data-prefilled") || row.hasAttribute("data-touched") || rowChanged(row);
  }

  // The reason boxes are sent only for the rows that need them: add them from the page's
  // template when "not rated" is chosen.
  function addReasonBox(row, level) {
    var template = document.getElementById("grid-reason-template");
    if (!template) return null;
    var mid = row.dataset.member;
    var name = ((row.querySelector(".grid-name a") || {}).textContent || "")
      .replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/"/g, "&quot;");
    var html = template.innerHTML.split("__MID__").join(mid).split("__NAME__").join(name);
    level.closest(".grid-level-box").insertAdjacentHTML("afterend", html);
    return row.querySelector("[data-grid-reason-box]");
  }

  // The reason box of the 70 part: only where it differs from the task ledger's suggestion.
  function syncTasksReason(row) {
    var tasks = row.querySelector("[data-col=tasks][data-suggested]");
    if (!tasks || row.querySelector("[data-grid-tasks-reason]")) return;
    var typed = tasks.value.trim();
    if (!typed || typed === tasks.dataset.suggested) return;
    var box = document.createElement("input");
    box.name = "tasks_reason_" + row.dataset.member;
    box.id = "id_" + box.name;
    box.dataset.col = "tasks_reason";
    box.setAttribute("data-grid-tasks-reason", "");
    box.className = "form-control form-control-sm grid-tasks-reason";
    box.placeholder = tasks.closest("form").dataset.tasksReasonLabel || "";
    box.setAttribute("aria-label", box.placeholder);
    tasks.closest("td").appendChild(box);
  }

  function syncRow(row) {
    if (!row) return;
    syncTasksReason(row);
    var level = row.querySelector("[data-grid-level]");
    var box = row.querySelector("[data-grid-reason-box]");
    if (level && !box && level.value === NOT_RATED) box = addReasonBox(row, level);
    var reason = row.querySelector("[data-grid-reason]");
    var note = row.querySelector("[data-grid-reason-note]");
    if (!level || !box) return;
    var show = level.value === NOT_RATED || (level.value === "" && reason && reason.value !== "");
    box.classList.toggle("is-collapsed", !show);
    if (note) note.classList.toggle("is-collapsed", !(show && reason && reason.value === "other"));
  }

  function init() {
    document.addEventListener("click", function (event) {
      if (event.target.closest("[data-print]")) window.print();
    });
    var form = document.querySelector("[data-grid-form]");
    if (!form) return;
    // A page too large to post whole without JavaScript comes disabled (it sends only the
    // changed rows with it).
    Array.prototype.forEach.call(form.querySelectorAll("fieldset[data-nojs-disabled]"), function (f) {
      f.disabled = false;
    });
    var rows = Array.prototype.slice.call(form.querySelectorAll("tbody.grid-member"));
    var byId = {};
    rows.forEach(function (row) { byId[row.dataset.member] = row; syncRow(row); });
    var notices = document.getElementById("grid-notices");
    var undoButton = form.querySelector("[data-grid-undo]");
    var undoStack = [];
    var storeKey = form.dataset.storeKey;

    function notice(kind, html, id) {
      if (!notices) return null;
      var old = id && document.getElementById(id);
      if (old) old.remove();
      var div = document.createElement("div");
      div.className = "alert alert-" + kind + " py-2 mb-2";
      if (id) div.id = id;
      div.setAttribute("role", kind === "danger" ? "alert" : "status");
      div.innerHTML = html;
      notices.appendChild(div);
      return div;
    }

    function markDirty() {
      var n = rows.filter(function (row) { return rowChanged(row); }).length;
      form.dataset.dirty = n ? "1" : "";
      if (!n) delete form.dataset.dirty;
      var counter = form.querySelector("[data-grid-dirty-count]");
      if (counter) counter.textContent = n ? n + " dòng chưa lưu" : "";
      var submit = form.querySelector("[data-grid-submit]");
      if (submit && n) submit.disabled = true;
    }

    // --- kept in the browser until saved ----------------------------------------------------
    function storeRead() {
      try { return JSON.parse(window.localStorage.getItem(storeKey) || "null"); } catch (e) { return null; }
    }
    function storeWrite() {
      if (!storeKey || window.pbLoggingOut) return;
      var data = { at: Date.now(), rows: {} };
      rows.forEach(function (row) {
        if (!rowChanged(row)) return;
        var values = {};
        inputsOf(row).forEach(function (el) { values[el.name] = el.value; });
        data.rows[row.dataset.member] = values;
      });
      try {
        if (Object.keys(data.rows).length) window.localStorage.setItem(storeKey, JSON.stringify(data));
        else window.localStorage.removeItem(storeKey);
      } catch (e) { /* storage full or disabled: the server copy is all there is */ }
    }
    function storeRestore() {
      // Just saved: what was kept is on the server now (the save may have filled boxes left
      // empty, such as the total of 30 + 70, so comparing values would call them unsaved).
      if (form.hasAttribute("data-store-saved")) { window.localStorage.removeItem(storeKey); return; }
      var data = storeRead();
      if (!data || !data.rows) return;
      // Kept for one login after an expiry, not for ever: older drafts are dropped.
      if (!data.at || Date.now() - data.at > DRAFT_MAX_AGE_MS) {
        window.localStorage.removeItem(storeKey);
        return;
      }
      var restored = 0;
      Object.keys(data.rows).forEach(function (mid) {
        var row = byId[mid];
        if (!row) return;
        var values = data.rows[mid];
        var differs = inputsOf(row).some(function (el) {
          return el.type !== "hidden" && values[el.name] !== undefined && values[el.name] !== el.value;
        });
        if (!differs) return;
        inputsOf(row).forEach(function (el) {
          // The version it was typed against comes back too: if someone saved the row
          // meanwhile, "Lưu" shows both values instead of overwriting theirs.
          if (values[el.name] !== undefined) el.value = values[el.name];
        });
        row.setAttribute("data-touched", "");
        syncRow(row);
        restored += 1;
      });
      if (restored) {
        var when = new Date(data.at);
        var box = notice("warning",
          "<strong>Đã khôi phục " + restored + " dòng bạn nhập mà chưa lưu</strong> (lúc " +
          when.toLocaleTimeString("vi-VN") + " " + when.toLocaleDateString("vi-VN") +
          "). Kiểm tra rồi bấm <strong>Lưu</strong>. " +
          "<button type=\"button\" class=\"btn btn-sm btn-outline-secondary\" data-discard>Bỏ các mục này</button>",
          "grid-restored");
        box.querySelector("[data-discard]").addEventListener("click", function () {
          window.localStorage.removeItem(storeKey);
          window.location.reload();
        });
        markDirty();
        check();
      } else {
        window.localStorage.removeItem(storeKey);
      }
    }

    // --- sending only what changed ----------------------------------------------------------
    function sentRows() { return rows.filter(rowToSend); }
    function payload(extra) {
      var data = new FormData();
      data.append("csrfmiddlewaretoken", form.querySelector("[name=csrfmiddlewaretoken]").value);
      data.append("round_version", form.querySelector("[data-round-version]").value);
      sentRows().forEach(function (row) {
        inputsOf(row).forEach(function (el) { data.append(el.name, el.value); });
      });
      Object.keys(extra || {}).forEach(function (k) { data.append(k, extra[k]); });
      return data;
    }

    var checkTimer = null, checkController = null;
    function check() {
      if (!form.dataset.checkUrl) return;
      clearTimeout(checkTimer);
      form.dataset.checking = "1";  // until the answer is in (the browser tests wait on it)
      checkTimer = setTimeout(function () {
        if (checkController) checkController.abort();
        checkController = window.AbortController ? new AbortController() : null;
        fetch(form.dataset.checkUrl, {
          method: "POST", body: payload(), credentials: "same-origin",
          headers: { "HX-Request": "true" }, signal: checkController ? checkController.signal : undefined
        }).then(function (response) {
          if (response.redirected || response.status === 401 || response.status === 403) {
            delete form.dataset.checking;
            sessionLost();
            return null;
          }
          if (!response.ok) {
            delete form.dataset.checking;
            notice("danger", "Không kiểm tra được lúc này (lỗi " + response.status + "). Các mục đã nhập vẫn được giữ trên máy này.", "grid-check-failed");
            return null;
          }
          var old = document.getElementById("grid-check-failed");
          if (old) old.remove();
          touchSession();
          return response.text();
        }).then(function (html) {
          if (!html) { delete form.dataset.checking; return; }
          var box = document.createElement("template");
          box.innerHTML = html;
          Array.prototype.forEach.call(box.content.children, function (part) {
            var target = part.id && document.getElementById(part.id);
            if (target) {
              part.removeAttribute("hx-swap-oob");
              target.replaceWith(part);
              if (!part.classList.contains("grid-msgs")) return;  // e.g. the "≤" cap hint
              var row = rowOf(part);
              if (row) row.classList.toggle("has-error", part.classList.contains("grid-msgs--error"));
              var msgsRow = part.closest(".grid-msgs-row");
              if (msgsRow) msgsRow.classList.toggle("is-empty", !part.querySelector("p"));
            }
          });
          markDirty();
          delete form.dataset.checking;
        }).catch(function (error) {
          if (error && error.name === "AbortError") return;
          delete form.dataset.checking;
          notice("danger", "Mất kết nối tới máy chủ. Các mục đã nhập vẫn được giữ trên máy này; bấm Lưu khi có mạng lại.", "grid-check-failed");
        });
      }, 300);
    }

    form.addEventListener("submit", function (event) {
      var button = event.submitter;
      var action = button ? button.value : "save";
      if (action === "submit" && form.dataset.dirty) {
        event.preventDefault();
        notice("danger", "Bạn còn thay đổi chưa lưu: bấm <strong>Lưu</strong> trước rồi mới gửi.", "grid-unsaved");
        return;
      }
      // Unchanged rows are not sent: disable their boxes for the moment of the submit.
      var keep = action === "submit" ? [] : sentRows();
      rows.forEach(function (row) {
        var send = keep.indexOf(row) !== -1;
        inputsOf(row).forEach(function (el) { el.disabled = !send; });
      });
      window.setTimeout(function () {
        // Back from the browser cache (or a refused navigation): the boxes work again.
        rows.forEach(function (row) { inputsOf(row).forEach(function (el) { el.disabled = false; }); });
      }, 2000);
      storeWrite();
      form.dataset.submitting = "1";
    });

    // --- changes, undo ----------------------------------------------------------------------
    var before = new WeakMap();
    form.addEventListener("focusin", function (event) {
      var el = event.target;
      if (el.name) before.set(el, el.value);
    });
    function pushUndo(changes) {
      if (!changes.length) return;
      undoStack.push(changes);
      if (undoStack.length > 100) undoStack.shift();
      if (undoButton) undoButton.disabled = false;
    }
    function changed(row) {
      if (row) { row.setAttribute("data-touched", ""); syncRow(row); }
      markDirty();
      storeWrite();
      check();
    }
    form.addEventListener("change", function (event) {
      var el = event.target;
      var row = rowOf(el);
      if (!row || !el.name) return;
      if (!el.dataset.noUndo) {
        var old = before.has(el) ? before.get(el) : initialValue(el);
        if (old !== el.value) pushUndo([{ el: el, value: old }]);
      }
      before.set(el, el.value);
      changed(row);
    });
    function undo() {
      var changes = undoStack.pop();
      if (!changes) return;
      changes.forEach(function (c) { c.el.value = c.value; before.set(c.el, c.value); syncRow(rowOf(c.el)); });
      if (changes[0]) changes[0].el.focus();
      if (undoButton) undoButton.disabled = !undoStack.length;
      markDirty(); storeWrite(); check();
    }
    if (undoButton) undoButton.addEventListener("click", undo);

    // --- keyboard ---------------------------------------------------------------------------
    function boxes() {
      return Array.prototype.filter.call(
        form.querySelectorAll("tbody.grid-member select[name], tbody.grid-member input[name]:not([type=hidden])"),
        function (el) { return !el.disabled && el.offsetParent !== null; }
      );
    }
    form.addEventListener("keydown", function (event) {
      var el = event.target;
      if ((event.ctrlKey || event.metaKey) && (event.key === "s" || event.key === "S")) {
        event.preventDefault();
        var save = form.querySelector("[data-grid-save]");
        if (save) save.click();
        return;
      }
      if ((event.ctrlKey || event.metaKey) && (event.key === "z" || event.key === "Z") && !event.shiftKey) {
        // A text box undoes its own typing first; the grid undoes whole changes.
        if (el.tagName === "INPUT" && el.value !== (before.has(el) ? before.get(el) : el.value)) return;
        if (undoStack.length) { event.preventDefault(); undo(); }
        return;
      }
      if (event.key === "Enter" && (el.tagName === "INPUT" || el.tagName === "SELECT")) {
        event.preventDefault();
        if (el.tagName === "INPUT" && el.value !== before.get(el)) el.dispatchEvent(new Event("change", { bubbles: true }));
        var list = boxes();
        var next = list[list.indexOf(el) + 1];
        if (next) next.focus();
        return;
      }
      if (el.matches && el.matches("[data-grid-level], [data-col=cell_level]") && /^[0-9]$/.test(event.key)
          && !event.ctrlKey && !event.altKey && !event.metaKey) {
        var n = parseInt(event.key, 10);
        var options = Array.prototype.filter.call(el.options, function (o) { return o.value !== ""; });
        var target = n === 0
          ? options.filter(function (o) { return o.value === NOT_RATED; })[0]
          : options.filter(function (o) { return o.value !== NOT_RATED; })[n - 1];
        if (target) {
          event.preventDefault();
          el.value = target.value;
          el.dispatchEvent(new Event("change", { bubbles: true }));
        }
      }
    });

    // --- paste a column (or a block) from a spreadsheet ---------------------------------
    function optionFor(select, text) {
      var t = norm(text);
      if (!t) return "";
      var found = null;
      Array.prototype.forEach.call(select.options, function (o) {
        if (found !== null) return;
        // Options read "HTTNV – Hoàn thành tốt nhiệm vụ": either half matches.
        var parts = o.textContent.split(" – ").map(norm);
        if (t === norm(o.value) || parts.indexOf(t) !== -1 || t === norm(o.textContent)) found = o.value;
      });
      if (found === null) {
        var words = { "khong xep loai": NOT_RATED, "không xếp loại": NOT_RATED, "kxl": NOT_RATED };
        if (words[t] !== undefined) found = words[t];
      }
      if (found === null && LEVEL_LABELS[t]) {
        Array.prototype.forEach.call(select.options, function (o) {
          if (norm(o.textContent.split(" – ")[0]) === LEVEL_LABELS[t]) found = o.value;
        });
      }
      return found;
    }
    // Long labels → short forms, as the options of the grid show them.
    var LEVEL_LABELS = {};
    [["hoàn thành xuất sắc nhiệm vụ", "htxsnv"], ["hoàn thành tốt nhiệm vụ", "httnv"],
     ["hoàn thành nhiệm vụ", "htnv"], ["không hoàn thành nhiệm vụ", "khtnv"]].forEach(function (p) {
      LEVEL_LABELS[p[0]] = p[1];
    });

    form.addEventListener("paste", function (event) {
      var el = event.target;
      var row = rowOf(el);
      if (!row || !el.name) return;
      var text = (event.clipboardData || window.clipboardData).getData("text");
      if (!text) return;
      var lines = text.replace(/\r\n?/g, "\n").replace(/\n$/, "").split("\n");
      var block = lines.map(function (line) { return line.split("\t"); });
      if (block.length === 1 && block[0].length === 1 && el.tagName === "INPUT") return;  // one value: let the box take it
      event.preventDefault();
      var visibleRows = rows.filter(function (r) { return !r.hidden; });
      var start = visibleRows.indexOf(row);
      var cols = inputsOf(row).filter(function (x) { return x.type !== "hidden" && x.offsetParent !== null; })
        .map(function (x) { return x.dataset.col; });
      var targets = cols.slice(cols.indexOf(el.dataset.col));
      // A results sheet keeps "Mức | Điểm": two columns pasted on the level go to the level
      // and the total, even where the 30 + 70 parts sit between them on screen (wider
      // blocks follow the boxes in their order: level, 30, 70, total).
      var width = Math.max.apply(null, block.map(function (cells) { return cells.length; }));
      if (width === 2 && targets[0] === "level" && targets.indexOf("points") > 1) {
        targets = ["level", "points"];
      }
      var changes = [], refused = 0;
      block.forEach(function (cells, i) {
        var target = visibleRows[start + i];
        if (!target) return;
        cells.forEach(function (value, j) {
          var col = targets[j];
          var box = col && target.querySelector("[data-col=" + col + "]");
          if (!box) return;
          var next = value.trim();
          if (box.tagName === "SELECT") {
            next = optionFor(box, value);
            if (next === null) { refused += 1; return; }
          }
          if (box.value !== next) { changes.push({ el: box, value: box.value }); box.value = next; before.set(box, next); }
        });
        target.setAttribute("data-touched", "");
        syncRow(target);
      });
      pushUndo(changes);
      markDirty(); storeWrite(); check();
      notice(refused ? "warning" : "info",
        "Đã dán " + changes.length + " ô." + (refused ? " " + refused + " ô không nhận ra mức (dùng tên mức hoặc viết tắt như HTTNV)." : "") +
        " Ctrl+Z để hoàn tác.", "grid-pasted");
    });

    // --- conflicts: keep mine or take theirs ------------------------------------------------
    form.addEventListener("click", function (event) {
      var keep = event.target.closest("[data-keep-mine]");
      var take = event.target.closest("[data-take-other]");
      if (!keep && !take) return;
      var note = event.target.closest(".grid-conflict");
      var row = rowOf(note);
      if (take) {
        var changes = [];
        inputsOf(row).forEach(function (el) {
          var col = el.dataset.col;
          var value = note.getAttribute("data-other-" + col);
          if (value === null || col === "version") return;
          if (el.value !== value) { changes.push({ el: el, value: el.value }); el.value = value; }
        });
        pushUndo(changes);
        changed(row);
      }
      note.remove();
    });

    // --- find, filter, sort -----------------------------------------------------------------
    var search = form.querySelector("[data-grid-search]");
    var cellFilter = form.querySelector("[data-grid-filter-cell]");
    var levelFilter = form.querySelector("[data-grid-filter-level]");
    var sorter = form.querySelector("[data-grid-sort]");
    var count = form.querySelector("[data-grid-count]");
    var searchIndex = rows.map(function (row) {
      var name = row.querySelector(".grid-name a");
      return norm(name ? name.textContent : "").normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/đ/g, "d");
    });
    function levelOf(row) {
      var el = row.querySelector("[data-grid-level]");
      return el ? el.value : "";
    }
    function applyFilters() {
      var q = search ? norm(search.value).normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/đ/g, "d") : "";
      var cell = cellFilter ? cellFilter.value : "";
      var level = levelFilter ? levelFilter.value : "";
      var shown = 0;
      rows.forEach(function (row, i) {
        var ok = (!q || searchIndex[i].indexOf(q) !== -1) && (!cell || row.dataset.cell === cell);
        if (ok && level) {
          if (level === "_empty") ok = levelOf(row) === "";
          else if (level === "_problem") ok = row.classList.contains("has-error");
          else if (level === "_changed") ok = rowChanged(row);
          else ok = levelOf(row) === level;
        }
        row.hidden = !ok;
        if (ok) shown += 1;
      });
      if (count) count.textContent = shown === rows.length ? "" : "Đang hiện " + shown + "/" + rows.length + " đảng viên";
    }
    function applySort() {
      var key = sorter ? sorter.value : "number";
      var order = rows.slice();
      var rank = function (row) {
        var el = row.querySelector("[data-grid-level]");
        if (!el) return 99;
        var i = Array.prototype.findIndex.call(el.options, function (o) { return o.value === el.value; });
        return i <= 0 ? 99 : i;
      };
      var points = function (row) {
        var el = row.querySelector("[data-col=points]");
        var v = el ? parseFloat(el.value.replace(",", ".")) : NaN;
        return isNaN(v) ? -1 : v;
      };
      order.sort(function (a, b) {
        var na = +a.dataset.number, nb = +b.dataset.number;
        if (key === "level") return rank(a) - rank(b) || na - nb;
        if (key === "points") return points(b) - points(a) || na - nb;
        if (key === "cell") return (a.dataset.cell || "").localeCompare(b.dataset.cell || "") || na - nb;
        return na - nb;
      });
      var table = form.querySelector("[data-grid-table]");
      order.forEach(function (row) { table.appendChild(row); });
      rows = order;
    }
    [search, cellFilter, levelFilter].forEach(function (el) {
      if (el) { el.dataset.noUndo = "1"; el.addEventListener("input", applyFilters); el.addEventListener("change", applyFilters); }
    });
    if (sorter) { sorter.dataset.noUndo = "1"; sorter.addEventListener("change", function () { applySort(); applyFilters(); }); }

    // --- the session: warn before it ends, and say so when it has -------------------------
    var idle = parseInt(form.dataset.idleSeconds || "0", 10);
    var lastContact = Date.now();
    var warned = false;
    function touchSession() { lastContact = Date.now(); warned = false; var w = document.getElementById("grid-session"); if (w) w.remove(); }
    function sessionLost() {
      storeWrite();
      notice("danger", "<strong>Phiên làm việc đã hết.</strong> Các mục bạn đã nhập vẫn được giữ trên máy này. " +
        "<a class=\"alert-link\" href=\"" + form.dataset.loginUrl + "\">Đăng nhập lại</a> để lưu: danh sách sẽ được khôi phục.", "grid-session");
    }
    if (idle > 0) {
      window.setInterval(function () {
        var left = idle - (Date.now() - lastContact) / 1000;
        if (left <= 0) { sessionLost(); return; }
        if (left <= 300 && !warned) {
          warned = true;
          var box = notice("warning", "Phiên làm việc sẽ hết sau khoảng " + Math.ceil(left / 60) + " phút không thao tác. " +
            "Các mục đã nhập được giữ trên máy này. <button type=\"button\" class=\"btn btn-sm btn-warning\" data-keep-alive>Tiếp tục làm việc</button>", "grid-session");
          box.querySelector("[data-keep-alive]").addEventListener("click", function () { check(); touchSession(); });
        }
      }, 15000);
    }

    window.addEventListener("beforeunload", function (event) {
      if (form.dataset.dirty && !form.dataset.submitting) { storeWrite(); event.preventDefault(); event.returnValue = ""; }
    });

    storeRestore();
    markDirty();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
