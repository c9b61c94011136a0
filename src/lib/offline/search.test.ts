import { describe, expect, it } from 'vitest';
import { rowAnchor, searchSaved, type SavedLists } from './search.js';

const LISTS: SavedLists = {
  jobs: [
    { id: 'WO-1', title: 'Chiller service', customerId: 'CUS-1', assetId: 'AST-1' },
    { id: 'WO-2', title: 'Replace filter', customerId: 'CUS-2' },
  ],
  customers: [
    { id: 'CUS-1', name: 'Harbourside Medical Centre', address: '1 Quay St' },
    { id: 'CUS-2', name: 'Café Zoë', address: '9 Hill Rd' },
  ],
  assets: [{ id: 'AST-1', type: 'Chiller', model: 'Carrier AquaForce', location: 'Roof' }],
};

describe('searchSaved', () => {
  it('finds nothing for an empty query', () => {
    expect(searchSaved(LISTS, '   ')).toEqual([]);
  });

  it('lists jobs, then customers, then assets, each with where it opens', () => {
    const hits = searchSaved(LISTS, 'chiller');
    expect(hits.map((hit) => [hit.kind, hit.id, hit.href])).toEqual([
      ['job', 'WO-1', '/jobs/WO-1'],
      ['asset', 'AST-1', `/#${rowAnchor('assets', 'AST-1')}`],
    ]);
  });

  it('matches a job on its customer’s name, every word, without case or accents', () => {
    expect(searchSaved(LISTS, 'cafe ZOE').map((hit) => [hit.kind, hit.id])).toEqual([
      ['job', 'WO-2'],
      ['customer', 'CUS-2'],
    ]);
    expect(searchSaved(LISTS, 'harbourside roof')).toEqual([]);
  });

  it('gives a job its customer as the second line', () => {
    expect(searchSaved(LISTS, 'WO-1')[0]).toMatchObject({
      label: 'Chiller service',
      detail: 'Harbourside Medical Centre',
    });
  });

  it('stops at the limit', () => {
    expect(searchSaved(LISTS, 'c', 2)).toHaveLength(2);
  });
});
