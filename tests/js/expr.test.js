// The shared expression vectors (tests/data/expression_vectors.json) and the checks of
// tests/questionnaire/test_expressions.py that JS can express, run against the browser
// evaluator surveyapp/static/survey/expr.js. Run: node --test tests/js/
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const zlib = require('node:zlib');

const ROOT = path.resolve(__dirname, '..', '..');
const SOURCE_FILE = path.join(ROOT, 'surveyapp', 'static', 'survey', 'expr.js');
const SurveyExpr = require(SOURCE_FILE);
const SUITE = JSON.parse(fs.readFileSync(path.join(ROOT, 'tests', 'data', 'expression_vectors.json'), 'utf8'));
const VECTORS = SUITE.vectors;
const VALID = VECTORS.filter((v) => !('error' in v));
const INVALID = VECTORS.filter((v) => 'error' in v);
const { parse, ExpressionError, toNumber, toString, toBoolean } = SurveyExpr;

function envFor(vector) {
  const nodes = {};
  Object.keys(vector.nodes || {}).forEach((name) => { nodes[name] = SurveyExpr.NodeSet(vector.nodes[name]); });
  return {
    answers: Object.assign({}, vector.answers, nodes),
    position: vector.position,
    current: 'current' in vector ? vector.current : null,
    today: 'today' in vector ? vector.today : SUITE.today,
    row: 'row' in vector ? vector.row : null,
  };
}

function expectedValue(expected) {
  return typeof expected === 'object' ? Number(expected.number) : expected;
}

