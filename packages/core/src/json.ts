/** A JSON value: what receipts, tunables and events are made of, so a fresh process can read them. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
/** A JSON object. */
export type JsonObject = { [key: string]: Json };
