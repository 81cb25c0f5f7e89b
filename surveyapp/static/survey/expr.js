/*
 * SurveyExpr: the XLSForm expression engine of surveyapp/questionnaire/expressions.py, for the
 * browser, so relevant, constraint, required, choice_filter and calculation give on the device
 * exactly what the server gives. tests/js/expr.test.js runs tests/data/expression_vectors.json
 * against it. Plain ES2017 for old Android WebViews and WeChat: no ?. or ??, no lookbehind.
 */
(function (root, factory) {
  var api = factory();
  if (typeof module === 'object' && module.exports) module.exports = api;
  else root.SurveyExpr = api;
})(typeof self !== 'undefined' ? self : this, function () {
  'use strict';

  // Long `or` chains nest one tree level per operand; the server's limits.
  var MAX_DEPTH = 256, MAX_NESTING = 64, UNARY_BINDING = 7;
  var NUMBER_TEXT = /^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)$/;
  var DATE_TEXT = /^[0-9]{4}-[0-9]{2}-[0-9]{2}$/;
  var ITEM = /[^ \t\r\n]+/g, EDGE_SPACE = /^[ \t\r\n]+|[ \t\r\n]+$/g;
  var PAIR = /[\uD800-\uDBFF][\uDC00-\uDFFF]/g;
  var hasOwn = Object.prototype.hasOwnProperty;

  function own(object, key) {
    // Names such as ${constructor} must not find Object.prototype members.
    return object != null && hasOwn.call(object, key);
  }

  function ExpressionError(message, position) {
    this.message = message;
    this.position = position;
    this.stack = new Error(message + ' at position ' + position).stack;
  }
  ExpressionError.prototype = Object.create(Error.prototype);
  ExpressionError.prototype.constructor = ExpressionError;
  ExpressionError.prototype.name = 'ExpressionError';

  // --- the value domain: string, number, boolean, node-set ---------------------------
  // A repeat's question seen from outside an entry: its answers over the entries (XPath's
  // node-set). Its string/number values are those of its first item, its boolean "not empty",
  // and a comparison holds when it holds for some item.
  function NodeSet(nodes) {
    if (!(this instanceof NodeSet)) return new NodeSet(nodes);
    this.nodes = (nodes || []).map(function (n) { return value(n); });
  }
  function isNodes(v) { return v instanceof NodeSet; }
  function nodes(v) { return isNodes(v) ? v.nodes : [v]; }
  function first(v) { return isNodes(v) ? (v.nodes.length ? v.nodes[0] : '') : v; }

  function value(raw) {
    // An answer as stored (JSON-like) mapped into the value domain.
    if (raw === null || raw === undefined) return '';
    if (isNodes(raw)) return raw;
    var type = typeof raw;
    if (type === 'string' || type === 'number' || type === 'boolean') return raw;
    if (type === 'bigint') return Number(raw); // huge ints become +/-Infinity, as on the server
    if (Array.isArray(raw)) return raw.map(function (item) { return str(value(item)); }).join(' ');
    return String(raw);
  }
  function num(v) {
    v = first(v);
    if (typeof v === 'boolean') return v ? 1 : 0;
    if (typeof v === 'number') return v;
    var text = v.replace(EDGE_SPACE, '');
    return NUMBER_TEXT.test(text) ? Number(text) : NaN;
  }
  function str(v) {
    v = first(v);
    if (typeof v === 'boolean') return v ? 'true' : 'false';
    return typeof v === 'number' ? formatNumber(v) : v;
  }
  function bool(v) {
    if (isNodes(v)) return v.nodes.length > 0;
    if (typeof v === 'boolean') return v;
    return typeof v === 'number' ? v !== 0 && v === v : v !== '';
  }

  function formatNumber(n) {
    // toString already gives the shortest round-trip digits (as Python's repr) and '0' for
    // -0; only its exponent form (|n| >= 1e21 or < 1e-6) must be written out positionally.
    var text = String(n), m = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(text);
    if (!m) return text;
    var digits = m[2] + (m[3] || ''), point = 1 + Number(m[4]);
    if (point <= 0) return m[1] + '0.' + '0'.repeat(-point) + digits;
    return m[1] + digits + '0'.repeat(point - digits.length);
  }

  function items(v) { return str(v).match(ITEM) || []; }
  function codePoints(text) {
    // The server counts code points; JS strings count UTF-16 units.
    return text.length - (text.match(PAIR) || []).length;
  }

  // --- operators ---------------------------------------------------------------------
  function equals(a, b) {
    if (typeof a === 'boolean' || typeof b === 'boolean') return bool(a) === bool(b);
    if (typeof a === 'number' || typeof b === 'number') return num(a) === num(b);
    return a === b;
  }

  function ordering(compare) {
    // Two YYYY-MM-DD strings compare as dates (as text); anything else as numbers.
    return function (a, b) {
      var dates = typeof a === 'string' && typeof b === 'string' && DATE_TEXT.test(a) && DATE_TEXT.test(b);
      return dates ? compare(a, b) : compare(num(a), num(b));
    };
  }

  function some(test) {
    return function (a, b) {
      if (!isNodes(a) && !isNodes(b)) return test(a, b);
      return nodes(a).some(function (x) { return nodes(b).some(function (y) { return test(x, y); }); });
    };
  }

  function binary(test) {
    return function (left, right) { return function (env) { return test(left(env), right(env)); }; };
  }
  function arithmetic(compute) {
    return binary(function (a, b) { return compute(num(a), num(b)); });
  }

  // [binding power, builder]. JS / and % are exactly the IEEE division and C fmod the rules
  // ask for (x div 0 = +/-Infinity, 0 div 0 = NaN, x mod 0 = NaN, x mod Infinity = x).
  var BINARY = {
    or: [1, function (left, right) { return function (env) { return bool(left(env)) || bool(right(env)); }; }],
    and: [2, function (left, right) { return function (env) { return bool(left(env)) && bool(right(env)); }; }],
    '=': [3, binary(some(equals))],
    '!=': [3, binary(some(function (a, b) { return !equals(a, b); }))],
    '<': [4, binary(some(ordering(function (a, b) { return a < b; })))],
    '<=': [4, binary(some(ordering(function (a, b) { return a <= b; })))],
    '>': [4, binary(some(ordering(function (a, b) { return a > b; })))],
    '>=': [4, binary(some(ordering(function (a, b) { return a >= b; })))],
    '+': [5, arithmetic(function (a, b) { return a + b; })],
    '-': [5, arithmetic(function (a, b) { return a - b; })],
    '*': [6, arithmetic(function (a, b) { return a * b; })],
    div: [6, arithmetic(function (a, b) { return a / b; })],
    mod: [6, arithmetic(function (a, b) { return a % b; })]
  };

  // --- regex(): as the server's Python re (re.ASCII, '$' only at the very end) ----------
  // Both engines read common patterns alike, and \d \w \b ^ $ already agree. These atoms
  // differ, so they are rewritten: the server's \s is ASCII whitespace only, its '.' only
  // excludes '\n', a ']' first in a class is literal, and a character outside the BMP is one
  // character, not two UTF-16 units (whole() never matches half of a surrogate pair).
  var PAIR_SOURCE = '[\\uD800-\\uDBFF][\\uDC00-\\uDFFF]';
  function whole(atom) {
    return '(?:' + PAIR_SOURCE + '|(?!' + PAIR_SOURCE + ')' + atom + ')';
  }
  var OUTSIDE = { '.': whole('[^\\n]'), '\\s': '[\\t\\n\\v\\f\\r ]', '\\S': whole('[^\\t\\n\\v\\f\\r ]'),
    '\\D': whole('\\D'), '\\W': whole('\\W') };
  var INSIDE = { '\\s': '\\t\\n\\v\\f\\r ', '\\S': '\\x00-\\x08\\x0e-\\x1f!-\\uffff' };
  var COMPLEMENTS = { '\\S': true, '\\D': true, '\\W': true };

  function atomAt(pattern, i) {
    // One escape, one surrogate pair or one UTF-16 unit.
    var pair = /^[\uD800-\uDBFF][\uDC00-\uDFFF]/.test(pattern.substr(i, 2));
    return pattern.substr(i, pattern[i] === '\\' || pair ? 2 : 1);
  }

  function translateClass(pattern, start) {
    var i = start + 1, negated = pattern[i] === '^', complement = false;
    if (negated) i++;
    var leading = pattern[i] === ']', body = leading ? '\\]' : '';
    if (leading) i++;
    while (i < pattern.length && pattern[i] !== ']') {
      var atom = atomAt(pattern, i);
      // The server's '$' rewrite ends such a class early and puts \Z in it: invalid there.
      if (leading && atom === '$') return null;
      complement = complement || own(COMPLEMENTS, atom);
      body += own(INSIDE, atom) ? INSIDE[atom] : atom;
      i += atom.length;
    }
    var source = '[' + (negated ? '^' : '') + body + pattern.substr(i, 1);
    // A class that takes in every astral character must take each one whole.
    return { source: negated !== complement ? whole(source) : source, end: i + 1 };
  }

  function translate(pattern) {
    var out = '';
    for (var i = 0; i < pattern.length;) {
      if (pattern[i] === '[') {
        var cls = translateClass(pattern, i);
        if (cls === null) return null;
        out += cls.source;
        i = cls.end;
        continue;
      }
      var atom = atomAt(pattern, i);
      i += atom.length;
      if (own(OUTSIDE, atom)) out += OUTSIDE[atom];
      else out += atom.length === 2 && atom[0] !== '\\' ? '(?:' + atom + ')' : atom; // quantify a pair whole
    }
    return out;
  }

  var compiled = new Map();
  function compile(pattern) {
    if (compiled.has(pattern)) return compiled.get(pattern);
    if (compiled.size >= 256) compiled.clear();
    var regex = null, source = translate(pattern);
    try {
      regex = source === null ? null : new RegExp(source);
    } catch (e) { /* an invalid pattern matches nothing */ }
    compiled.set(pattern, regex);
    return regex;
  }

  function search(text, pattern) {
    var regex = compile(str(pattern));
    try {
      return regex !== null && regex.test(str(text));
    } catch (e) { return false; /* a backtracking stack overflow must not break evaluation */ }
  }

  // --- functions ---------------------------------------------------------------------
  function pad(number, width) { return ('000' + number).slice(-width); }
  function localToday() {
    var d = new Date();
    return pad(d.getFullYear(), 4) + '-' + pad(d.getMonth() + 1, 2) + '-' + pad(d.getDate(), 2);
  }

  function unary(convert) {
    return function (arg) { return function (env) { return convert(arg(env)); }; };
  }
  function constant(v) {
    return function () { return function () { return v; }; };
  }

  function numeric(compute) {
    return function () {
      var args = Array.prototype.slice.call(arguments);
      return function (env) { return compute.apply(null, args.map(function (a) { return num(a(env)); })); };
    };
  }
  function flat(args, env) {
    var out = [];
    args.forEach(function (a) { out = out.concat(nodes(a(env))); });
    return out;
  }
  function extreme(pick) {
    return function () {
      var args = Array.prototype.slice.call(arguments);
      return function (env) {
        var numbers = flat(args, env).map(num);
        return !numbers.length || numbers.some(function (n) { return n !== n; }) ? NaN : pick.apply(null, numbers);
      };
    };
  }
  function sumOf(v) {
    // Left to right in IEEE doubles, as the server adds.
    return nodes(v).reduce(function (total, x) { return total + num(x); }, 0);
  }
  function roundHalfAway(n, digits) {
    // Half away from zero on the shortest decimal digits (2.675 -> 2.68), as the server.
    if (n !== n || !isFinite(digits)) return NaN;
    if (!isFinite(n)) return n;
    var places = Math.trunc(digits), text = formatNumber(Math.abs(n)), point = text.indexOf('.');
    var whole = point < 0 ? text : text.slice(0, point), frac = point < 0 ? '' : text.slice(point + 1);
    if (places >= 0 && frac.length <= places) return n;
    var keep = whole.length + places, all = whole + frac;
    var kept = keep > 0 ? all.slice(0, keep) : '', up = keep >= 0 && all.charAt(keep) >= '5';
    if (up) kept = increment(kept);
    var result = places >= 0 ? Number((kept.slice(0, kept.length - places) || '0') + '.' + kept.slice(kept.length - places))
      : Number((kept || '0') + '0'.repeat(-places));
    return n < 0 ? -result : result;
  }
  function increment(digits) {
    var list = digits.split('').map(Number), i = list.length - 1;
    while (i >= 0 && list[i] === 9) { list[i] = 0; i--; }
    if (i < 0) list.unshift(1); else list[i]++;
    return list.join('');
  }
  function logOf(base) { return function (x) { return x === 0 ? -Infinity : base(x); }; }
  function index(n, length) {
    if (n !== n) return 0;
    if (!isFinite(n)) return n > 0 ? length : 0;
    return Math.min(Math.max(Math.trunc(n), 0), length);
  }
  function substr(text, start, end) {
    var chars = Array.from(str(text)), a = index(num(start), chars.length);
    var b = end === undefined ? chars.length : index(num(end), chars.length);
    return chars.slice(a, b).join('');
  }
  function translateText(text, from, to) {
    var table = {}, target = Array.from(str(to));
    Array.from(str(from)).forEach(function (c, i) { if (!own(table, c)) table[c] = i < target.length ? target[i] : ''; });
    return Array.from(str(text)).map(function (c) { return own(table, c) ? table[c] : c; }).join('');
  }
  function days(v) {
    var text = str(v).replace(EDGE_SPACE, ''), day = text.slice(0, 10);
    if (!DATE_TEXT.test(day) || (text.length > 10 && 'T '.indexOf(text.charAt(10)) < 0)) return NaN;
    var date = new Date(day + 'T00:00:00Z');
    if (isNaN(date) || date.toISOString().slice(0, 10) !== day) return NaN;
    return date.getTime() / 86400000;
  }
  function dateOf(v) {
    var d = typeof v === 'number' || typeof v === 'boolean' || isNodes(v) ? num(v) : days(v);
    if (d !== d || !isFinite(d) || Math.abs(d) > 2900000) return '';
    var date = new Date(Math.floor(d) * 86400000);
    return pad(date.getUTCFullYear(), 4) + '-' + pad(date.getUTCMonth() + 1, 2) + '-' + pad(date.getUTCDate(), 2);
  }
  function position(env) { return env.position || 1; }

  // name: [minimum, maximum (-1: any), builder over the argument evaluators]
  var FUNCTIONS = {
    selected: [2, 2, function (x, v) {
      return function (env) { var wanted = str(v(env)); return items(x(env)).indexOf(wanted) >= 0; };
    }],
    'count-selected': [1, 1, unary(function (v) { return items(v).length; })],
    'string-length': [1, 1, unary(function (v) { return codePoints(str(v)); })],
    regex: [2, 2, function (s, p) { return function (env) { var text = s(env); return search(text, p(env)); }; }],
    'if': [3, 3, function (c, a, b) { return function (env) { return bool(c(env)) ? a(env) : b(env); }; }],
    coalesce: [2, 2, function (a, b) {
      return function (env) { var first = a(env); return str(first) !== '' ? first : b(env); };
    }],
    today: [0, 0, function () {
      return function (env) { return env.today == null ? localToday() : value(env.today); };
    }],
    'int': [1, 1, unary(function (v) { return Math.trunc(num(v)); })], // keeps -0, NaN, Infinity
    number: [1, 1, unary(num)],
    not: [1, 1, unary(function (v) { return !bool(v); })],
    'true': [0, 0, constant(true)],
    'false': [0, 0, constant(false)],
    concat: [1, -1, function () {
      var parts = Array.prototype.slice.call(arguments);
      return function (env) { return parts.map(function (p) { return str(p(env)); }).join(''); };
    }],
    string: [1, 1, unary(str)],
    'boolean': [1, 1, unary(bool)],
    // Repeats (rosters) and lists.
    count: [1, 1, unary(function (v) { return isNodes(v) ? v.nodes.length : 1; })],
    'count-non-empty': [1, 1, unary(function (v) {
      return nodes(v).filter(function (x) { return str(x) !== ''; }).length;
    })],
    sum: [1, 1, unary(sumOf)],
    min: [1, -1, extreme(Math.min)],
    max: [1, -1, extreme(Math.max)],
    join: [2, -1, function (sep) {
      var parts = Array.prototype.slice.call(arguments, 1);
      return function (env) { return flat(parts, env).map(str).join(str(sep(env))); };
    }],
    'indexed-repeat': [3, 3, function (x, r, i) {
      return function (env) {
        var list = nodes(x(env)), at = num(i(env));
        return isFinite(at) && at === Math.trunc(at) && at >= 1 && at <= list.length ? list[at - 1] : '';
      };
    }],
    position: [1, 1, function () { return position; }],
    'selected-at': [2, 2, function (x, i) {
      return function (env) {
        var list = items(x(env)), at = num(i(env));
        return isFinite(at) && at === Math.trunc(at) && at >= 0 && at < list.length ? list[at] : '';
      };
    }],
    once: [1, 1, unary(function (v) { return v; })],
    // Numbers.
    abs: [1, 1, numeric(Math.abs)],
    round: [1, 2, numeric(function (x, d) { return roundHalfAway(x, d === undefined ? 0 : d); })],
    floor: [1, 1, numeric(Math.floor)],
    ceiling: [1, 1, numeric(Math.ceil)],
    pow: [2, 2, numeric(Math.pow)],
    sqrt: [1, 1, numeric(Math.sqrt)],
    exp: [1, 1, numeric(Math.exp)],
    exp10: [1, 1, numeric(function (x) { return Math.pow(10, x); })],
    log: [1, 1, numeric(logOf(Math.log))],
    log10: [1, 1, numeric(logOf(Math.log10))],
    pi: [0, 0, numeric(function () { return Math.PI; })],
    sin: [1, 1, numeric(Math.sin)],
    cos: [1, 1, numeric(Math.cos)],
    tan: [1, 1, numeric(Math.tan)],
    asin: [1, 1, numeric(Math.asin)],
    acos: [1, 1, numeric(Math.acos)],
    atan: [1, 1, numeric(Math.atan)],
    atan2: [2, 2, numeric(Math.atan2)],
    // Text.
    contains: [2, 2, function (a, b) { return function (env) { return str(a(env)).indexOf(str(b(env))) >= 0; }; }],
    'starts-with': [2, 2, function (a, b) {
      return function (env) { var t = str(a(env)), p = str(b(env)); return t.slice(0, p.length) === p; };
    }],
    'ends-with': [2, 2, function (a, b) {
      return function (env) { var t = str(a(env)), p = str(b(env)); return !p || t.slice(-p.length) === p; };
    }],
    substr: [2, 3, function (a, b, c) {
      return function (env) { return substr(a(env), b(env), c ? c(env) : undefined); };
    }],
    'substring-before': [2, 2, function (a, b) {
      return function (env) { var t = str(a(env)), at = t.indexOf(str(b(env))); return at < 0 ? '' : t.slice(0, at); };
    }],
    'substring-after': [2, 2, function (a, b) {
      return function (env) {
        var t = str(a(env)), p = str(b(env)), at = t.indexOf(p);
        return at < 0 ? '' : t.slice(at + p.length);
      };
    }],
    'normalize-space': [1, 1, unary(function (v) { return items(v).join(' '); })],
    translate: [3, 3, function (a, b, c) { return function (env) { return translateText(a(env), b(env), c(env)); }; }],
    'boolean-from-string': [1, 1, unary(function (v) { var t = str(v); return t === 'true' || t === '1'; })],
    // Dates.
    date: [1, 1, unary(dateOf)],
    'decimal-date-time': [1, 1, unary(days)]
  };

  function arityProblem(name, spec, count) {
    var min = spec[0], max = spec[1];
    if (min <= count && (max < 0 || count <= max)) return null;
    var wanted = max < 0 ? min : max, plural = wanted === 1 ? 'argument' : 'arguments';
    if (max < 0) return name + '() takes at least ' + wanted + ' ' + plural;
    return name + '() takes ' + (wanted || 'no') + ' ' + plural;
  }

  // --- tokenizer -----------------------------------------------------------------------
  var TOKEN = new RegExp('([ \\t\\r\\n]+)|([0-9]+(?:\\.[0-9]*)?|\\.[0-9]+)|(\'[^\']*\'|"[^"]*")' +
    '|(\\$\\{[^\\s{}$0-9.\\-][^\\s{}$]*\\})|([A-Za-z_][A-Za-z0-9_.\\-]*(?:::[A-Za-z_][A-Za-z0-9_.\\-]*)?)' +
    '|(!=|<=|>=|\\.\\.|[=<>+\\-*(),.])', 'y');
  var KINDS = ['', 'space', 'number', 'string', 'ref', 'name', 'op']; // TOKEN's groups
  var LEXICAL_ERRORS = { "'": 'unterminated string', '"': 'unterminated string', $: 'invalid reference' };
  var UNPRINTABLE = /[\\'\x00-\x1f\x7f-\xa0\xad\u2000-\u200f\u2028-\u202f\u205f-\u206f\u3000\ufeff]/g;

  function repr(text) {
    // Python's repr() of a token, as the server's messages quote it (common cases).
    var quote = text.indexOf("'") >= 0 && text.indexOf('"') < 0 ? '"' : "'";
    return quote + text.replace(UNPRINTABLE, function (c) {
      if (c === "'") return quote === "'" ? "\\'" : c;
      var code = c.charCodeAt(0);
      var named = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' }[c];
      return named || (code < 256 ? '\\x' + pad(code.toString(16), 2) : '\\u' + pad(code.toString(16), 4));
    }) + quote;
  }
  function fail(text, message, unit) {
    // Positions count code points, as on the server.
    throw new ExpressionError(message, codePoints(text.slice(0, unit)));
  }

  function tokenize(text) {
    var tokens = [];
    for (var position = 0; position < text.length; position = TOKEN.lastIndex) {
      TOKEN.lastIndex = position;
      var match = TOKEN.exec(text);
      if (match === null) {
        var char = String.fromCodePoint(text.codePointAt(position));
        fail(text, own(LEXICAL_ERRORS, char) ? LEXICAL_ERRORS[char] : 'unexpected character ' + repr(char), position);
      }
      var kind = 1;
      while (match[kind] === undefined) kind++;
      if (kind > 1) tokens.push({ kind: KINDS[kind], text: match[0], position: position });
    }
    tokens.push({ kind: 'end', text: '', position: text.length });
    return tokens;
  }

  // --- parser: a Pratt parser turning tokens into a tree of closures -------------------
  function addOnce(list, name) {
    if (list.indexOf(name) < 0) list.push(name);
  }

  function parse(text) {
    if (typeof text !== 'string') throw new TypeError('expression text must be a string');
    var tokens = tokenize(text), index = 0, nesting = 0;
    var references = [], columns = [], functions = [], usesCurrent = false;
    function accept(op) {
      var found = tokens[index].kind === 'op' && tokens[index].text === op;
      if (found) index++;
      return found;
    }
    function unexpected(token) {
      if (token.kind === 'end') fail(text, 'unexpected end of expression', token.position);
      fail(text, 'unexpected ' + repr(token.text), token.position);
    }
    function leaf(run) {
      return { run: run, depth: 1 };
    }
    function node(run, children) {
      var depth = 1;
      children.forEach(function (child) { depth = Math.max(depth, child.depth + 1); });
      if (depth > MAX_DEPTH) fail(text, 'expression is too deeply nested', tokens[index].position);
      return { run: run, depth: depth };
    }
    function binaryOperator() {
      // and/or/div/mod are operators only where an operator can stand; elsewhere names.
      var token = tokens[index];
      return (token.kind === 'op' || token.kind === 'name') && own(BINARY, token.text) ? token.text : null;
    }
    function expression(minBinding) {
      if (++nesting > MAX_NESTING) fail(text, 'expression is too deeply nested', tokens[index].position);
      var left = prefix(), op;
      while ((op = binaryOperator()) !== null && BINARY[op][0] > minBinding) {
        index++;
        var right = expression(BINARY[op][0]);
        left = node(BINARY[op][1](left.run, right.run), [left, right]);
      }
      nesting--;
      return left;
    }
    function prefix() {
      var token = tokens[index++], kind = token.kind === 'op' ? token.text : token.kind;
      if (kind === 'number' || kind === 'string') {
        var literal = kind === 'number' ? Number(token.text) : token.text.slice(1, -1);
        return leaf(function () { return literal; });
      }
      if (kind === 'ref') return reference(token.text.slice(2, -1));
      if (kind === 'name') return accept('(') ? call(token) : column(token.text);
      if (kind === '.') {
        usesCurrent = true;
        return leaf(function (env) { return value(env.current); });
      }
      if (kind === '-') {
        var operand = expression(UNARY_BINDING);
        return node(function (env) { return -num(operand.run(env)); }, [operand]);
      }
      if (kind !== '(') unexpected(token);
      var inner = expression(0);
      expectClose();
      return inner;
    }
    function reference(name) {
      addOnce(references, name);
      return leaf(function (env) { return own(env.answers, name) ? value(env.answers[name]) : ''; });
    }
    function column(name) {
      addOnce(columns, name);
      return leaf(function (env) { return own(env.row, name) ? value(env.row[name]) : ''; });
    }
    function expectClose() {
      if (accept(')')) return;
      if (tokens[index].kind === 'end') fail(text, "missing ')'", tokens[index].position);
      unexpected(tokens[index]);
    }
    function call(name) {
      // The '(' is consumed; an unknown name fails before its arguments are read.
      if (!own(FUNCTIONS, name.text)) fail(text, 'unknown function ' + repr(name.text), name.position);
      if (name.text === 'position') { // position(..): the number of the repeat entry
        if (!accept('..')) unexpected(tokens[index]);
        expectClose();
        addOnce(functions, name.text);
        return leaf(position);
      }
      var spec = FUNCTIONS[name.text], args = argumentList();
      var problem = arityProblem(name.text, spec, args.length);
      if (problem) fail(text, problem, name.position);
      addOnce(functions, name.text);
      return node(spec[2].apply(null, args.map(function (arg) { return arg.run; })), args);
    }
    function argumentList() {
      var args = [];
      if (accept(')')) return args;
      do args.push(expression(0)); while (accept(','));
      expectClose();
      return args;
    }

    if (tokens[0].kind === 'end') fail(text, 'empty expression', 0);
    var run = expression(0).run;
    if (tokens[index].kind !== 'end') unexpected(tokens[index]);
    function evaluate(env) {
      env = env || {};
      return run({ answers: env.answers || {}, current: env.current, today: env.today, row: env.row,
        position: env.position });
    }
    return {
      source: text, references: references, columns: columns, usesCurrent: usesCurrent, functions: functions,
      evaluate: evaluate,
      evaluateBool: function (env) { return bool(evaluate(env)); }
    };
  }

  return {
    parse: parse,
    ExpressionError: ExpressionError,
    NodeSet: NodeSet,
    toNumber: function (raw) { return num(value(raw)); },
    toString: function (raw) { return str(value(raw)); },
    toBoolean: function (raw) { return bool(value(raw)); }
  };
});
