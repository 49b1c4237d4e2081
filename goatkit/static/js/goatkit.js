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

  document.addEventListener("alpine:init", function () {
    var Alpine = window.Alpine;

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
