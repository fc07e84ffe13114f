// What a journal still holds to revert, read as a viewer: `node pending.mjs <db>`.
import { sqliteStore } from '@faultline/store-sqlite';

const viewer = sqliteStore(process.argv[2], { readonly: true });
const pending = await viewer.pendingEntries();
await viewer.close();
console.log(JSON.stringify(pending.map((e) => [e.kind, e.state])));
