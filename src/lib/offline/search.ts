/**
 * Search over the lists saved on this device (work orders, customers, assets), so it works with
 * no signal. A job also matches on its customer's and asset's names; every word of the query must
 * match somewhere in the item, case and accents aside.
 */

type Row = { id: string } & Record<string, unknown>;

export interface SavedLists {
  jobs: Row[];
  customers: Row[];
  assets: Row[];
}

export type SearchKind = 'job' | 'customer' | 'asset';

export interface SearchHit {
  kind: SearchKind;
  id: string;
  /** What the item is called: the job's title, the customer's name, the asset's type and model. */
  label: string;
  /** A second line: the customer for a job, the address for a customer, the location for an asset. */
  detail: string;
  /** Where it opens: the job's page, or its row in the list on the home. */
  href: string;
}

const text = (value: unknown) => (typeof value === 'string' ? value : '');
const fold = (value: string) =>
  value
    .normalize('NFD')
    .replace(/\p{Diacritic}/gu, '')
    .toLowerCase();

/** The anchor of a saved list's row on the home: `customers-CUS-1001`. */
export function rowAnchor(list: 'customers' | 'assets' | 'work-orders', id: string): string {
  return `${list}-${id}`;
}

function matches(words: string[], fields: unknown[]): boolean {
  const haystack = fold(fields.map(text).join(' '));
  return words.every((word) => haystack.includes(word));
}

/** The saved items matching `query`: jobs first, then customers, then assets; at most `limit`. */
export function searchSaved(lists: SavedLists, query: string, limit = 20): SearchHit[] {
  const words = fold(query).split(/\s+/).filter(Boolean);
  if (!words.length) return [];
  const customer = (id: unknown) => lists.customers.find((row) => row.id === id);
  const asset = (id: unknown) => lists.assets.find((row) => row.id === id);
  const assetName = (row: Row | undefined) => (row ? [text(row.type), text(row.model)].filter(Boolean).join(' ') : '');
  const hits: SearchHit[] = [];
  for (const job of lists.jobs) {
    const who = customer(job.customerId);
    if (matches(words, [job.id, job.title, who?.name, who?.address, assetName(asset(job.assetId))]))
      hits.push({
        kind: 'job',
        id: job.id,
        label: text(job.title) || job.id,
        detail: text(who?.name),
        href: `/jobs/${encodeURIComponent(job.id)}`,
      });
  }
  for (const row of lists.customers) {
    if (matches(words, [row.id, row.name, row.contact, row.address]))
      hits.push({
        kind: 'customer',
        id: row.id,
        label: text(row.name) || row.id,
        detail: text(row.address),
        href: `/#${rowAnchor('customers', row.id)}`,
      });
  }
  for (const row of lists.assets) {
    if (matches(words, [row.id, row.type, row.model, row.location, row.serial]))
      hits.push({
        kind: 'asset',
        id: row.id,
        label: assetName(row) || row.id,
        detail: text(row.location),
        href: `/#${rowAnchor('assets', row.id)}`,
      });
  }
  return hits.slice(0, limit);
}