function assertStrictlyEqual(actual, expected) {
  if (typeof expected === 'object') {
    assert.equal(typeof actual, 'number', `expected a number, got ${JSON.stringify(actual)}`);
    assert.equal(toString(actual), expected.number);
  } else {
    assert.equal(typeof actual, typeof expected, `expected ${typeof expected}, got ${JSON.stringify(actual)}`);
    assert.ok(Object.is(actual, expected), `expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
  }
}

function sorted(list) {
  return list.slice().sort();
}

function parseError(text) {
  try {
    parse(text);
  } catch (error) {
    assert.ok(error instanceof ExpressionError, `not an ExpressionError: ${error}`);
    return error;
  }
  return assert.fail(`parsed: ${JSON.stringify(text)}`);
}

// --- shared vectors --------------------------------------------------------------

test('shared vectors evaluate to their expected values', async (t) => {
  for (const vector of VALID) {
    await t.test(vector.expr + (vector.note ? ` (${vector.note})` : ''), () => {
      const expr = parse(vector.expr);
      const env = envFor(vector);
      assertStrictlyEqual(expr.evaluate(env), vector.expected);
      assertStrictlyEqual(expr.evaluate(env), vector.expected);
      assert.equal(expr.evaluateBool(env), toBoolean(expectedValue(vector.expected)));
    });
  }
});

test('shared invalid vectors fail to parse', async (t) => {
  for (const vector of INVALID) {
    await t.test(vector.expr || '<empty>', () => {
      const error = parseError(vector.expr);
      assert.ok(error.message && typeof error.message === 'string');
      assert.ok(Number.isInteger(error.position));
      assert.ok(error instanceof Error);
    });
  }
});

test('the vectors cover every function the evaluator knows', () => {
  const used = new Set();
  VALID.forEach((v) => parse(v.expr).functions.forEach((name) => used.add(name)));
  const python = fs.readFileSync(path.join(ROOT, 'surveyapp', 'questionnaire', 'xpath_functions.py'), 'utf8');
  const table = python.slice(python.indexOf('_FUNCTIONS: dict'));
  const known = [...table.slice(0, table.indexOf('\n}\n')).matchAll(/^ {4}"([a-z0-9-]+)": _Function/gm)].map((m) => m[1]);
  assert.deepEqual([...used].sort(), known.sort());
});

// --- parse errors and metadata ---------------------------------------------------

test('parse errors carry the server message and position', () => {
  const cases = [
    ["selected(${a}, 'x'", "missing ')'", 18],
    ['1 + 2)', "unexpected ')'", 5],
    ['foo(1)', "unknown function 'foo'", 0],
    ['selected(${a})', 'selected() takes 2 arguments', 0],
    ['not(1, 2)', 'not() takes 1 argument', 0],
    ['today(1)', 'today() takes no arguments', 0],
    ['concat()', 'concat() takes at least 1 argument', 0],
    ['${a} @ 1', "unexpected character '@'", 5],
    ['', 'empty expression', 0],
    ["'abc", 'unterminated string', 0],
    ['${a} +', 'unexpected end of expression', 6],
    ['${a b}', 'invalid reference', 0],
    // Beyond the Python table: repr quoting, code point positions, nesting limits.
    ["'it''s'", 'unexpected "\'s\'"', 4],
    ['1 "it\'s"', 'unexpected \'"it\\\'s"\'', 2],
    ["1 'a\nb\tc\\\\'", 'unexpected "\'a\\nb\\tc\\\\\\\\\'"', 2],
    ['1 \u3000', "unexpected character '\\u3000'", 2],
    ['1 \u0000', "unexpected character '\\x00'", 2],
    ['1 \u00a0', "unexpected character '\\xa0'", 2],
    ['1 \\', "unexpected character '\\\\'", 2],
    ['\u{20BB7} = 1', "unexpected character '\u{20BB7}'", 0],
    ["'\u{20BB7}' @", "unexpected character '@'", 4],
    ['constructor(1)', "unknown function 'constructor'", 0],
    ['('.repeat(65) + '1' + ')'.repeat(65), 'expression is too deeply nested', 64],
  ];
  for (const [text, message, position] of cases) {
    const error = parseError(text);
    assert.deepEqual([error.message, error.position], [message, position], text);
    assert.ok(String(error).includes(message));
  }
});

test('metadata of a choice filter', () => {
  const expr = parse('street = ${a4_street} and selected(${c3}, district) or not(.)');
  assert.deepEqual(sorted(expr.references), ['a4_street', 'c3']);
  assert.deepEqual(sorted(expr.columns), ['district', 'street']);
  assert.equal(expr.usesCurrent, true);
  assert.deepEqual(sorted(expr.functions), ['not', 'selected']);
  assert.equal(expr.source, 'street = ${a4_street} and selected(${c3}, district) or not(.)');
});

test('metadata of a plain expression is empty', () => {
  const expr = parse('1 + 2 div 3');
  assert.deepEqual([expr.references, expr.columns, expr.usesCurrent, expr.functions], [[], [], false, []]);
});

test('metadata lists each name once', () => {
  const expr = parse('${a} + ${a} + b + b + int(1) + int(.)');
  assert.deepEqual([expr.references, expr.columns, expr.functions], [['a'], ['b'], ['int']]);
});

test('word operators are not columns', () => {
  assert.deepEqual(parse('${a} and ${b} or 4 div 2 mod 3').columns, []);
  assert.deepEqual(parse('div div div').columns, ['div']);
});

test('string literals are not references', () => {
  const expr = parse("concat('${x}', ${y})");
  assert.deepEqual(expr.references, ['y']);
  assert.equal(expr.evaluate({ answers: { x: 'no', y: '!' } }), '${x}!');
});

test('an expression is reusable', () => {
  const expr = parse('${age} >= 18');
  assert.deepEqual([17, 18, 19, null].map((age) => expr.evaluateBool({ answers: { age } })),
    [false, true, true, false]);
});

// --- evaluation details the vectors cannot express -----------------------------------

test('untaken branches are not evaluated', () => {
  const cases = [
    ['if(${c}, ${a}, ${b})', ['c', 'a']],
    ['if(not(${c}), ${a}, ${b})', ['c', 'b']],
    ['${c} or ${a}', ['c']],
    ['not(${c}) and ${a}', ['c']],
    ['coalesce(${c}, ${a})', ['c']],
  ];
  for (const [text, expected] of cases) {
    const read = [];
    const answers = new Proxy({ c: 'yes', a: 1, b: 2 }, {
      get(target, key) { read.push(key); return target[key]; },
    });
    parse(text).evaluate({ answers });
    assert.deepEqual(read, expected, text);
  }
});

test('today() defaults to the local date', () => {
  const local = (d) => [d.getFullYear(), d.getMonth() + 1, d.getDate()]
    .map((n, i) => String(n).padStart(i ? 2 : 4, '0')).join('-');
  const before = local(new Date());
  const value = parse('today()').evaluate({ answers: {} });
  assert.ok([before, local(new Date())].includes(value), value);
  assert.equal(parse('today()').evaluate(), value);
});

test('answer values are normalised', () => {
  const expr = parse('${x}');
  const of = (x) => expr.evaluate({ answers: { x } });
  assert.equal(of(5), 5);
  assert.equal(of(10n ** 400n), Infinity);
  assert.equal(of(-(10n ** 400n)), -Infinity);
  assert.equal(of(['a', 'b']), 'a b');
  assert.equal(of([1, 2.5, true]), '1 2.5 true');
  assert.equal(of(null), '');
  assert.equal(of(undefined), '');
});

test('names never reach Object.prototype', () => {
  const env = { answers: {}, row: {} };
  for (const name of ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf']) {
    assert.equal(parse('${' + name + '}').evaluate(env), '', name);
    assert.equal(parse(name).evaluate(env), '', name);
  }
  assert.equal(parse('${__proto__}').evaluate({ answers: JSON.parse('{"__proto__": "x"}') }), 'x');
});

test('an empty answer compares as NaN', () => {
  const env = { answers: { x: '' } };
  assert.equal(parse('${x} = 0').evaluate(env), false);
  assert.equal(parse('${x} != 0').evaluate(env), true);
  assert.ok(Number.isNaN(parse('${x} + 0').evaluate(env)));
});

test('toString writes numbers positionally, without exponent or trailing .0', () => {
  const cases = [
    [1e21, '1000000000000000000000'], [1e-7, '0.0000001'], [-0, '0'], [-1.5, '-1.5'],
    [5e-324, '0.' + '0'.repeat(323) + '5'], [NaN, 'NaN'], [-Infinity, '-Infinity'], [Infinity, 'Infinity'],
    [true, 'true'], [null, ''], [['a', 'b'], 'a b'], [7, '7'], [-1.25e-7, '-0.000000125'],
    [1.7976931348623157e308, '17976931348623157' + '0'.repeat(292)], [123456789.125, '123456789.125'],
    [1e16, '10000000000000000'], [0.000001, '0.000001'],
  ];
  for (const [value, text] of cases) assert.equal(toString(value), text, String(value));
});

test('toNumber accepts only plain ASCII decimals, trimming XML whitespace', () => {
  const cases = [
    ['  12 ', 12], ['+5', 5], ['5.', 5], ['1e3', NaN], ['', NaN], ['\u00a012', NaN], ['\u0663', NaN],
    [true, 1], [null, NaN], [3, 3], ['Infinity', NaN], ['nan', NaN], ['0x10', NaN], ['-0', -0],
    ['1'.repeat(400), Infinity], ['\u300012', NaN], ['12\f', NaN],
  ];
  for (const [value, number] of cases) assert.ok(Object.is(toNumber(value), number), JSON.stringify(value));
});

test('toBoolean follows XPath boolean()', () => {
  const cases = [['', false], ['false', true], [0, false], [NaN, false], [-0.1, true], [[], false], [null, false]];
  for (const [value, truth] of cases) assert.equal(toBoolean(value), truth, JSON.stringify(value));
});

test('string-length counts code points, as the server does', () => {
  assert.equal(parse("string-length('\u{20BB7}\u5409')").evaluate({}), 2);
});

test('regex() follows the server', () => {
  const phone = parse("regex(., '^1[3-9]\\d{9}$')");
  assert.equal(phone.evaluate({ current: '13812345678' }), true);
  assert.equal(phone.evaluate({ current: '13812345678\n' }), false);
  assert.equal(parse("regex(., '\\w+$')").evaluate({ current: '汉字' }), false);
  assert.equal(parse("regex('a', 'a{99999999999}')").evaluate({}), false);
  const cases = [
    // The server's re.ASCII \s is ASCII whitespace; JS \s would take U+3000 and U+00A0.
    ['张\u3000三', '\\s', false], ['张 三', '\\s', true], ['\u00a0', '^\\S$', true], ['\u3000', '[\\s]', false],
    ['\u3000', '[^\\s]', true], ['\u3000', '[\\S]', true], ['\v', '^\\s$', true],
    // Python's '.' takes everything but '\n'.
    ['a\rb', '^a.b$', true], ['a\u2028b', '^a.b$', true], ['a\nb', '^a.b$', false],
    // One astral character is one character.
    ['\u{20BB7}', '^.$', true], ['\u{20BB7}a', '^.{3}$', false], ['\u{20BB7}\u{20BB7}', '^\\S{2}$', true],
    ['\u{20BB7}', '^[^a]$', true], ['\u{20BB7}', '^\\D\\W$', false], ['\u{1F600}+', '^\u{1F600}+$', false],
    ['\u{1F600}\u{1F600}', '^\u{1F600}+$', true], ['\u{20BB7}', '^[\\S]$', true], ['\u{20BB7}', '^[^\\S]$', false],
    // A ']' first in a class is literal; '[]' and '[^]' alone are invalid.
    ['a]', '^[]a]+$', true], ['b', '[^]a]', true], ['x', '[]', false], ['x', '[^]', false], ['$', '[]$]', false],
    // Shared syntax.
    ['a$b', '\\$', true], ['price: 5$', '[$]$', true], ['abc', '[', false], ['', '', true], ['ab', 'a|', true],
    ['x', 'a**', false], ['x', '\\', false], ['aaa', '^(a+)+$', true],
  ];
  for (const [text, pattern, result] of cases) {
    const env = { answers: { s: text, p: pattern } };
    assert.equal(parse('regex(${s}, ${p})').evaluate(env), result, `${JSON.stringify(text)} ~ ${pattern}`);
  }
});

test('deep nesting is a parse error', () => {
  assert.throws(() => parse('('.repeat(500) + '1' + ')'.repeat(500)), ExpressionError);
  assert.throws(() => parse('-'.repeat(500) + '1'), ExpressionError);
  assert.throws(() => parse(Array(2000).fill('1').join(' or ')), ExpressionError);
  assert.equal(parse(Array(256).fill('1').join(' + ')).evaluate({}), 256);
  assert.throws(() => parse(Array(257).fill('1').join(' + ')), ExpressionError);
});

test('a long realistic chain evaluates', () => {
  const text = Array.from({ length: 200 }, (_, i) => `selected(\${c3}, 'o${i}')`).join(' or ');
  assert.equal(parse(text).evaluate({ answers: { c3: ['o199'] } }), true);
});

// --- properties (seeded, so failures reproduce) ---------------------------------------

function random(seed) {
  // mulberry32
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test('toNumber(toString(x)) gives back every finite double', () => {
  const next = random(7);
  const view = new DataView(new ArrayBuffer(8));
  for (let i = 0; i < 20000; i++) {
    view.setUint32(0, next() * 2 ** 32);
    view.setUint32(4, next() * 2 ** 32);
    const x = view.getFloat64(0);
    if (!Number.isFinite(x)) continue;
    const text = toString(x);
    assert.ok(!/e/i.test(text) && !/\.$/.test(text), text);
    assert.ok(Object.is(toNumber(text), Object.is(x, -0) ? 0 : x), text);
  }
});

test('safe integers round-trip through text', () => {
  const next = random(11);
  for (let i = 0; i < 2000; i++) {
    const n = Math.round((next() * 2 - 1) * Number.MAX_SAFE_INTEGER);
    assert.equal(toString(toNumber(String(n))), String(n));
    assert.equal(toString(toNumber(` ${n} `)), String(n));
  }
});

test('parse() of token soup only returns or throws ExpressionError', () => {
  const tokens = ['${a}', '${b}', '.', '1', '2.5', '.5', "'x'", '"是"', 'street', '(', ')', ',', '=', '!=',
    '<', '<=', '>', '>=', '+', '-', '*', ' div ', ' mod ', ' and ', ' or ', 'selected(', 'if(', 'concat(',
    'today()', 'true()', ' ', "'", '$', '{', '}', 'regex(', "'[^]'"];
  const next = random(3);
  for (let i = 0; i < 5000; i++) {
    const text = Array.from({ length: Math.floor(next() * 20) }, () => tokens[Math.floor(next() * tokens.length)]).join('');
    let expr;
    try {
      expr = parse(text);
    } catch (error) {
      assert.ok(error instanceof ExpressionError, `${text}: ${error}`);
      continue;
    }
    const result = expr.evaluate({ answers: { a: ['x', 'y'], b: 3 }, current: null, row: { street: 's' } });
    assert.ok(['string', 'number', 'boolean'].includes(typeof result), text);
  }
});

// --- the file itself --------------------------------------------------------------------

test('expr.js stays within old WebView syntax and its size budget', () => {
  const source = fs.readFileSync(SOURCE_FILE, 'utf8');
  const code = source.replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
  assert.ok(!/\?\.[A-Za-z_$[(]/.test(code), 'optional chaining');
  assert.ok(!/\?\?/.test(code), 'nullish coalescing');
  assert.ok(!/\(\?<[=!]/.test(code), 'lookbehind');
  assert.ok(!/^\s*(import|export)\b/m.test(code), 'module syntax');
  assert.ok(source.split('\n').length < 600, 'over 600 lines');
  assert.ok(zlib.gzipSync(source, { level: 9 }).length < 8500, 'over 8.5 KB gzipped');
});
