/* GenreLab report loader: unpacks plotly.js and the charts, then draws each chart.
 *
 * The report embeds two blobs in script elements of type text/plain: plotly.js and the charts'
 * JSON, each LZMA-compressed ("alone" format) and written in base85 (Python's b85encode alphabet
 * with '<' written as '.', so a blob holds neither '<' nor '/').  Each blob element carries the
 * unpacked size in bytes (data-size) and the CRC-32 of the unpacked bytes (data-crc32); a blob
 * that does not unpack to exactly those is refused.  Written in ES5 with no modern syntax, so any
 * browser that can run it at all shows a message in each chart's place when something fails,
 * instead of empty boxes.
 */
(function () {
  "use strict";
  var B85 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz!#$%&()*+-;.=>?@^_`{|}~";

  /** Bytes of a base85 text (the alphabet above; a short last group as Python writes it). */
  function base85(text) {
    var value = new Int16Array(128), i, j, k;
    for (i = 0; i < 128; i++) value[i] = -1;
    for (i = 0; i < 85; i++) value[B85.charCodeAt(i)] = i;
    var n = text.length, full = Math.floor(n / 5), rest = n % 5;
    if (rest === 1) throw new Error("base85 text of a wrong length");
    var out = new Uint8Array(full * 4 + (rest ? rest - 1 : 0)), o = 0;
    for (i = 0; i < n; i += 5) {
      var acc = 0;
      for (j = 0; j < 5; j++) {
        var c = i + j < n ? text.charCodeAt(i + j) : 126;  /* '~' pads the last group */
        var d = c < 128 ? value[c] : -1;
        if (d < 0) throw new Error("not a base85 character at " + (i + j));
        acc = acc * 85 + d;
      }
      if (acc > 0xFFFFFFFF) throw new Error("base85 group out of range at " + i);
      var m = Math.min(4, out.length - o);
      for (k = 0; k < m; k++) out[o++] = (acc >>> (24 - 8 * k)) & 255;
    }
    return out;
  }

  /** CRC-32 (the zlib one) of bytes, as an unsigned number. */
  function crc32(bytes) {
    var table = new Uint32Array(256), i, k, c;
    for (i = 0; i < 256; i++) {
      c = i;
      for (k = 0; k < 8; k++) c = c & 1 ? 0xEDB88320 ^ (c >>> 1) : c >>> 1;
      table[i] = c;
    }
    c = 0xFFFFFFFF;
    for (i = 0; i < bytes.length; i++) c = table[(c ^ bytes[i]) & 255] ^ (c >>> 8);
    return (c ^ 0xFFFFFFFF) >>> 0;
  }

  /** Bytes of an LZMA "alone" stream (13-byte header, then data up to the end marker); size: the
   * number of bytes it must unpack to. */
  function unlzma(input, size) {
    var props = input[0];
    if (props >= 225) throw new Error("not an LZMA stream");
    var lc = props % 9, lp = Math.floor(props / 9) % 5, pb = Math.floor(props / 45);
    var out = new Uint8Array(size), pos = 0;
    var inPos = 13, range = 0xFFFFFFFF, code = 0, i;
    function byte() {
      if (inPos >= input.length) throw new Error("LZMA stream cut short");
      return input[inPos++];
    }
    if (byte() !== 0) throw new Error("LZMA stream damaged");
    for (i = 0; i < 4; i++) code = ((code << 8) | byte()) >>> 0;
    function probs(n) {
      var p = new Uint16Array(n);
      for (var j = 0; j < n; j++) p[j] = 1024;
      return p;
    }
    function bit(p, at) {
      var bound = (range >>> 11) * p[at];
      var b;
      if (code < bound) {
        range = bound;
        p[at] += (2048 - p[at]) >>> 5;
        b = 0;
      } else {
        range = (range - bound) >>> 0;
        code = (code - bound) >>> 0;
        p[at] -= p[at] >>> 5;
        b = 1;
      }
      if (range < 0x1000000) {
        range = (range << 8) >>> 0;
        code = ((code << 8) | byte()) >>> 0;
      }
      return b;
    }
    function direct(count) {
      var result = 0;
      for (var j = 0; j < count; j++) {
        range = range >>> 1;
        var b = code >= range ? 1 : 0;
        if (b) code = (code - range) >>> 0;
        result = result * 2 + b;
        if (range < 0x1000000) {
          range = (range << 8) >>> 0;
          code = ((code << 8) | byte()) >>> 0;
        }
      }
      return result;
    }
    function tree(p, base, bits) {
      var m = 1;
      for (var j = 0; j < bits; j++) m = (m << 1) | bit(p, base + m);
      return m - (1 << bits);
    }
    function reverse(p, base, bits) {
      var m = 1, sym = 0;
      for (var j = 0; j < bits; j++) {
        var b = bit(p, base + m);
        m = (m << 1) | b;
        sym |= b << j;
      }
      return sym;
    }
    var nPos = 1 << pb;
    function lengths() {
      return {choice: probs(2), low: probs(nPos << 3), mid: probs(nPos << 3), high: probs(256)};
    }
    function length(l, posState) {
      if (bit(l.choice, 0) === 0) return tree(l.low, posState << 3, 3);
      if (bit(l.choice, 1) === 0) return 8 + tree(l.mid, posState << 3, 3);
      return 16 + tree(l.high, 0, 8);
    }
    var literal = probs(0x300 << (lc + lp)), isMatch = probs(192), isRep = probs(12),
      isRepG0 = probs(12), isRepG1 = probs(12), isRepG2 = probs(12), isRep0Long = probs(192),
      posSlot = probs(256), posSpecial = probs(115), align = probs(16),
      matchLen = lengths(), repLen = lengths();
    var state = 0, rep0 = 0, rep1 = 0, rep2 = 0, rep3 = 0, len, j;
    var pbMask = nPos - 1, lpMask = (1 << lp) - 1;
    for (;;) {
      var posState = pos & pbMask;
      if (bit(isMatch, (state << 4) + posState) === 0) {
        if (pos >= size) throw new Error("LZMA stream longer than " + size + " bytes");
        var prev = pos > 0 ? out[pos - 1] : 0;
        var base = 0x300 * (((pos & lpMask) << lc) + (prev >>> (8 - lc)));
        var sym = 1;
        if (state >= 7) {
          var matchByte = out[pos - rep0 - 1];
          while (sym < 0x100) {
            var matchBit = (matchByte >>> 7) & 1;
            matchByte <<= 1;
            var b = bit(literal, base + ((1 + matchBit) << 8) + sym);
            sym = (sym << 1) | b;
            if (matchBit !== b) break;
          }
        }
        while (sym < 0x100) sym = (sym << 1) | bit(literal, base + sym);
        out[pos++] = sym & 255;
        state = state < 4 ? 0 : state < 10 ? state - 3 : state - 6;
        continue;
      }
      if (bit(isRep, state) === 1) {
        if (pos === 0) throw new Error("LZMA stream damaged");
        if (bit(isRepG0, state) === 0) {
          if (bit(isRep0Long, (state << 4) + posState) === 0) {
            if (pos >= size) throw new Error("LZMA stream longer than " + size + " bytes");
            state = state < 7 ? 9 : 11;
            out[pos] = out[pos - rep0 - 1];
            pos++;
            continue;
          }
        } else {
          var dist;
          if (bit(isRepG1, state) === 0) {
            dist = rep1;
          } else {
            if (bit(isRepG2, state) === 0) {
              dist = rep2;
            } else {
              dist = rep3;
              rep3 = rep2;
            }
            rep2 = rep1;
          }
          rep1 = rep0;
          rep0 = dist;
        }
        len = length(repLen, posState);
        state = state < 7 ? 8 : 11;
      } else {
        rep3 = rep2;
        rep2 = rep1;
        rep1 = rep0;
        len = length(matchLen, posState);
        state = state < 7 ? 7 : 10;
        var slot = tree(posSlot, (len < 3 ? len : 3) << 6, 6);
        if (slot < 4) {
          rep0 = slot;
        } else {
          var bits = (slot >>> 1) - 1;
          rep0 = (2 | (slot & 1)) * Math.pow(2, bits);
          if (slot < 14) rep0 += reverse(posSpecial, rep0 - slot, bits);
          else rep0 += direct(bits - 4) * 16 + reverse(align, 0, 4);
          if (rep0 === 0xFFFFFFFF) break;  /* the end marker */
        }
        if (rep0 >= pos) throw new Error("LZMA stream damaged (distance " + rep0 + ")");
      }
      len += 2;
      if (pos + len > size) throw new Error("LZMA stream longer than " + size + " bytes");
      for (j = 0; j < len; j++, pos++) out[pos] = out[pos - rep0 - 1];
    }
    if (pos !== size) throw new Error("LZMA stream gave " + pos + " bytes, not " + size);
    return out;
  }

  /** The bytes a blob's text holds (base85, then LZMA); size: how many bytes it must give. */
  function unpack(text, size) {
    return unlzma(base85(text), size);
  }

  /** The text held by the blob element of that id, unpacked and checked. */
  function blobText(id) {
    var el = document.getElementById(id);
    if (!el) throw new Error("the report holds no " + id);
    var size = Number(el.getAttribute("data-size")), crc = Number(el.getAttribute("data-crc32"));
    var bytes = unpack(el.textContent, size);
    if (crc32(bytes) !== crc) throw new Error(id + " is damaged (checksum differs)");
    return new TextDecoder("utf-8", {fatal: true}).decode(bytes);
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

  /** A promise rejection handler that writes the reason into one chart's place. */
  function failOn(gd) {
    return function (err) { fail(err && err.message ? err.message : String(err), [gd]); };
  }

  /** Unpack plotly.js, run it, then draw every chart. */
  function draw() {
    var charts;
    try {
      if (typeof Uint8Array === "undefined" || typeof TextDecoder === "undefined") {
        throw new Error("it lacks typed arrays or TextDecoder");
      }
      var script = document.createElement("script");
      script.textContent = blobText("plotly-js");
      document.head.appendChild(script);
      if (!window.Plotly) throw new Error("plotly.js did not start");
      charts = JSON.parse(blobText("report-charts"));
    } catch (err) {
      fail(err && err.message ? err.message : String(err));
      return;
    }
    window.PLOTLYENV = window.PLOTLYENV || {};
    for (var i = 0; i < charts.length; i++) {
      var c = charts[i], gd = document.getElementById(c.id);
      if (!gd) {
        if (window.console) window.console.error("GenreLab report: no place for chart " + c.id);
        continue;
      }
      try {
        var drawn = window.Plotly.newPlot(gd, c.data, c.layout, c.config);
        if (drawn && drawn.then) drawn.then(null, failOn(gd));
      } catch (err) {
        fail(err && err.message ? err.message : String(err), [gd]);
      }
    }
  }

  /* for tests and the curious: the unpacking, callable from the console */
  window.GenreLabReport = {unpack: unpack, blobText: blobText};
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
  else draw();
}());
