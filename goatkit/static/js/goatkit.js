/*
 * GoatKit page behaviour: the only JavaScript the shell needs, kept out of templates so that pages run under a
 * Content-Security-Policy without 'unsafe-inline' or 'unsafe-eval'.
 *
 * Loaded in <head> without `defer`, so the theme class is set before the body is painted (no light flash in dark
 * mode) and the Alpine components below are registered before the deferred Alpine CSP build starts.
 *
 * Alpine's CSP build cannot compile inline objects: `x-data` must name a component registered here with
 * Alpine.data(), and directives refer to its properties and methods (`x-data="disclosure"`, `@click="toggle"`).
 */
(function () {
  "use strict";

  var THEME_KEY = "goatkit.theme";
  var darkQuery = window.matchMedia ? window.matchMedia("(prefers-color-scheme: dark)") : null;

  function storedTheme() {
    try {
      var value = window.localStorage.getItem(THEME_KEY);
      return value === "dark" || value === "light" ? value : null;
    } catch (e) {
      return null; // storage disabled: follow the OS
    }
  }

  function prefersDark() {
    var stored = storedTheme();
    if (stored) return stored === "dark";
    return darkQuery ? darkQuery.matches : false;
  }

  function applyTheme(dark) {
    document.documentElement.classList.toggle("dark", dark);
  }

  applyTheme(prefersDark());
  if (darkQuery && darkQuery.addEventListener) {
    darkQuery.addEventListener("change", function () {
      if (!storedTheme()) applyTheme(prefersDark());
    });
  }

  // Every htmx request carries the CSRF token of the page, when the page has one.
  document.addEventListener("htmx:configRequest", function (event) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta && meta.content) event.detail.headers["X-CSRF-Token"] = meta.content;
  });

  // GET requests from a form marked data-drop-empty leave out empty fields, so a pushed URL reads ?search=x rather
  // than ?search=x&filter_a=&filter_b= (the list screens' search and filter form).
  document.addEventListener("htmx:configRequest", function (event) {
    var form = event.detail.elt.closest ? event.detail.elt.closest("[data-drop-empty]") : null;
    var data = event.detail.formData;
    if (!form || event.detail.verb !== "get" || !data) return;
    var empty = [];
    data.forEach(function (value, key) {
      if (value === "") empty.push(key);
    });
    empty.forEach(function (key) {
      if (data.getAll(key).every(function (value) { return value === ""; })) data.delete(key);
    });
  });

  // An error answer that names its own target (HX-Retarget: a refusal, a form with errors) is swapped in; htmx
  // otherwise drops 4xx answers and the user would see nothing.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var xhr = event.detail.xhr;
    if (xhr.status >= 400 && xhr.status < 500 && xhr.getResponseHeader("HX-Retarget")) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  // htmx "settles" a swapped element by copying the old element's class and style attributes onto its successor of
  // the same id; copying a style attribute (Alpine's x-show writes one) is an inline style the CSP refuses. Classes
  // are enough for settling transitions. (htmx is deferred: it exists once the document is parsed.)
  document.addEventListener("DOMContentLoaded", function () {
    if (window.htmx) window.htmx.config.attributesToSettle = ["class", "width", "height"];
  });

  // An error answer htmx does not swap (a middleware refusal, a fault, an unreachable server) is announced in the
  // page's alert region (#gk-alert) with the error page's own sentence, so a click never fails silently.
  function announceError(message) {
    var region = document.getElementById("gk-alert");
    if (!region) return;
    var alert = document.createElement("div");
    alert.setAttribute("role", "alert");
    alert.setAttribute("data-testid", "alert");
    alert.className =
      "mb-4 rounded-lg border border-red-200 bg-red-50 px-4 py-3 text-sm text-red-900 dark:border-red-900/60 dark:bg-red-950/50 dark:text-red-100";
    alert.textContent = message;
    region.replaceChildren(alert);
  }

  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail.xhr;
    if (!xhr || xhr.getResponseHeader("HX-Retarget") || xhr.getResponseHeader("HX-Redirect")) return;
    var message = "";
    try {
      var page = new DOMParser().parseFromString(xhr.responseText || "", "text/html");
      var heading = page.querySelector("main h1");
      message = heading ? heading.textContent.trim() : "";
    } catch (e) {
      message = "";
    }
    announceError(message || "The request failed (HTTP " + xhr.status + ").");
  });

  document.addEventListener("htmx:sendError", function () {
    announceError("The server cannot be reached; check the connection and try again.");
  });

  document.addEventListener("alpine:init", function () {
    var Alpine = window.Alpine;

    // The "select all" checkbox of a list: checks or clears every row checkbox (name="ids") of its form.
    Alpine.data("selectAll", function () {
      return {
        toggle: function () {
          var form = this.$el.closest("form");
          var boxes = form ? form.querySelectorAll('input[type="checkbox"][name="ids"]') : [];
          for (var i = 0; i < boxes.length; i++) boxes[i].checked = this.$el.checked;
        },
      };
    });

    // Light/dark switch. The choice is stored; until the user picks, the OS preference wins.
    Alpine.data("themeToggle", function () {
      return {
        dark: document.documentElement.classList.contains("dark"),
        get label() {
          return this.dark ? "Switch to light theme" : "Switch to dark theme";
        },
        toggle: function () {
          this.dark = !this.dark;
          applyTheme(this.dark);
          try {
            window.localStorage.setItem(THEME_KEY, this.dark ? "dark" : "light");
          } catch (e) {
            /* not stored: the choice lasts for this page only */
          }
        },
      };
    });

    // Show/hide a region (menus, the mobile navigation). Escape closes it.
    Alpine.data("disclosure", function () {
      return {
        open: false,
        toggle: function () {
          this.open = !this.open;
        },
        close: function () {
          this.open = false;
        },
      };
    });

    // Relation matrix (goatkit/templates/goatkit/engine/relation_matrix.html): a header box ticks or clears its
    // key's column, a row's "All" box every key of its row. The boxes stay plain form fields: saving is a POST.
    Alpine.data("relationMatrix", function () {
      function setAll(boxes, checked) {
        Array.prototype.forEach.call(boxes, function (box) {
          box.checked = checked;
        });
      }
      return {
        toggleColumn: function (event) {
          var key = event.target.getAttribute("data-column");
          var boxes = event.target.closest("table").querySelectorAll("tbody input[data-key]");
          setAll(Array.prototype.filter.call(boxes, function (box) {
            return box.getAttribute("data-key") === key;
          }), event.target.checked);
        },
        toggleRow: function (event) {
          setAll(event.target.closest("tr").querySelectorAll("input[data-key]"), event.target.checked);
        },
      };
    });

    // A lookup with many choices (goatkit/templates/goatkit/engine/_widget.html, control "typeahead"): typing asks
    // the server for matches (engine.views.choices, at most 20), arrows and Enter or a click choose one. The key
    // goes into the hidden field; leaving the box without choosing shows the held choice again, and emptying it
    // clears the value.
    Alpine.data("typeahead", function () {
      var timer = null;
      return {
        open: false,
        active: -1,
        chosen: "",
        init: function () {
          this.chosen = this.$refs.text.value;
        },
        get expanded() {
          return this.open ? "true" : "false";
        },
        get activeId() {
          var option = this.options()[this.active];
          return option ? option.id : "";
        },
        options: function () {
          return Array.prototype.slice.call(this.$refs.list.querySelectorAll('[role="option"]'));
        },
        fetch: function () {
          var self = this;
          var source = this.$refs.text.closest("[data-source]").getAttribute("data-source");
          var url = source + (source.indexOf("?") < 0 ? "?" : "&") + "q=" + encodeURIComponent(this.$refs.text.value);
          window.htmx.ajax("GET", url, { target: this.$refs.list, swap: "innerHTML" }).then(function () {
            self.active = -1;
            self.open = document.activeElement === self.$refs.text;
          });
        },
        typed: function () {
          var self = this;
          if (this.$refs.text.value === "") {
            this.$refs.value.value = "";
            this.chosen = "";
          }
          clearTimeout(timer);
          timer = setTimeout(function () {
            self.fetch();
          }, 200);
        },
        opened: function () {
          this.fetch();
        },
        key: function (event) {
          var options = this.options();
          if (event.key === "ArrowDown" || event.key === "ArrowUp") {
            event.preventDefault();
            if (!this.open) return this.fetch();
            this.move(options, event.key === "ArrowDown" ? 1 : -1);
          } else if (event.key === "Enter" && this.open) {
            event.preventDefault(); // choosing, not submitting the form
            if (options[this.active]) this.choose(options[this.active]);
          } else if (event.key === "Escape" && this.open) {
            event.preventDefault();
            this.close();
          }
        },
        move: function (options, step) {
          if (!options.length) return;
          this.active = (this.active + step + options.length) % options.length;
          for (var i = 0; i < options.length; i++) {
            options[i].setAttribute("aria-selected", i === this.active ? "true" : "false");
          }
          options[this.active].scrollIntoView({ block: "nearest" });
        },
        pick: function (event) {
          var option = event.target.closest('[role="option"]');
          if (!option) return;
          event.preventDefault(); // keep the focus in the box
          this.choose(option);
        },
        choose: function (option) {
          this.$refs.value.value = option.getAttribute("data-value");
          this.chosen = option.getAttribute("data-label");
          this.$refs.text.value = this.chosen;
          this.close();
          this.$refs.value.dispatchEvent(new Event("change", { bubbles: true }));
        },
        left: function () {
          if (this.$refs.text.value !== "") this.$refs.text.value = this.chosen;
          this.close();
        },
        close: function () {
          this.open = false;
          this.active = -1;
        },
      };
    });

    // A message the user can dismiss (flash messages).
    Alpine.data("dismissable", function () {
      return {
        shown: true,
        dismiss: function () {
          this.shown = false;
        },
      };
    });
  });
})();
