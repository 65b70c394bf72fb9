// @ts-check
// The review's decisions, kept in this browser (IndexedDB) as they are
// made, keyed by the SHA-256 of the photo's bytes: reloading the page or
// opening the folder again (renamed or moved, too) finds them, and the same
// photo twice shares one decision. Every change is also logged, so undo
// works across a reload.

import { openDB } from 'idb';

const DATABASE = 'facegender-review';

/**
 * @typedef {{sha256: string, decision: string, path: string, at: number}} Decision
 * @typedef {{sha256: string, path: string, before: string | null, after: string | null, at: number}} Change
 */

export class DecisionStore {
  /** Opens (or makes) the database; rejects when the browser keeps no storage for the page. */
  static async open() {
    const db = await openDB(DATABASE, 1, {
      upgrade(database) {
        database.createObjectStore('decisions', { keyPath: 'sha256' });
        database.createObjectStore('changes', { autoIncrement: true });
      },
    });
    return new DecisionStore(db);
  }

  /** @param {import('idb').IDBPDatabase} db */
  constructor(db) {
    this.db = db;
  }

  /** Every decision, by SHA-256. @returns {Promise<Map<string, string>>} */
  async all() {
    /** @type {Decision[]} */
    const rows = await this.db.getAll('decisions');
    return new Map(rows.map((row) => [row.sha256, row.decision]));
  }

  /**
   * Records `decision` (null: none) for the photo with these bytes, and the
   * change for undo, in one transaction. Returns the decision it replaced.
   * @param {string} sha256
   * @param {string} path
   * @param {string | null} decision
   */
  async decide(sha256, path, decision) {
    const tx = this.db.transaction(['decisions', 'changes'], 'readwrite');
    const decisions = tx.objectStore('decisions');
    /** @type {Decision | undefined} */
    const old = await decisions.get(sha256);
    const before = old?.decision ?? null;
    if (decision === null) await decisions.delete(sha256);
    else await decisions.put({ sha256, decision, path, at: Date.now() });
    await tx.objectStore('changes').add({ sha256, path, before, after: decision, at: Date.now() });
    await tx.done;
    return before;
  }

  /**
   * Takes back the last change (also one made before a reload): restores the
   * decision it replaced and forgets the change. Returns {sha256, path,
   * decision} (the restored decision, null for none), or null when there is
   * nothing to undo.
   */
  async undo() {
    const tx = this.db.transaction(['decisions', 'changes'], 'readwrite');
    const cursor = await tx.objectStore('changes').openCursor(null, 'prev');
    if (!cursor) {
      await tx.done;
      return null;
    }
    /** @type {Change} */
    const change = cursor.value;
    const decisions = tx.objectStore('decisions');
    if (change.before === null) await decisions.delete(change.sha256);
    else await decisions.put({ sha256: change.sha256, decision: change.before, path: change.path, at: Date.now() });
    await cursor.delete();
    await tx.done;
    return { sha256: change.sha256, path: change.path, decision: change.before };
  }

  /** How many changes undo can take back. */
  changeCount() {
    return this.db.count('changes');
  }

  /** Forgets every decision and change. */
  async clear() {
    const tx = this.db.transaction(['decisions', 'changes'], 'readwrite');
    await Promise.all([tx.objectStore('decisions').clear(), tx.objectStore('changes').clear(), tx.done]);
  }
}
