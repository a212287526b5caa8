// Sorts the class table by the clicked column, reading the values from
// the page's JSON data (never from markup) and moving the existing rows.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("batch-data").textContent);
  var subs = data.submissions || [];
  var body = document.getElementById("class-rows");
  var rows = Array.prototype.slice.call(body.rows);
  var keys = {
    id: function (s) { return s.id; },
    score: function (s) { return s.percent === undefined ? -1 : s.percent; },
    outcome: function (s) { return s.outcome; },
    failed: function (s) { return (s.failed || []).length; },
    seconds: function (s) { return s.seconds; }
  };
  var current = "", ascending = true;
  Array.prototype.forEach.call(document.querySelectorAll("th[data-sort]"), function (th) {
    th.addEventListener("click", function () {
      var key = th.getAttribute("data-sort");
      ascending = key === current ? !ascending : true;
      current = key;
      var value = keys[key];
      var order = rows.slice().sort(function (a, b) {
        var x = value(subs[+a.getAttribute("data-index")]), y = value(subs[+b.getAttribute("data-index")]);
        var c = x < y ? -1 : x > y ? 1 : 0;
        return ascending ? c : -c;
      });
      order.forEach(function (r) { body.appendChild(r); });
      Array.prototype.forEach.call(document.querySelectorAll("th[data-sort]"), function (h) {
        h.setAttribute("aria-sort", h === th ? (ascending ? "ascending" : "descending") : "none");
      });
    });
  });
})();
