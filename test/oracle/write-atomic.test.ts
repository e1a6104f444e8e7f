// writeFileAtomic (oracle/state/files.ts), the one writer of every file both oracles hand out, on
// real files: a reader never sees half a file, not while another process rewrites it and not
// after that process is killed mid-write; a failed write leaves the old file and no temporary one.
import { expect } from "chai";
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setImmediate as yieldToEvents } from "node:timers/promises";
import { writeFileAtomic } from "../../oracle/state/files";

const ROOT = join(__dirname, "..", "..");
/** Each version of the file is SIZE copies of one letter: a torn read shows as a short or mixed text. */
const SIZE = 1 << 20;

/** Whether `text` is one whole version of the file. */
const whole = (text: string) => text.length === SIZE && /^([a-z])\1*$/.test(text);

describe("writeFileAtomic", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "dsx-atomic-"));
  });

  it("when the folder is missing, it is created and the file holds the text, with no temporary file left", () => {
    const path = join(dir, "a", "b", "quarantine.jsonl");
    writeFileAtomic(path, "{\"id\":1}\n");
    expect(readFileSync(path, "utf8")).to.equal("{\"id\":1}\n");
    expect(readdirSync(join(dir, "a", "b"))).to.deep.equal(["quarantine.jsonl"]);
  });

  it("when the file exists, it is replaced whole (a shorter text leaves nothing of the longer one)", () => {
    const path = join(dir, "bundle.json");
    writeFileSync(path, "x".repeat(1000));
    writeFileAtomic(path, "short");
    expect(readFileSync(path, "utf8")).to.equal("short");
    expect(readdirSync(dir)).to.deep.equal(["bundle.json"]);
  });

  it("when the rename fails (a folder stands at the path), it throws, the folder is untouched and the temporary file is removed", () => {
    const path = join(dir, "taken");
    mkdirSync(path);
    writeFileSync(join(path, "inside"), "kept");
    expect(() => writeFileAtomic(path, "new")).to.throw();
    expect(readFileSync(join(path, "inside"), "utf8")).to.equal("kept");
    expect(readdirSync(dir)).to.deep.equal(["taken"]);
  });

  it("when another process rewrites the file over and over and is killed mid-write, every read sees one whole version", async function () {
    this.timeout(60_000);
    const path = join(dir, "outbox.json");
    const writer = join(dir, "writer.ts");
    writeFileSync(
      writer,
      [
        `import { writeFileAtomic } from ${JSON.stringify(join(ROOT, "oracle", "state", "files"))};`,
        "for (let i = 0; ; i++) {",
        `  writeFileAtomic(${JSON.stringify(path)}, String.fromCharCode(97 + (i % 26)).repeat(${SIZE}));`,
        "  if (i === 0) process.stdout.write(\"first\\n\");",
        "}",
        "",
      ].join("\n"),
    );
    const child = spawn(process.execPath, ["--import", "tsx", writer], { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"] });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once("exit", (_code, signal) => resolve(signal)));
    await new Promise<void>((resolve) => child.stdout.once("data", () => resolve()));

    const seen = new Set<string>();
    let reads = 0;
    // Read while it writes, until it has written at least 20 versions.
    while (seen.size < 20) {
      expect(child.exitCode, "the writer stopped on its own").to.equal(null);
      const text = readFileSync(path, "utf8");
      expect(whole(text), `read ${reads}: ${text.length} characters, starting ${JSON.stringify(text.slice(0, 8))}`).to.equal(true);
      seen.add(text[0]);
      reads += 1;
      await yieldToEvents();
    }
    child.kill("SIGKILL");
    expect(await exited).to.equal("SIGKILL");
    expect(whole(readFileSync(path, "utf8"))).to.equal(true);
    // A killed writer may leave its temporary file; the file itself is never one.
    expect(readdirSync(dir).filter((f) => !f.endsWith(".tmp")).sort()).to.deep.equal(["outbox.json", "writer.ts"]);
  });
});
