import { UCI_MISSING, UCI_PATH } from "../_data.ts";
import assert from "node:assert/strict";
import fc from "fast-check";
import { parseUciCsv, parseUciText, UciParseError, type UciRow } from "../../lib/dataset/mod.ts";
import {
  COLUMNS,
  IsoTimestamp,
  MEASUREMENT_FIELDS,
  MeasurementsSchema,
} from "../../lib/records/reading.ts";

const REAL = UCI_PATH;
const HEAD = new URL("../fixtures/uci_head.csv", import.meta.url);

// Written out from the data README rather than imported, so the test is an independent oracle.
const HEADER =
  "Date;Time;CO(GT);PT08.S1(CO);NMHC(GT);C6H6(GT);PT08.S2(NMHC);NOx(GT);PT08.S3(NOx);NO2(GT);PT08.S4(NO2);PT08.S5(O3);T;RH;AH;;";
// The first data row of the real file, without Date and Time.
const GOOD = "2,6;1360;150;11,9;1046;166;1056;113;1692;1268;13,6;48,9;0,7578".split(";");
const EXPECTED_NUMBER = "a decimal number with a comma or dot (e.g. 2,6) or -200 for missing";
const EXPECTED_DATE = "a date as DD/MM/YYYY (e.g. 10/03/2004)";
const EXPECTED_TIME = "a time as HH.MM.SS (e.g. 18.00.00)";
const EXPECTED_FIELDS = `15 fields (${HEADER.slice(0, -2)}), optionally followed by 2 empty ones`;
const HOUR_MS = 3_600_000;

/** One data line: 10/03/2004 at `time`, the first row's values with `cells` replacing some. */
function line(cells: Record<number, string> = {}, time = "18.00.00"): string {
  return `10/03/2004;${time};${GOOD.map((v, i) => cells[i] ?? v).join(";")};;`;
}

function csv(...lines: string[]): string {
  return [HEADER, ...lines].join("\r\n") + "\r\n";
}

async function readRows(url: URL | string): Promise<UciRow[]> {
  const file = await Deno.open(url);
  return await Array.fromAsync(parseUciCsv(file.readable, { file: "AirQualityUCI.csv" }));
}

Deno.test({
  name: "parseUciCsv() reads the real UCI file as the data README describes",
  permissions: { read: [REAL] },
  async fn(t) {
    const rows = await readRows(REAL);
    const count = (f: (r: UciRow) => boolean) => rows.filter(f).length;

    await t.step("9,357 readings, on lines 2 to 9,358", () => {
      assert.equal(rows.length, 9_357);
      assert.equal(rows[0]?.line, 2);
      assert.equal(rows.at(-1)?.line, 9_358);
    });
    await t.step("missing values per column match the README table", () => {
      const expected = UCI_MISSING;
      const actual = Object.fromEntries(
        COLUMNS.map((c) => [c.source, count((r) => r.measurements[c.field] === null)]),
      );
      assert.deepEqual(actual, expected);
    });
    await t.step("31 rows have all 13 values missing", () => {
      assert.equal(count((r) => MEASUREMENT_FIELDS.every((f) => r.measurements[f] === null)), 31);
    });
    await t.step("timestamps run hourly from 2004-03-10T18 to 2005-04-04T14 at +01:00", () => {
      assert.equal(rows[0]?.ts, "2004-03-10T18:00:00+01:00");
      assert.equal(rows.at(-1)?.ts, "2005-04-04T14:00:00+01:00");
      const steps = rows.slice(1).map((r, i) => r.epochMs - rows[i]!.epochMs);
      assert.deepEqual(new Set(steps), new Set([HOUR_MS]));
      // No daylight-saving jump: the hour that did not exist in Italian summer time is there.
      assert.ok(rows.some((r) => r.ts === "2004-03-28T02:00:00+01:00"));
    });
    await t.step("epochMs is the ts instant, independent of the machine's time zone", () => {
      assert.equal(rows[0]?.epochMs, Date.UTC(2004, 2, 10, 17));
      assert.equal(rows.at(-1)?.epochMs, Date.UTC(2005, 3, 4, 13));
      assert.equal(count((r) => Date.parse(r.ts) !== r.epochMs), 0);
    });
    await t.step("the first row has the README's values", () => {
      assert.deepEqual(Object.values(rows[0]!.measurements), [
        2.6,
        1360,
        150,
        11.9,
        1046,
        166,
        1056,
        113,
        1692,
        1268,
        13.6,
        48.9,
        0.7578,
      ]);
    });
    await t.step("13 real temperatures below 0 °C stay negative", () => {
      assert.equal(count((r) => r.measurements.t_c !== null && r.measurements.t_c < 0), 13);
    });
    await t.step("NMHC has 914 values, all on or before 2004-05-01", () => {
      const nmhc = rows.filter((r) => r.measurements.nmhc_ug_m3 !== null);
      assert.equal(nmhc.length, 914);
      assert.ok(nmhc.every((r) => r.ts.slice(0, 10) <= "2004-05-01"));
    });
    await t.step("every row fits the reading schema's measurements and ts", () => {
      assert.ok(rows.every((r) => MeasurementsSchema.safeParse(r.measurements).success));
      assert.ok(rows.every((r) => IsoTimestamp.safeParse(r.ts).success));
    });
  },
});

