// A stand-in for Amazon's checkout.js (amazon-pay-checkout reference §7.1): amazon.Pay.renderButton
// (selector, config) draws a button whose click posts createCheckoutSessionConfig { payloadJSON,
// signature, publicKeyId, algorithm } to the simulator's /checkout/start, where it is verified.
// Like Amazon's, it draws no button without the merchant's merchantId (a required renderButton
// parameter, reference §7.1): it throws and shows why in the button's place instead. The button
// carries the merchantId it was given (data-merchant-id) for tests to read.
// payloadJSON travels as a form field: keep it on one line (form submission turns bare newlines
// into CRLF, which would change the signed bytes).

export function checkoutJs(baseUrl: string, merchantId: string): string {
  return `// Amazon Pay sandbox simulator: stand-in for checkout.js
(function () {
  var start = ${JSON.stringify(`${baseUrl}/checkout/start`)};
  var merchantId = ${JSON.stringify(merchantId)};
  function submit(config) {
    var c = (config && config.createCheckoutSessionConfig) || {};
    var form = document.createElement('form');
    form.method = 'post';
    form.action = start;
    ['payloadJSON', 'signature', 'publicKeyId', 'algorithm'].forEach(function (name) {
      if (c[name] === undefined || c[name] === null) return;
      var input = document.createElement('input');
      input.type = 'hidden';
      input.name = name;
      input.value = String(c[name]);
      form.appendChild(input);
    });
    document.body.appendChild(form);
    form.submit();
  }
  window.amazon = window.amazon || {};
  window.amazon.Pay = {
    renderButton: function (selector, config) {
      var host = document.querySelector(selector);
      if (!host) throw new Error('amazon.Pay.renderButton: no element matches ' + selector);
      var given = config && config.merchantId;
      if (given !== merchantId) {
        var why = 'amazon.Pay.renderButton: merchantId must be the merchant ID of this sandbox account (' + merchantId + '), got ' + JSON.stringify(given === undefined ? null : given);
        var error = document.createElement('p');
        error.setAttribute('data-amazon-pay-error', '');
        error.textContent = why;
        host.appendChild(error);
        throw new Error(why);
      }
      var button = document.createElement('button');
      button.type = 'button';
      button.textContent = 'Amazon Pay';
      button.setAttribute('data-amazon-pay-button', '');
      button.setAttribute('data-merchant-id', given);
      button.style.cssText = 'background:#ffd814;border:1px solid #fcd200;border-radius:4px;padding:.6rem 2rem;font-weight:600;cursor:pointer';
      button.addEventListener('click', function () { submit(config); });
      host.appendChild(button);
      return button;
    },
    initCheckout: function (config) { submit(config); }
  };
})();
`;
}
