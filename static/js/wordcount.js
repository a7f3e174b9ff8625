// The word rule, mirrored from courses/wordcount.py: keep the two in step.
// Vectors in courses/wordcount_vectors.json are run against both.
(function (root) {
  "use strict";
  var SEPARATORS = /[\u0000-\u001f\u007f-\u009f\u0020\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\u2013\u2014]+/;
  var CJK_RANGES = [
    [0x3005, 0x3005], [0x3007, 0x3007], [0x3041, 0x3096], [0x309d, 0x309f],
    [0x30a1, 0x30fa], [0x30fc, 0x30ff], [0x31f0, 0x31ff], [0x3400, 0x4dbf],
    [0x4e00, 0x9fff], [0xf900, 0xfaff], [0xff66, 0xff9f], [0x20000, 0x2fa1f],
    [0x30000, 0x323af]
  ];
  var LETTER_OR_DIGIT = /[\p{L}\p{N}]/u;

  function isCjk(code) {
    for (var i = 0; i < CJK_RANGES.length; i++) {
      if (code >= CJK_RANGES[i][0] && code <= CJK_RANGES[i][1]) return true;
    }
    return false;
  }

  function countWords(text) {
    var count = 0;
    var pieces = String(text).split(SEPARATORS);
    for (var p = 0; p < pieces.length; p++) {
      var runHasWord = false;
      for (var ch of pieces[p]) {  // iterates code points, not UTF-16 units
        if (isCjk(ch.codePointAt(0))) {
          count += 1 + (runHasWord ? 1 : 0);
          runHasWord = false;
        } else if (!runHasWord && LETTER_OR_DIGIT.test(ch)) {
          runHasWord = true;
        }
      }
      if (runHasWord) count += 1;
    }
    return count;
  }

  root.countWords = countWords;
})(window);
