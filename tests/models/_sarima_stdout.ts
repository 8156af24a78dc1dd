/**
 * Subprocess of sarima_test.ts: loads npm `arima` through `loadSarima()`, fits, makes the C code
 * print (a verbose fit straight through the package), and writes one JSON line to stdout itself.
 * The test checks stdout holds that line and nothing else.
 */
import { loadSarima } from "../../lib/models/mod.ts";

const engine = await loadSarima();
// the same (cached) module instance as loadSarima()'s; a static import would have evaluated it
// before the redirection, which is why nothing may import npm:arima before loadSarima()
const ARIMA = (await import("arima")).default;
const y = Array.from(
  { length: 300 },
  (_, t) => 5 + Math.sin((2 * Math.PI * t) / 24) + (t % 7) / 10,
);
const model = engine.fit(y, { p: 1, d: 0, q: 1, P: 1, D: 1, Q: 1, s: 24, transform: "none" });
const forecast = model.forecastFrom(y, 3);
model.destroy();
// the package's own verbose fit prints a summary from C (printf); it must land in engine.output
const verbose =
  new (ARIMA as unknown as new (o: object) => { train(y: number[]): { destroy(): void } })(
    { p: 1, d: 0, q: 1, verbose: true },
  ).train(y);
verbose.destroy();
const line = JSON.stringify({ forecast: Array.from(forecast), printed: engine.output.length });
await Deno.stdout.write(new TextEncoder().encode(line + "\n"));
