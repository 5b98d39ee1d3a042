// Files of config/ besides main.json that every node holds the same (the API
// users). The running engine changes them only through the configuration
// store (ConfigStore.putDocument on the coordinating node, acceptDocument on
// the others); `mccs init` writes the first copy before any engine runs.
import { join } from 'node:path';
import { writeDurable } from '../model/durable-file.js';
import { MccsError } from '../model/errors.js';

/** Each shared document and the mode of its file. */
export const SHARED_DOCUMENTS = { 'users.json': 0o600 } as const;
export type SharedDocumentName = keyof typeof SHARED_DOCUMENTS;

export interface SharedDocument {
  name: SharedDocumentName;
  text: string;
}

/** The one writer of a shared document's file (durable, with the document's mode). */
export async function writeSharedDocument(configDir: string, document: SharedDocument): Promise<void> {
  if (!Object.hasOwn(SHARED_DOCUMENTS, document.name)) throw new MccsError('USAGE', `'${String(document.name)}' is not a shared document`);
  await writeDurable(join(configDir, document.name), document.text, SHARED_DOCUMENTS[document.name]);
}