Deno.test({
  name: "uci_head.csv fixture is a byte-exact prefix of the real file and parses the same",
  permissions: { read: [REAL, HEAD] },
  async fn() {
    const [head, real] = await Promise.all([Deno.readFile(HEAD), Deno.readFile(REAL)]);
    assert.deepEqual(head, real.subarray(0, head.length));
    const [headRows, realRows] = await Promise.all([readRows(HEAD), readRows(REAL)]);
    assert.equal(headRows.length, 48);
    assert.deepEqual(headRows, realRows.slice(0, 48));
  },
});

Deno.test({
  name: "parseUciCsv() gives the same rows for LF, 15-field, padded and chunked copies",
  permissions: { read: [HEAD] },
  async fn(t) {
    const text = await Deno.readTextFile(HEAD);
    const expected = await parseUciText(text);
    await t.step("LF line endings", async () => {
      assert.deepEqual(await parseUciText(text.replaceAll("\r\n", "\n")), expected);
    });
    await t.step("15 fields, without the two empty trailing ones", async () => {
      assert.deepEqual(await parseUciText(text.replaceAll(";;\r\n", "\r\n")), expected);
    });
    await t.step("empty trailing rows and no final line break", async () => {
      const padded = text + ";;;;;;;;;;;;;;;;\r\n".repeat(114) + ";;;;;;;;;;;;;;;;";
      assert.deepEqual(await parseUciText(padded), expected);
    });
    await t.step("any split into chunks, from an async iterable", async () => {
      const bytes = new TextEncoder().encode(text);
      const cuts = fc.uniqueArray(fc.integer({ min: 1, max: bytes.length - 1 }), { maxLength: 40 });
      await fc.assert(
        fc.asyncProperty(cuts, async (points) => {
          const bounds = [0, ...points.sort((a, b) => a - b), bytes.length];
          async function* chunks() {
            for (let i = 1; i < bounds.length; i++) yield bytes.slice(bounds[i - 1], bounds[i]);
          }
          assert.deepEqual(await Array.fromAsync(parseUciCsv(chunks())), expected);
        }),
        { numRuns: 50 },
      );
    });
  },
});

Deno.test({
  name: "parseUciCsv() closes the file when the caller stops early",
  permissions: { read: [REAL] },
  async fn() {
    const file = await Deno.open(REAL);
    for await (const row of parseUciCsv(file.readable)) {
      assert.equal(row.line, 2);
      break;
    }
    // The resource sanitizer fails this test if the file is still open.
  },
});

Deno.test({
  name: "parseUciCsv() reads a long input lazily, a few chunks ahead of the caller",
  permissions: "none",
  async fn() {
    let pulled = 0;
    const block = new TextEncoder().encode(`${line()}\r\n`.repeat(100));
    async function* endless() {
      yield new TextEncoder().encode(`${HEADER}\r\n`);
      while (true) {
        pulled++;
        yield block;
      }
    }
    let taken = 0;
    for await (const _row of parseUciCsv(endless())) {
      if (++taken === 10) break;
    }
    // pipeThrough() would have pulled ~1,024 chunks into csv-parse's writable queue.
    assert.ok(pulled <= 20, `pulled ${pulled} chunks of 100 rows to yield 10 rows`);
  },
});

interface BadCase {
  name: string;
  text: string;
  line: number;
  column: string;
  value: string;
  expected: string;
  message?: string;
}

