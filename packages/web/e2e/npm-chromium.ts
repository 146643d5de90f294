import { createReadStream, createWriteStream, existsSync, readFileSync } from "node:fs";
import { chmod, mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type { Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createBrotliDecompress } from "node:zlib";

/**
 * The headless Chromium that ships inside the `@sparticuz/chromium` npm package (Linux x64), so
 * that the browser tests need nothing but `npm ci`.
 *
 * The package's own `executablePath()` unpacks into a fixed `/tmp/chromium` and reuses whatever
 * file is there: a binary of another package version, or one half-written by a run that was
 * interrupted or that runs at the same time. Here each package version unpacks into a directory
 * of its own, staged under another name and renamed into place once complete.
 */

export interface NpmChromium {
  executablePath: string;
  /** Variables the browser process needs: the shipped NSS libraries and fonts. */
  env: Record<string, string>;
  version: string;
}

const PACKAGE = "@sparticuz/chromium";
const require = createRequire(import.meta.url);

function packageDir(): string {
  let dir = dirname(require.resolve(PACKAGE));
  while (!existsSync(join(dir, "package.json")) || !isThePackage(join(dir, "package.json"))) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`Cannot find the directory of ${PACKAGE}`);
    dir = up;
  }
  return dir;
}

function isThePackage(file: string): boolean {
  return (JSON.parse(readFileSync(file, "utf8")) as { name?: string }).name === PACKAGE;
}

/** Unpacks a brotli-compressed tar into `dest` with the package's own tar reader. */
async function untar(pkg: string, archive: string, dest: string): Promise<void> {
  // tar-fs, as the package itself resolves it: GNU tar rejects these archives' short last block.
  const tar = createRequire(join(pkg, "package.json"))("tar-fs") as {
    extract(dir: string): Writable;
  };
  await pipeline(createReadStream(archive), createBrotliDecompress(), tar.extract(dest));
}

async function unpack(pkg: string, stage: string, finalDir: string): Promise<void> {
  const bin = join(pkg, "bin");
  const executable = join(stage, "chromium");
  await pipeline(
    createReadStream(join(bin, "chromium.br")),
    createBrotliDecompress(),
    createWriteStream(executable),
  );
  await chmod(executable, 0o755);
  // NSS, NSPR and expat built for Amazon Linux 2023: a machine without Debian's libnss3 runs it too.
  await untar(pkg, join(bin, "al2023.tar.br"), stage);
  await untar(pkg, join(bin, "fonts.tar.br"), join(stage, "fonts"));
  // The shipped fonts.conf names /tmp/fonts; this one names where the fonts are, plus the system's.
  await writeFile(
    join(stage, "fonts.conf"),
    [
      `<?xml version="1.0"?>`,
      `<!DOCTYPE fontconfig SYSTEM "fonts.dtd">`,
      `<fontconfig>`,
      `  <dir>${join(finalDir, "fonts", "fonts")}</dir>`,
      `  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>`,
      `  <cachedir>${join(finalDir, "fonts-cache")}</cachedir>`,
      `</fontconfig>`,
      "",
    ].join("\n"),
  );
}

function envFor(dir: string): Record<string, string> {
  const lib = join(dir, "lib");
  const inherited = process.env.LD_LIBRARY_PATH;
  return {
    LD_LIBRARY_PATH: inherited ? `${lib}:${inherited}` : lib,
    FONTCONFIG_FILE: join(dir, "fonts.conf"),
  };
}

/** Unpacks the package's Chromium once per package version (about 2 s) and says where it is. */
export async function npmChromium(): Promise<NpmChromium> {
  if (process.platform !== "linux" || process.arch !== "x64") {
    throw new Error(
      `${PACKAGE} ships Chromium for Linux x64 only (this is ${process.platform} ${process.arch}): ` +
        "set CHROMIUM_PATH to a Chromium or Chrome binary",
    );
  }
  let pkg: string;
  try {
    pkg = packageDir();
  } catch {
    throw new Error(
      `No Chromium: ${PACKAGE} is not installed (run npm install), /usr/bin/chromium is absent, and CHROMIUM_PATH is not set`,
    );
  }
  const version = (
    JSON.parse(readFileSync(join(pkg, "package.json"), "utf8")) as { version: string }
  ).version;
  const dir = join(tmpdir(), `tickstream-chromium-${version}`);
  if (!existsSync(join(dir, "chromium"))) {
    const stage = await mkdtemp(`${dir}.partial-`);
    try {
      await unpack(pkg, stage, dir);
      await rename(stage, dir).catch((err: NodeJS.ErrnoException) => {
        // Another process finished first: its copy is as good as this one.
        if (!existsSync(join(dir, "chromium"))) throw err;
      });
    } finally {
      await rm(stage, { recursive: true, force: true });
    }
  }
  return { executablePath: join(dir, "chromium"), env: envFor(dir), version };
}
