// Card payment with Stripe.js: the card goes from this page to Stripe, never to our server.
// 1. ask our server for a SetupIntent; 2. Stripe.js saves the card on it;
// 3. our server charges that saved card; 4. if the bank wants 3-D Secure, Stripe.js asks the
// buyer, then our server checks the result. Every amount is decided by the server.
document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("card-form");
  if (!form || typeof Stripe === "undefined") return;
  const stripe = Stripe(form.dataset.publishableKey);
  const card = stripe.elements().create("card");
  card.mount("#card-element");
  const button = document.getElementById("pay-button");
  const errors = document.getElementById("card-errors");
  const csrf = document.querySelector('meta[name="csrf-token"]').content;

  const showError = (message) => {
    errors.textContent = message;
    errors.hidden = false;
    button.disabled = false;
    button.textContent = button.dataset.label;
  };

  const post = async (url, body) => {
    const response = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify(body || {}),
      credentials: "same-origin",
    });
    let data = {};
    try { data = await response.json(); } catch (e) { data = { error: "Something went wrong. Please try again." }; }
    return data;
  };

  const follow = (data) => {
    if (data.redirect && !data.error) { window.location.assign(data.redirect); return true; }
    if (data.error) {
      if (data.redirect) { window.location.assign(data.redirect); return true; }
      showError(data.error);
      return true;
    }
    return false;
  };

  button.dataset.label = button.textContent;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    errors.hidden = true;
    button.disabled = true;
    button.textContent = "Processing…";
    try {
      const setup = await post(form.dataset.setupUrl);
      if (!setup.client_secret) { follow(setup) || showError("Please try again."); return; }
      const saved = await stripe.confirmCardSetup(setup.client_secret, { payment_method: { card } });
      if (saved.error) { showError(saved.error.message || "Your card was declined."); return; }
      let result = await post(form.dataset.cardUrl, { payment_method: saved.setupIntent.payment_method });
      if (result.requires_action) {
        const auth = await stripe.confirmCardPayment(result.client_secret);
        result = await post(form.dataset.completeUrl);
        if (auth.error && !result.redirect) { showError(auth.error.message || "The authentication failed."); return; }
      }
      if (!follow(result)) showError("Please try again.");
    } catch (e) {
      showError("We could not reach the payment service. Nothing was charged; please try again.");
    }
  });
});
