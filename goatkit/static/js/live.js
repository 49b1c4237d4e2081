/*
 * liveUpdates: a page that follows a server-sent event stream (goatkit/live_sse.py) and refreshes what it shows
 * when the server says it changed, with a small notice for changes made by someone else.
 *
 * Load this file in the page's <head> (before the deferred Alpine build starts) and place, anywhere on the page:
 *
 *   <div x-data="liveUpdates" data-live-stream="/path/of/stream" data-live-since="{{ live_position() }}"
 *        data-live-refresh="#gk-table">                       (htmx reloads that element from the current URL)
 *     <div x-show="shown" x-cloak role="status"><span x-text="notice"></span>
 *       <button type="button" @click="hide">Dismiss</button></div>
 *   </div>
 *
 * or, instead of data-live-refresh, data-live-replace="#part" (the page is fetched again and #part's children are
 * replaced by the new ones), with data-live-keep="#form" (a direct child of #part kept as it is while it has
 * content: an open form keeps what the user typed and its focus) and data-live-url-from="a[aria-current=page]"
 * (fetch that link's href instead of the page's URL).
 *
 * Stream events: "change" {changes: [{own, ...}], notice}, "missed" (reload without a notice), "gone" {notice} (the
 * stream ends for good). Bursts are debounced into one refresh; the user's own changes made through this page (an
 * htmx request in the last seconds) are already on it and refresh nothing. The browser reconnects by itself when a stream ends
 * (sending Last-Event-ID); when the server refuses a connection (sign-out, an outage) it is retried with back-off.
 */
