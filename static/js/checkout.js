// Card payment with Stripe.js: the card goes from this page to Stripe, never to our server.
// 1. Stripe.js turns the card into a one-use token; 2. our server saves it on the customer and
// confirms the payment with it; 3. if the bank wants 3-D Secure, Stripe.js asks the buyer
// (once: no SetupIntent is confirmed first, which would ask too), then our server checks the
// result. Every amount is decided by the server.
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

  const otherWays = document.getElementById("other-ways");
  const offerOtherWays = () => { if (otherWays) otherWays.hidden = false; };
  const anotherCard = document.getElementById("another-card");
  if (anotherCard) {
    anotherCard.addEventListener("click", (event) => {
      event.preventDefault();
      if (typeof card.clear === "function") { card.clear(); card.focus(); return; }
      const first = document.querySelector("#card-element input");  // a stand-in's plain inputs
      if (first) { first.value = ""; first.focus(); }
    });
  }

  const post = async (url, body) => {
    const response = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify(body || {}),
      credentials: "same-origin",
    });
    let data = {};
    try { data = await response.json(); } catch (e) { data = { error: "Something went wrong. Please try again." }; }
    // 402: the bank said no. The buyer is shown the other ways to pay; the hold stays.
    if (response.status === 402) offerOtherWays();
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
      const entered = await stripe.createToken(card);
      if (entered.error || !entered.token) {
        showError((entered.error && entered.error.message) || "Please check the card details.");
        return;
      }
      let result = await post(form.dataset.cardUrl, { token: entered.token.id });
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
