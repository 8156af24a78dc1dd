import assert from "node:assert/strict";
import { countRuntimeDependencies, parseDownloaded } from "../../lib/harness/broker/maven.ts";

const TREE = await Deno.readTextFile(new URL("../fixtures/maven/kafka_tree.txt", import.meta.url));

Deno.test("countRuntimeDependencies() counts the jars copy-dependencies copies", () => {
  // the copy-dependencies run recorded with this tree copied 93 jars (tests/fixtures/README.md)
  assert.equal(countRuntimeDependencies(TREE), 93);
  const tree = [
    "io.airq:x:pom:1",
    "+- a:b:jar:1:compile",
    "|  \\- c:d:jar:classifier:2:runtime (optional)",
    "+- e:f:jar:3:test",
    "\\- g:h:jar:4:provided",
    "",
  ].join("\n");
  assert.equal(countRuntimeDependencies(tree), 2, "test and provided scopes are not copied");
});

Deno.test("parseDownloaded() reads the file and size of Maven's batch-mode transfer lines", () => {
  const base = "https://repo.maven.apache.org/maven2/org/apache/kafka";
  assert.deepEqual(
    parseDownloaded(
      `[INFO] Downloaded from central: ${base}/kafka_2.13/4.1.2/kafka_2.13-4.1.2.jar (2.1 MB at 424 kB/s)`,
    ),
    { file: `${base}/kafka_2.13/4.1.2/kafka_2.13-4.1.2.jar`, bytes: 2_100_000 },
  );
  assert.equal(
    parseDownloaded(`[INFO] Downloaded from central: ${base}/x/1/x-1.pom (910 B at 2.3 kB/s)`)
      ?.bytes,
    910,
  );
  assert.equal(
    parseDownloaded(`[INFO] Downloaded from central: ${base}/x/1/x-1.jar (31 kB at 99 kB/s)`)
      ?.bytes,
    31_000,
  );
  assert.equal(parseDownloaded(`[INFO] Downloading from central: ${base}/x/1/x-1.jar`), null);
  assert.equal(parseDownloaded("[INFO] BUILD SUCCESS"), null);
});
