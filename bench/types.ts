import type { MachineInfo } from "./machine.js";

export interface RunMeta {
  /** ISO date and time the benchmark finished. */
  ranAt: string;
  /** The exact command that produced the figures. */
  command: string;
  quick: boolean;
  machine: MachineInfo;
  wallSeconds: number;
}

export interface SectionResult<T = unknown> {
  meta: RunMeta;
  data?: T;
  /** Set when the benchmark could not run (what was missing, or the error). */
  error?: string;
}

export interface Results {
  updatedAt: string;
  /** The last `npm run bench` invocation that ran benchmarks. */
  lastRun?: { command: string; finishedAt: string; wallSeconds: number };
  sections: Record<string, SectionResult>;
}

export interface BenchContext {
  quick: boolean;
  log(message: string): void;
  /** Results of the other benchmarks: this run's, else the previous file's. */
  results: Results;
  /** A running local back end (started on first use, shared, stopped at the end). */
  local(): Promise<LocalHandle>;
}

/** The part of `startLocal`'s answer the benchmarks use. */
export interface LocalHandle {
  outputs: LocalOutputsLike;
  dataDir: string;
  /** Process id of the back end (its CPU use is read from /proc). */
  pid?: number;
  stop(): Promise<void>;
}

export interface LocalOutputsLike {
  region: string;
  kinesisEndpoint: string;
  dynamodbEndpoint: string;
  cognitoEndpoint: string;
  apiUrl: string;
  pricesStream: string;
  windowsStream: string;
  userPoolId: string;
  userPoolClientId: string;
  demoUser: { username: string; password: string };
  tableNames?: Record<string, string>;
  credentials?: { accessKeyId: string; secretAccessKey: string };
  dataDir?: string;
  windowSizeMs?: number;
  windowSlideMs?: number;
  allowedLatenessMs?: number;
}

export interface Benchmark<T = unknown> {
  name: string;
  title: string;
  run(ctx: BenchContext): Promise<T>;
  /** Markdown for BENCHMARKS.md from this benchmark's result. */
  render(result: SectionResult<T>, all: Results): string;
}
