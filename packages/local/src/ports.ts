import { createServer } from "node:net";

/** The ports the local runtime listens on, with their defaults and how to change them. */
export const PORT_NAMES = ["kinesis", "dynamodb", "s3", "cognito", "api", "web"] as const;
export type PortName = (typeof PORT_NAMES)[number];
export type PortMap = Record<PortName, number>;

export const DEFAULT_PORTS: PortMap = {
  web: 3000,
  api: 3001,
  kinesis: 4567,
  dynamodb: 4568,
  s3: 4569,
  cognito: 9229,
};

/** `--port-api` and so on. */
export function portFlag(name: PortName): string {
  return `--port-${name}`;
}

/** `TICKSTREAM_API_PORT` and so on. */
export function portEnvVar(name: PortName): string {
  return `TICKSTREAM_${name.toUpperCase()}_PORT`;
}

export class PortInUseError extends Error {
  constructor(
    readonly portName: PortName,
    readonly port: number,
  ) {
    super(
      `Port ${port} (${portName}) is already in use. Stop what holds it, or choose another port with ` +
        `${portFlag(portName)} <port> or ${portEnvVar(portName)}=<port>.`,
    );
    this.name = "PortInUseError";
  }
}

const HOST = "127.0.0.1";

/** Resolves true when nothing listens on the port (on the loopback address the runtime uses). */
export function isPortFree(port: number, host = HOST): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** A port the system hands out as free right now. */
export function freePort(host = HOST): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen({ port: 0, host, exclusive: true }, () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Decides every port: "auto" picks free ports; otherwise given ports are kept and the rest get
 * their defaults. Fixed ports are checked up front so that a taken port fails before anything
 * starts, with a message naming the flag and variable that change it.
 */
export async function resolvePorts(
  requested: "auto" | Partial<PortMap> | undefined,
  needed: readonly PortName[] = PORT_NAMES,
): Promise<PortMap> {
  const result = { ...DEFAULT_PORTS };
  const taken = new Set<number>();
  for (const name of PORT_NAMES) {
    const fixed = requested === "auto" ? undefined : requested?.[name];
    if (requested === "auto" || fixed === 0) {
      let port = await freePort();
      while (taken.has(port)) port = await freePort();
      result[name] = port;
    } else {
      result[name] = fixed ?? DEFAULT_PORTS[name];
    }
    taken.add(result[name]);
  }
  const seen = new Map<number, PortName>();
  for (const name of needed) {
    const other = seen.get(result[name]);
    if (other)
      throw new Error(
        `Ports for ${other} and ${name} are both ${result[name]}: give them different ports.`,
      );
    seen.set(result[name], name);
  }
  for (const name of needed) {
    if (!(await isPortFree(result[name]))) throw new PortInUseError(name, result[name]);
  }
  return result;
}
