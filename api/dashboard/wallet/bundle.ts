// The wallet side's browser bundle (viem, the ledger's ABIs, the sdk's error explanations and ./main.ts), built by
// esbuild in memory the first time /assets/wallet.js is asked for, then kept for the life of the process: no build
// step, nothing fetched from the internet. esbuild is a runtime dependency; if the build fails the page stays read-only.
import path from "node:path";

const ENTRY = path.join(__dirname, "main.ts");

let built: Promise<string> | undefined;

/**
 * The bundle's JavaScript (an ES module, minified), built once per process.
 * @throws Error when esbuild is not installed or the sources do not build (the next call tries again).
 */
export function walletBundle(): Promise<string> {
  built ??= build().catch((err: unknown) => {
    built = undefined;
    throw err;
  });
  return built;
}

async function build(): Promise<string> {
  const esbuild = await import("esbuild");
  const out = await esbuild.build({
    entryPoints: [ENTRY],
    bundle: true,
    write: false,
    format: "esm",
    platform: "browser",
    target: "es2022",
    minify: true,
    legalComments: "none",
    logLevel: "silent",
  });
  return out.outputFiles[0].text;
}
