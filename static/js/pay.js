/* The contribution's payment page: Stripe.js Card Element (and Bancontact where Stripe.js offers it).
 *
 * Everything it needs comes from data-* attributes on #payment-form (the CSP forbids inline scripts).
 *  - With Stripe.js, the card becomes a PaymentMethod and stripe.confirmCardPayment confirms the
 *    PaymentIntent in the browser (3-D Secure included).
 *  - localstripe's Stripe.js mock has no createPaymentMethod and its confirmCardPayment only finishes
 *    3-D Secure: there a card token is made and confirmed on the server (POST data-confirm-url), and
 *    "requires_action" is then finished with stripe.confirmCardPayment(clientSecret).
 * Either way the page then goes to data-return-url, which re-reads the PaymentIntent; the webhook
 * records the money once. No card number ever reaches the portal: only Stripe's ids.
 */
(function () {
  "use strict";

  var form = document.getElementById("payment-form");
  if (!form) {
    return;
  }
  var data = form.dataset;
  var errors = document.getElementById("card-errors");
  var status = document.getElementById("payment-status");
  var button = document.getElementById("pay-button");

  if (typeof window.Stripe !== "function" || !data.publishableKey) {
    errors.textContent = data.msgUnavailable;
    button.disabled = true;
    return;
  }

  var stripe = window.Stripe(data.publishableKey);
  var card = stripe.elements().create("card");
  card.mount("#card-element");

  function fail(message) {
    errors.textContent = message || data.msgFailed;
    status.textContent = "";
    button.disabled = false;
  }

  function done() {
    window.location.assign(data.returnUrl);
  }

  async function paymentMethod() {
    try {
      return await stripe.createPaymentMethod({ type: "card", card: card });
    } catch (ignored) {
      return null;
    }
  }

  async function cardToken() {
    var tokenResult = await stripe.createToken(card);
    if (!tokenResult || tokenResult.error || !tokenResult.token) {
      throw (tokenResult && tokenResult.error) || new Error(data.msgFailed);
    }
    return tokenResult.token.id;
  }

  async function confirmOnServer(reference) {
    var response = await fetch(data.confirmUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": data.csrf },
      body: JSON.stringify(reference)
    });
    var body = {};
    try {
      body = await response.json();
    } catch (ignored) {
      body = {};
    }
    return { ok: response.ok, body: body };
  }

  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    button.disabled = true;
    errors.textContent = "";
    status.textContent = data.msgWorking;
    try {
      var made = await paymentMethod();
      if (made && (made.paymentMethod || made.error)) {  // Stripe.js
        if (made.error) {
          throw made.error;
        }
        var confirmed = await stripe.confirmCardPayment(data.clientSecret, { payment_method: made.paymentMethod.id });
        if (confirmed && confirmed.error) {
          fail(confirmed.error.message);
          return;
        }
        done();
        return;
      }
      var answer = await confirmOnServer({ token: await cardToken() });  // localstripe's mock
      if (!answer.ok) {
        fail(answer.body.error && answer.body.error.message);
        return;
      }
      if (answer.body.status === "requires_action") {
        var action = await stripe.confirmCardPayment(data.clientSecret);
        if (action && action.error) {
          fail(action.error.message);
          return;
        }
      }
      done();
    } catch (error) {
      fail(error && error.message);
    }
  });

  // Bancontact: only real Stripe.js has it (the payer is redirected to the bank, then back to returnUrl).
  var bancontact = document.getElementById("bancontact");
  var bancontactForm = document.getElementById("bancontact-form");
  if (bancontact && bancontactForm && typeof stripe.confirmBancontactPayment === "function") {
    bancontact.hidden = false;
    bancontactForm.addEventListener("submit", async function (event) {
      event.preventDefault();
      var name = document.getElementById("bancontact-name").value.trim();
      if (!name) {
        document.getElementById("bancontact-name").focus();
        return;
      }
      var result = await stripe.confirmBancontactPayment(data.clientSecret, {
        payment_method: { billing_details: { name: name } },
        return_url: data.returnUrl
      });
      if (result && result.error) {
        fail(result.error.message);
      }
    });
  }
})();
