// The checkout's payment preview follows the amount and currency as they change; without this
// script the "Preview" button does the same with a page load.
(function () {
  'use strict';
  var form = document.getElementById('preview-form');
  var result = document.getElementById('preview-result');
  if (!form || !result || !window.fetch || !window.DOMParser) return;
  var amount = form.elements.namedItem('amount');
  var timer = null;
  var latest = 0;

  function refresh() {
    var query = new URLSearchParams(new FormData(form)).toString();
    var url = form.getAttribute('action').split('#')[0] + '?' + query;
    var ticket = ++latest;
    fetch(url, { credentials: 'same-origin', headers: { Accept: 'text/html' } })
      .then(function (response) {
        return response.text();
      })
      .then(function (text) {
        if (ticket !== latest) return;
        var page = new DOMParser().parseFromString(text, 'text/html');
        var fresh = page.getElementById('preview-result');
        if (fresh) result.replaceChildren.apply(result, Array.prototype.slice.call(fresh.childNodes));
        var oldError = document.getElementById('f-amount-error');
        if (oldError) oldError.remove();
        var newError = page.getElementById('f-amount-error');
        if (amount && newError) {
          amount.setAttribute('aria-invalid', 'true');
          amount.parentNode.appendChild(document.importNode(newError, true));
        } else if (amount) {
          amount.removeAttribute('aria-invalid');
        }
        history.replaceState(null, '', url + '#preview');
      })
      .catch(function () {
        // the button still works
      });
  }

  function later() {
    clearTimeout(timer);
    timer = setTimeout(refresh, 300);
  }

  form.addEventListener('input', later);
  form.addEventListener('change', later);
})();
