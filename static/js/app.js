// Small progressive touches; every page works without this file.
document.addEventListener("DOMContentLoaded", () => {
  // Sort menus submit on change.
  document.querySelectorAll("form[data-autosubmit] select").forEach((select) => {
    select.addEventListener("change", () => select.form.submit());
  });

  // On a phone the filter panel starts folded, unless filters are in use. The stylesheet
  // shows it folded until then (data-ready), so folding it moves nothing on the page.
  const phone = window.matchMedia("(max-width: 899px)").matches;
  document.querySelectorAll("details[data-collapse-on-phone]").forEach((d) => {
    if (phone && !d.hasAttribute("data-active")) d.removeAttribute("open");
    d.setAttribute("data-ready", "");
  });

  // The browser's time zone, for the server to show a guest's times on their clock (and to
  // keep as a new account's zone) until they choose one in their account.
  try {
    const own = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
    if (own) document.cookie = `tz=${encodeURIComponent(own)}; path=/; max-age=31536000; SameSite=Lax`;
  } catch (e) { /* an old browser: the store's zone is shown */ }

  // Consultation form, account page of a buyer who never chose: preselect the visitor's own
  // time zone (they can still change it).
  document.querySelectorAll("select[data-detect-timezone]").forEach((select) => {
    let zone = "";
    try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { zone = ""; }
    if (!zone || select.dataset.touched) return;
    if (![...select.options].some((o) => o.value === zone)) {
      select.add(new Option(zone.replace(/_/g, " "), zone), 0);
    }
    select.value = zone;
  });

  // A catalog page shared by visitors without a session (kept by caches: shop.catalog.http_cache)
  // carries no CSRF token. Start this visitor's session, which puts the page on their trail and
  // answers with their token, and fill the page's forms with it; a form sent before it came
  // waits for it.
  const visit = document.body.dataset.visit;
  if (visit) {
    const token = fetch(visit, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then((response) => (response.ok ? response.json() : {}))
      .then((data) => data.csrf_token || "")
      .catch(() => "");
    const fill = (value) => {
      document.querySelectorAll('input[name="csrf_token"]').forEach((field) => {
        if (!field.value) field.value = value;
      });
      const meta = document.querySelector('meta[name="csrf-token"]');
      if (meta && !meta.content) meta.content = value;
    };
    token.then((value) => value && fill(value));
    document.addEventListener("submit", (event) => {
      const form = event.target;
      const field = form.querySelector('input[name="csrf_token"]');
      if (!field || field.value) return;
      event.preventDefault();
      token.then((value) => {
        if (!value) return form.submit(); // the store sends the visitor back to press again
        fill(value);
        if (form.requestSubmit) form.requestSubmit(event.submitter || undefined);
        else form.submit();
      });
    });
  }

  // Product gallery: a thumbnail shows its picture in the main frame.
  document.querySelectorAll("[data-gallery]").forEach((gallery) => {
    const main = gallery.querySelector("[data-gallery-main]");
    gallery.querySelectorAll("[data-gallery-thumb]").forEach((thumb) => {
      thumb.addEventListener("click", (event) => {
        event.preventDefault();
        main.src = thumb.getAttribute("href");
        main.alt = thumb.querySelector("img").alt;
        gallery.querySelectorAll("[data-gallery-thumb]").forEach((t) => t.removeAttribute("aria-current"));
        thumb.setAttribute("aria-current", "true");
      });
    });
  });
});