const BAD_CASES: BadCase[] = [
  {
    name: "unparsable number",
    text: csv(line(), line({ 0: "2,x" })),
    line: 3,
    column: "CO(GT)",
    value: "2,x",
    expected: EXPECTED_NUMBER,
    message:
      `AirQualityUCI.csv:3 column "CO(GT)": "2,x" is not a number; expected ${EXPECTED_NUMBER}`,
  },
  {
    name: "thousands separator",
    text: csv(line({ 1: "1.360,5" })),
    line: 2,
    column: "PT08.S1(CO)",
    value: "1.360,5",
    expected: EXPECTED_NUMBER,
  },
  {
    name: "non-finite number",
    text: csv(line({ 10: "1e999" })),
    line: 2,
    column: "T",
    value: "1e999",
    expected: EXPECTED_NUMBER,
    message:
      `AirQualityUCI.csv:2 column "T": "1e999" is not a finite number; expected ${EXPECTED_NUMBER}`,
  },
  {
    name: "empty measurement",
    text: csv(line({ 11: "" })),
    line: 2,
    column: "RH",
    value: "",
    expected: EXPECTED_NUMBER,
  },
  {
    name: "too few fields",
    text: csv(line(), "10/03/2004;19.00.00;2;1292"),
    line: 3,
    column: "NMHC(GT)",
    value: "10/03/2004;19.00.00;2;1292",
    expected: EXPECTED_FIELDS,
  },
  {
    name: "a value in a trailing column",
    text: csv(line().slice(0, -1) + "9;"),
    line: 2,
    column: "(field 16)",
    value: line().slice(0, -1) + "9;",
    expected: EXPECTED_FIELDS,
  },
  {
    name: "bad date",
    text: csv(line().replace("10/03/2004", "2004-03-10")),
    line: 2,
    column: "Date",
    value: "2004-03-10",
    expected: EXPECTED_DATE,
  },
  {
    name: "impossible date",
    text: csv(line(), line().replace("10/03/2004", "31/02/2004")),
    line: 3,
    column: "Date",
    value: "31/02/2004",
    expected: EXPECTED_DATE,
    message:
      `AirQualityUCI.csv:3 column "Date": "31/02/2004" is not a real calendar date; expected ${EXPECTED_DATE}`,
  },
  {
    name: "29 February outside a leap year",
    text: csv(line().replace("10/03/2004", "29/02/2005")),
    line: 2,
    column: "Date",
    value: "29/02/2005",
    expected: EXPECTED_DATE,
  },
  {
    name: "empty date on a row with values",
    text: csv(line().replace("10/03/2004", "")),
    line: 2,
    column: "Date",
    value: "",
    expected: EXPECTED_DATE,
  },
  {
    name: "time with colons",
    text: csv(line({}, "18:00:00")),
    line: 2,
    column: "Time",
    value: "18:00:00",
    expected: EXPECTED_TIME,
  },
  {
    name: "hour 24",
    text: csv(line({}, "24.00.00")),
    line: 2,
    column: "Time",
    value: "24.00.00",
    expected: EXPECTED_TIME,
  },
  {
    name: "header mismatch",
    text: csv(line()).replace("CO(GT)", "CO"),
    line: 1,
    column: "CO(GT)",
    value: "CO",
    expected: `the header ${HEADER}`,
  },
  {
    name: "empty input",
    text: "",
    line: 1,
    column: "Date",
    value: "",
    expected: `the header ${HEADER}`,
  },
  {
    name: "unclosed quote",
    text: csv(line(), line(), `"10/03/2004;20.00.00;${GOOD.join(";")};;`, line()),
    line: 4,
    column: "Date",
    value: '"',
    expected: "a field either quoted as a whole with a closing quote, or not quoted at all",
  },
];

Deno.test({
  name: "parseUciCsv() reports malformed input with file, line, column, value and expected",
  permissions: "none",
  async fn(t) {
    for (const c of BAD_CASES) {
      await t.step(c.name, async () => {
        await assert.rejects(parseUciText(c.text, { file: "AirQualityUCI.csv" }), (err) => {
          assert.ok(err instanceof UciParseError, String(err));
          assert.equal(err.file, "AirQualityUCI.csv");
          assert.equal(err.line, c.line);
          assert.equal(err.column, c.column);
          assert.equal(err.value, c.value);
          assert.equal(err.expected, c.expected);
          if (c.message !== undefined) assert.equal(err.message, c.message);
          return true;
        });
      });
    }
  },
});

