/* GenreLab report loader: unpacks plotly.js and the charts, then draws each chart.
 *
 * The report embeds two blobs in script elements of type text/plain: plotly.js and the charts'
 * JSON, each gzip-compressed and written in base85 (Python's b85encode alphabet with '<' written
 * as '.', so a blob holds neither '<' nor '/'; base85 rather than base64 keeps the example report
 * under the repository's 2 MB limit, see core/report/packing.py). The browser's own
 * DecompressionStream('gzip') unpacks them and checks gzip's CRC-32 and length; each blob element
 * also states its unpacked size (data-size), checked here.  Written in ES5, so a browser too old
 * for DecompressionStream still runs it and says so in each chart's place instead of leaving
 * empty boxes.
 */
(function () {
  "use strict";
  var B85 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz!#$%&()*+-;.=>?@^_`{|}~";
  var NEEDS = ["Promise", "Uint8Array", "TextDecoder", "Response", "DecompressionStream"];

  /** Bytes of a base85 text (the alphabet above; a short last group as Python writes it). */
  function base85(text) {
    var value = new Int16Array(128), i, j, k;
    for (i = 0; i < 128; i++) value[i] = -1;
    for (i = 0; i < 85; i++) value[B85.charCodeAt(i)] = i;
    var n = text.length, rest = n % 5;
    if (rest === 1) throw new Error("base85 text of a wrong length");
    var out = new Uint8Array(Math.floor(n / 5) * 4 + (rest ? rest - 1 : 0)), o = 0;
    for (i = 0; i < n; i += 5) {
      var acc = 0;
      for (j = 0; j < 5; j++) {
        var c = i + j < n ? text.charCodeAt(i + j) : 126;  /* '~' pads the last group */
        var d = c < 128 ? value[c] : -1;
        if (d < 0) throw new Error("not a base85 character at " + (i + j));
        acc = acc * 85 + d;
      }
      if (acc > 0xFFFFFFFF) throw new Error("base85 group out of range at " + i);
      for (k = 0; k < 4 && o < out.length; k++) out[o++] = (acc >>> (24 - 8 * k)) & 255;
    }
    return out;
  }

  /** A promise of the bytes a blob's text holds (base85, then gzip); size, when given: how many
   * bytes it must give. */
  function unpack(text, size) {
    return Promise.resolve().then(function () {
      var stream = new Response(base85(text)).body.pipeThrough(new DecompressionStream("gzip"));
      return new Response(stream).arrayBuffer();
    }).then(function (buffer) {
      var bytes = new Uint8Array(buffer);
      if (size !== undefined && bytes.length !== size) {
        throw new Error("a blob gave " + bytes.length + " bytes, not " + size);
      }
      return bytes;
    });
  }

  /** A promise of the text held by the blob element of that id, unpacked and checked. */
  function blobText(id) {
    var el = document.getElementById(id);
    if (!el) return Promise.reject(new Error("the report holds no " + id));
    return unpack(el.textContent, Number(el.getAttribute("data-size"))).then(function (bytes) {
      return new TextDecoder("utf-8", {fatal: true}).decode(bytes);
    }, function (err) {
      throw new Error(id + " is damaged (" + message(err) + ")");
    });
  }

  function message(err) {
    return err && err.message ? err.message : String(err);
  }

  /** Write the reason into the place of each chart named (all of them when none is named). */
  function fail(reason, divs) {
    divs = divs || document.querySelectorAll(".plotly-graph-div");
    for (var i = 0; i < divs.length; i++) {
      var note = document.createElement("p");
      note.className = "chart-failed";
      note.textContent = "This chart could not be drawn in this browser (" + reason + "). "
        + "Every number is also in the tables.";
      divs[i].innerHTML = "";
      divs[i].appendChild(note);
    }
    if (window.console) window.console.error("GenreLab report: " + reason);
  }

  /** Draw each chart in its place, or say there why not. */
  function drawCharts(charts) {
    window.PLOTLYENV = window.PLOTLYENV || {};
    for (var i = 0; i < charts.length; i++) {
      var c = charts[i], gd = document.getElementById(c.id);
      if (!gd) {
        if (window.console) window.console.error("GenreLab report: no place for chart " + c.id);
        continue;
      }
      try {
        var drawn = window.Plotly.newPlot(gd, c.data, c.layout, c.config);
        if (drawn && drawn.then) {
          drawn.then(null, (function (place) {
            return function (err) { fail(message(err), [place]); };
          }(gd)));
        }
      } catch (err) {
        fail(message(err), [gd]);
      }
    }
  }

  /** Unpack plotly.js and the charts, run plotly.js, then draw every chart. */
  function draw() {
    var missing = [];
    for (var i = 0; i < NEEDS.length; i++) {
      if (typeof window[NEEDS[i]] === "undefined") missing.push(NEEDS[i]);
    }
    if (missing.length) {
      fail("it lacks " + missing.join(", "));
      return;
    }
    Promise.all([blobText("plotly-js"), blobText("report-charts")]).then(function (texts) {
      var script = document.createElement("script");
      script.textContent = texts[0];
      document.head.appendChild(script);
      if (!window.Plotly) throw new Error("plotly.js did not start");
      drawCharts(JSON.parse(texts[1]));
    }).then(null, function (err) { fail(message(err)); });
  }

  /* for tests and the curious: the unpacking, callable from the console */
  window.GenreLabReport = {unpack: unpack, blobText: blobText};
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
  else draw();
}());
