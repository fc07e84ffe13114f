/** What an HTTP toxic does to one request it matched. The engine applies the actions in toxic order. */
export type HttpAction =
  /** Answer at once with this status, headers and body; the upstream never sees the request. */
  | { kind: 'respond'; status: number; headers: Record<string, string>; body: string }
  /** Wait this many ms before the request goes on. */
  | { kind: 'delay'; ms: number }
  /** Reset the client's connection (RST) without an answer. */
  | { kind: 'abort' }
  /** Replace the upstream's response body (Content-Length follows). */
  | { kind: 'body'; body: string; contentType: string }
  /** Set or remove headers of the request (before it goes upstream) or of the response. */
  | { kind: 'headers'; target: 'request' | 'response'; set: Record<string, string>; remove: string[] };
