// The person's time zone, guessed from the browser: kept in a cookie the server reads
// (preferences/middleware.py), which saves it while the person has chosen none. Only a name shaped
// like an IANA zone is written; the server checks it against the tz database all the same.
(function () {
  "use strict";
  var zone;
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch (error) {
    return;
  }
  if (!zone || !/^[A-Za-z0-9_+\-]+(\/[A-Za-z0-9_+\-]+)*$/.test(zone) || zone.length > 64) return;
  var current = document.cookie.split("; ").filter(function (part) {
    return part.indexOf("javari_tz=") === 0;
  })[0];
  if (current === "javari_tz=" + zone) return;
  var secure = window.location.protocol === "https:" ? "; secure" : "";
  document.cookie = "javari_tz=" + zone + "; path=/; max-age=31536000; samesite=lax" + secure;
})();
