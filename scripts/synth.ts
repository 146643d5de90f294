/**
 * `npm run synth -- --stage NAME [--region REGION] [--account ID] [--bundle]`
 *
 * Synthesizes the CloudFormation templates of one stage offline (no AWS credentials, no
 * network) into `.sst/synth/NAME/*.template.json`.
 */
import fs from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";

const USAGE = `Usage: npm run synth -- --stage NAME [--region REGION] [--account ID] [--bundle]

Writes the CloudFormation templates of stage NAME to .sst/synth/NAME/*.template.json,
offline (no AWS credentials, no network).

  --stage NAME     stage to synthesize: prod, staging, pr-<n>, or any other name (dev settings)
  --region REGION  AWS region (default: TICKSTREAM_REGION or us-east-1)
  --account ID     12-digit account id written into ARNs (default: CDK_DEFAULT_ACCOUNT or 123456789012)
  --bundle         also bundle the Lambda handlers with esbuild, as a deploy would
                   (default: functions keep SST's placeholder code; templates are otherwise the same)
  --help           show this help`;

const STAGE_NAME = /^[a-zA-Z][a-zA-Z0-9-]*$/;

export interface SynthArgs {
  stage: string;
  region?: string;
  account?: string;
  bundle: boolean;
}

/** Parses the command line; throws an Error with a message for bad or missing flags. */
export function parseSynthArgs(argv: string[]): SynthArgs | "help" {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      stage: { type: "string" },
      region: { type: "string" },
      account: { type: "string" },
      bundle: { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) return "help";
  if (positionals.length > 0) throw new Error(`unexpected argument: ${positionals[0]}`);
  if (!values.stage) throw new Error("--stage is required");
  if (!STAGE_NAME.test(values.stage)) {
    throw new Error(
      `invalid stage name "${values.stage}": a letter, then letters, digits or hyphens`,
    );
  }
  if (values.region !== undefined && !/^[a-z]{2}(-[a-z]+)+-\d$/.test(values.region)) {
    throw new Error(`invalid region "${values.region}"`);
  }
  const account = values.account ?? process.env.CDK_DEFAULT_ACCOUNT;
  if (account !== undefined && !/^\d{12}$/.test(account)) {
    throw new Error(`invalid account "${account}": 12 digits`);
  }
  return { stage: values.stage, region: values.region, account, bundle: values.bundle };
}

/** Synthesizes one stage into `<root>/.sst/synth/<stage>/` and returns the template files. */
export async function synth(args: SynthArgs, root = process.cwd()): Promise<string[]> {
  // SST reads NODE_ENV while building: "test" skips the AWS bootstrap lookup and the Next.js
  // build. Set it before sst is loaded (it is imported dynamically below).
  process.env.NODE_ENV = "test";
  process.env.AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE ??= "1";
  const outdir = path.join(root, ".sst", "synth", args.stage);
  fs.rmSync(outdir, { recursive: true, force: true });
  fs.mkdirSync(outdir, { recursive: true });

  const { buildApp } = await import("./offline-synth/app");
  const app = await buildApp({
    stage: args.stage,
    region: args.region,
    account: args.account,
    outdir,
    bundle: args.bundle,
  });
  const assembly = app.synth();
  return assembly.stacks.map((s) => path.join(outdir, s.templateFile));
}

async function main(): Promise<number> {
  let args: SynthArgs | "help";
  try {
    args = parseSynthArgs(process.argv.slice(2));
  } catch (e) {
    console.error(`synth: ${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (args === "help") {
    console.log(USAGE);
    return 0;
  }
  const started = Date.now();
  const files = await synth(args);
  for (const file of files) {
    const template = JSON.parse(fs.readFileSync(file, "utf8")) as { Resources?: object };
    const count = Object.keys(template.Resources ?? {}).length;
    console.log(`${path.relative(process.cwd(), file)}  (${count} resources)`);
  }
  console.log(
    `Synthesized ${files.length} stacks for stage "${args.stage}" in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
  return 0;
}

const invokedDirectly =
  process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename ?? "");
if (invokedDirectly) {
  main().then(
    (code) => process.exit(code),
    (e: unknown) => {
      const message = e instanceof Error ? e.message : String(e);
      console.error(`synth failed: ${e instanceof Error ? (e.stack ?? message) : message}`);
      if (message.includes("Could not find file for handler")) {
        console.error(
          "A handler in packages/functions/src is missing; drop --bundle to synthesize the templates alone.",
        );
      }
      process.exit(1);
    },
  );
}
