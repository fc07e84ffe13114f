import type { DurationInput, JsonObject } from '@faultline/core';
import {
  type NumberExpectation,
  numberComparator,
  ProbeBuilder,
  type StringExpectation,
  stringComparator,
} from './builder.js';
import { cmdProbe } from './cmd.js';
import { type HTTP_METHODS, httpProbe } from './http.js';
import { prometheusProbe } from './prometheus.js';
import { tcpProbe } from './tcp.js';

type HttpMethod = (typeof HTTP_METHODS)[number];

/** Builds a `probe/http` spec. */
export class HttpProbeBuilder extends ProbeBuilder {
  private mergeExpect(patch: JsonObject): this {
    return this.tune({
      expect: { ...((this.state.tunables.expect as JsonObject | undefined) ?? {}), ...patch },
    });
  }
  /** Comparator on the status code: `(200)`, `('<', 500)`, `('oneOf', [200, 204])`. */
  expectStatus(...args: NumberExpectation): this {
    return this.mergeExpect({ status: numberComparator('int', args) as unknown as JsonObject });
  }
  /** Comparator on the body: `('ok')`, `('contains', 'ok')`, `('matches', '^up')`. */
  expectBody(...args: StringExpectation): this {
    return this.mergeExpect({ body: stringComparator(args) as unknown as JsonObject });
  }
  /** Comparator on a JSON value of the body, at a simple path: `expectJson('$.status', 'equal', 'up')`. */
  expectJson(path: string, ...args: NumberExpectation | StringExpectation): this {
    const comparator =
      typeof args[args.length - 1] === 'string' || (Array.isArray(args[1]) && typeof args[1][0] === 'string')
        ? stringComparator(args as StringExpectation)
        : numberComparator('float', args as NumberExpectation);
    return this.mergeExpect({ json: { path, comparator: comparator as unknown as JsonObject } });
  }
  /** Request headers (merged). */
  headers(headers: Record<string, string>): this {
    return this.tune({
      headers: { ...((this.state.tunables.headers as Record<string, string> | undefined) ?? {}), ...headers },
    });
  }
  /** Request body. */
  body(body: string): this {
    return this.tune({ body });
  }
  /** TLS: `{ ca: pem }` for a private CA, `{ insecure: true }` to accept any certificate. */
  tls(tls: { ca?: string; insecure?: boolean }): this {
    return this.tune({ tls: { ...tls } });
  }
  /** Bound on the exchange below the attempt's timeout. */
  responseTimeout(d: DurationInput): this {
    return this.tune({ responseTimeout: d });
  }
}

const request = (method: HttpMethod, url: string) =>
  new HttpProbeBuilder(httpProbe, { method, url }, `http ${method} ${url}`);

/** `probe/http` builders: `http.get(url).expectStatus(200)`. */
export const http = {
  request,
  get: (url: string) => request('GET', url),
  head: (url: string) => request('HEAD', url),
  post: (url: string, body?: string) =>
    body === undefined ? request('POST', url) : request('POST', url).body(body),
  put: (url: string, body?: string) =>
    body === undefined ? request('PUT', url) : request('PUT', url).body(body),
  delete: (url: string) => request('DELETE', url),
};

/** Builds a `probe/cmd` spec. */
export class CmdProbeBuilder extends ProbeBuilder {
  /** Comparator on trimmed stdout. */
  expectStdout(...args: StringExpectation): this {
    return this.tune({ stdout: stringComparator(args) as unknown as JsonObject });
  }
  /** Comparator on the exit code. */
  expectExitCode(...args: NumberExpectation): this {
    return this.tune({ exitCode: numberComparator('int', args) as unknown as JsonObject });
  }
  /** Extra environment variables. */
  env(env: Record<string, string>): this {
    return this.tune({ env: { ...env } });
  }
  /** Working directory. */
  cwd(cwd: string): this {
    return this.tune({ cwd });
  }
  /** Run inside a named network namespace. */
  namespace(name: string): this {
    return this.tune({ namespace: name });
  }
  /** Bound on the command below the attempt's timeout. */
  commandTimeout(d: DurationInput): this {
    return this.tune({ timeout: d });
  }
}

/** `probe/cmd` from an argv: `cmd(['curl', '-s', url])`; `cmd.shell('a | b')` for /bin/sh -c. */
export const cmd = Object.assign(
  (argv: string[]) => new CmdProbeBuilder(cmdProbe, { command: [...argv] }, `cmd ${argv.join(' ')}`),
  {
    /** A single string run by `/bin/sh -c` (explicit: argv never meets a shell otherwise). */
    shell: (script: string) =>
      new CmdProbeBuilder(cmdProbe, { command: script, shell: true }, `sh -c ${script}`),
  },
);

/** Builds a `probe/tcp` spec. */
export class TcpProbeBuilder extends ProbeBuilder {
  /** Comparator on the first bytes the server sends. */
  expectBanner(...args: StringExpectation): this {
    return this.tune({ expectBanner: stringComparator(args) as unknown as JsonObject });
  }
}

/** `probe/tcp`: `tcp('127.0.0.1', 22).expectBanner('contains', 'SSH')`. */
export const tcp = (host: string, port: number) =>
  new TcpProbeBuilder(tcpProbe, { host, port }, `tcp ${host}:${port}`);

/** Builds a `probe/prometheus` spec. */
export class PrometheusProbeBuilder extends ProbeBuilder {
  /** Comparator on the query's value (float). */
  expectValue(...args: NumberExpectation): this {
    return this.tune({ value: numberComparator('float', args) as unknown as JsonObject });
  }
  /** What an empty result means (default `fail`). */
  noData(behaviour: 'fail' | 'pass'): this {
    return this.tune({ noData: behaviour });
  }
}

/** `probe/prometheus`: `prometheus(endpoint, 'up{job="api"}').expectValue('==', 1)`. */
export const prometheus = (endpoint: string, query: string) =>
  new PrometheusProbeBuilder(prometheusProbe, { endpoint, query }, `prometheus ${query}`);