(function () {
  "use strict";

  var DEBOUNCE_MS = 400;
  var NOTICE_MS = 10000;
  var RETRY_MIN_MS = 5000;
  var RETRY_MAX_MS = 300000;
  var OWN_MS = 5000;

  // When this page last sent an htmx request: a change of the user's own that follows one is already shown.
  var lastRequest = 0;
  var refreshing = false; // the component's own reloads do not count
  document.addEventListener("htmx:afterRequest", function () {
    if (!refreshing) lastRequest = Date.now();
  });

  function withSince(url, since) {
    if (!since) return url;
    return url + (url.indexOf("?") >= 0 ? "&" : "?") + "since=" + encodeURIComponent(since);
  }

  // Replace the children of `current` by those of `fresh`, leaving `keep` (a child of `current`) where it is.
  function replaceChildren(current, fresh, keep, keepSelector) {
    var freshKeep = keep ? fresh.querySelector(keepSelector) : null;
    if (!keep || !freshKeep || freshKeep.parentNode !== fresh) {
      current.replaceChildren.apply(current, Array.prototype.slice.call(fresh.childNodes));
      return;
    }
    var before = [];
    var after = [];
    var seen = false;
    Array.prototype.slice.call(fresh.childNodes).forEach(function (node) {
      if (node === freshKeep) seen = true;
      else (seen ? after : before).push(node);
    });
    Array.prototype.slice.call(current.childNodes).forEach(function (node) {
      if (node !== keep) current.removeChild(node);
    });
    before.forEach(function (node) {
      current.insertBefore(node, keep);
    });
    after.forEach(function (node) {
      current.appendChild(node);
    });
  }

  document.addEventListener("alpine:init", function () {
    window.Alpine.data("liveUpdates", function () {
      return {
        shown: false,
        notice: "",
        source: null,
        lastId: "",
        pending: null,
        busy: false,
        again: false,
        hideTimer: null,
        retryMs: RETRY_MIN_MS,
        stopped: false,

        init: function () {
          if (!window.EventSource || !this.$el.dataset.liveStream) return;
          this.lastId = this.$el.dataset.liveSince || "";
          this.connect();
        },

        destroy: function () {
          this.stopped = true;
          if (this.source) this.source.close();
        },

        connect: function () {
          var self = this;
          var source = new EventSource(withSince(this.$el.dataset.liveStream, this.lastId));
          this.source = source;
          source.addEventListener("open", function () {
            self.retryMs = RETRY_MIN_MS;
          });
          source.addEventListener("change", function (event) {
            self.remember(event);
            var data = JSON.parse(event.data);
            if (data.notice) self.say(data.notice);
            var theirs = (data.changes || []).some(function (change) {
              return !change.own;
            });
            if (theirs || Date.now() - lastRequest > OWN_MS) self.schedule();
          });
          source.addEventListener("missed", function (event) {
            self.remember(event);
            self.schedule();
          });
          source.addEventListener("gone", function (event) {
            var data = JSON.parse(event.data);
            self.stopped = true;
            source.close();
            if (data.notice) self.say(data.notice, true);
          });
          source.addEventListener("error", function () {
            if (source.readyState !== EventSource.CLOSED || self.stopped) return;
            // Refused (401, 403, 503 ...): the browser gives up, so try again later, less and less often.
            window.setTimeout(function () {
              if (!self.stopped) self.connect();
            }, self.retryMs);
            self.retryMs = Math.min(self.retryMs * 2, RETRY_MAX_MS);
          });
        },

        remember: function (event) {
          if (event.lastEventId) this.lastId = event.lastEventId;
        },

        say: function (text, sticky) {
          var self = this;
          this.notice = text;
          this.shown = true;
          window.clearTimeout(this.hideTimer);
          if (!sticky) {
            this.hideTimer = window.setTimeout(function () {
              self.shown = false;
            }, NOTICE_MS);
          }
        },

        hide: function () {
          this.shown = false;
        },

        schedule: function () {
          var self = this;
          window.clearTimeout(this.pending);
          this.pending = window.setTimeout(function () {
            self.refresh();
          }, DEBOUNCE_MS);
        },

        refresh: function () {
          var self = this;
          if (this.busy) {
            this.again = true;
            return;
          }
          this.busy = true;
          var done = function () {
            self.busy = false;
            if (self.again) {
              self.again = false;
              self.schedule();
            }
          };
          var work = this.$el.dataset.liveRefresh ? this.reloadTarget() : this.replacePart();
          work.then(done, done);
        },

        // htmx reloads the element from the page's current URL; checked row boxes stay checked.
        reloadTarget: function () {
          var selector = this.$el.dataset.liveRefresh;
          var target = document.querySelector(selector);
          if (!target || !window.htmx) return Promise.resolve();
          var checked = Array.prototype.map.call(target.querySelectorAll("input[type=checkbox]:checked"), function (box) {
            return box.name + "=" + box.value;
          });
          refreshing = true;
          var reload = window.htmx.ajax("GET", window.location.href, { target: selector, swap: "innerHTML" });
          return reload.then(function () {
            refreshing = false;
            var fresh = document.querySelector(selector);
            if (!fresh) return;
            fresh.querySelectorAll("input[type=checkbox]").forEach(function (box) {
              if (checked.indexOf(box.name + "=" + box.value) >= 0) box.checked = true;
            });
          }, function () {
            refreshing = false;
          });
        },

        // Fetch the page again and replace the part's children (the kept child stays).
        replacePart: function () {
          var data = this.$el.dataset;
          var current = document.querySelector(data.liveReplace);
          if (!current) return Promise.resolve();
          var link = data.liveUrlFrom ? document.querySelector(data.liveUrlFrom) : null;
          var url = link && link.getAttribute("href") ? link.getAttribute("href") : window.location.href;
          return window
            .fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } })
            .then(function (response) {
              return response.ok ? response.text() : "";
            })
            .then(function (html) {
              if (!html) return;
              var fresh = new DOMParser().parseFromString(html, "text/html").querySelector(data.liveReplace);
              var part = document.querySelector(data.liveReplace);
              if (!fresh || !part) return;
              var keep = data.liveKeep ? part.querySelector(data.liveKeep) : null;
              if (keep && keep.children.length === 0) keep = null;
              replaceChildren(part, document.importNode(fresh, true), keep, data.liveKeep);
              if (window.htmx) window.htmx.process(part);
            });
        },
      };
    });
  });
})();