Deno.test({
  name: "parseUciCsv() in skip mode reports bad rows in line order and keeps the good ones",
  permissions: "none",
  async fn() {
    const issues: UciParseError[] = [];
    const text = csv(
      line(),
      line({ 0: "2,x" }, "19.00.00"),
      line({}, "20.00.00"),
      "10/03/2004;21.00.00;2",
      line({}, "22.00.00").replace("10/03/2004", "31/02/2004"),
      line({}, "23.00.00"),
      `"11/03/2004;00.00.00;${GOOD.join(";")};;`,
      line({}, "01.00.00"),
    );
    const rows = await parseUciText(text, {
      onError: "skip",
      onIssue: (err) => issues.push(err),
      file: "x.csv",
    });
    assert.deepEqual(rows.map((r) => r.line), [2, 4, 7]);
    assert.deepEqual(rows.map((r) => r.ts.slice(11, 13)), ["18", "20", "23"]);
    assert.deepEqual(
      issues.map((e) => `${e.line} ${e.kind} ${e.column}`),
      ["3 number CO(GT)", "5 fields PT08.S1(CO)", "6 date Date", "8 csv Date"],
    );
    assert.ok(issues.every((e) => e.file === "x.csv"));
  },
});

Deno.test({
  name: "parseUciCsv() in skip mode still throws on a wrong header",
  permissions: "none",
  async fn() {
    const issues: UciParseError[] = [];
    const text = csv(line()).replace("AH;;", "AH2;;");
    await assert.rejects(
      parseUciText(text, { onError: "skip", onIssue: (err) => issues.push(err) }),
      (err) => err instanceof UciParseError && err.column === "AH" && err.file === "<input>",
    );
    assert.deepEqual(issues, []);
  },
});

Deno.test({
  name: "parseUciCsv() in stop mode yields the rows before the first error",
  permissions: "none",
  async fn() {
    const seen: number[] = [];
    const text = csv(line(), line({ 0: "?" }, "19.00.00"), line({}, "20.00.00"));
    await assert.rejects(async () => {
      for await (const row of parseUciCsv(ReadableStream.from([new TextEncoder().encode(text)]))) {
        seen.push(row.line);
      }
    }, UciParseError);
    assert.deepEqual(seen, [2]);
  },
});

Deno.test({
  name: "parseUciCsv() applies the fixed UTC offset with Date.UTC arithmetic",
  permissions: "none",
  async fn() {
    const text = csv(line(), line({}, "19.00.00").replace("10/03/2004", "29/02/2004"));
    const [cet, est, utc] = await Promise.all(
      ["+01:00", "-05:00", "Z"].map((utcOffset) => parseUciText(text, { utcOffset })),
    );
    assert.deepEqual(cet?.map((r) => r.ts), [
      "2004-03-10T18:00:00+01:00",
      "2004-02-29T19:00:00+01:00",
    ]);
    assert.deepEqual(cet?.map((r) => r.epochMs), [
      Date.UTC(2004, 2, 10, 17),
      Date.UTC(2004, 1, 29, 18),
    ]);
    assert.equal(est?.[0]?.ts, "2004-03-10T18:00:00-05:00");
    assert.equal(est?.[0]?.epochMs, Date.UTC(2004, 2, 10, 23));
    assert.equal(utc?.[0]?.ts, "2004-03-10T18:00:00Z");
    assert.equal(utc?.[0]?.epochMs, Date.UTC(2004, 2, 10, 18));
    for (const bad of ["+1", "01:00", "+01:60", "+19:00", "CET"]) {
      assert.throws(() => parseUciText(text, { utcOffset: bad }), RangeError, bad);
    }
  },
});

Deno.test({
  name: "parseUciCsv() reads any finite number written with a decimal comma back as itself",
  permissions: "none",
  async fn() {
    const value = fc.double({ noNaN: true, noDefaultInfinity: true }).filter((x) => x !== -200);
    const column = fc.integer({ min: 0, max: 12 });
    await fc.assert(
      fc.asyncProperty(value, column, async (x, i) => {
        const text = String(x).replace(".", ",");
        const [row] = await parseUciText(csv(line({ [i]: text })));
        assert.equal(row?.measurements[MEASUREMENT_FIELDS[i]!], Object.is(x, -0) ? 0 : x, text);
      }),
    );
  },
});

Deno.test({
  name: "parseUciCsv() turns every spelling of -200 into a missing value",
  permissions: "none",
  async fn() {
    const sentinel = fc.tuple(fc.constantFrom(",", "."), fc.nat({ max: 4 })).map(([sep, zeros]) =>
      zeros === 0 ? "-200" : `-200${sep}${"0".repeat(zeros)}`
    );
    await fc.assert(
      fc.asyncProperty(sentinel, fc.integer({ min: 0, max: 12 }), async (cell, i) => {
        const [row] = await parseUciText(csv(line({ [i]: cell })));
        const expected = await parseUciText(csv(line()));
        const field = MEASUREMENT_FIELDS[i]!;
        assert.deepEqual(row?.measurements, { ...expected[0]?.measurements, [field]: null });
      }),
    );
  },
});
