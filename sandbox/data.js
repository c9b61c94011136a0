// Seeded records for the stand-in Fentu FSM API: a small regional HVAC and electrical contractor.

export const customers = [
  {
    id: 'CUS-1001',
    name: 'Harbourside Medical Centre',
    contact: 'Priya Raman',
    phone: '+44 20 7946 0101',
    address: '12 Quay Street, Bristol BS1 4DJ',
  },
  {
    id: 'CUS-1002',
    name: 'Northgate Primary School',
    contact: 'Tom Fairweather',
    phone: '+44 20 7946 0102',
    address: '3 Northgate Road, Bath BA1 5AN',
  },
  {
    id: 'CUS-1003',
    name: 'Cobalt Data Park',
    contact: 'Ines Duarte',
    phone: '+44 20 7946 0103',
    address: 'Unit 7, Aztec West, Bristol BS32 4TD',
  },
  {
    id: 'CUS-1004',
    name: 'The Old Mill Hotel',
    contact: 'Gareth Lloyd',
    phone: '+44 20 7946 0104',
    address: 'Mill Lane, Wells BA5 2PX',
  },
  {
    id: 'CUS-1005',
    name: 'Severn Cold Storage',
    contact: 'Marta Kowalski',
    phone: '+44 20 7946 0105',
    address: 'Dock Road, Avonmouth BS11 9DQ',
  },
  {
    id: 'CUS-1006',
    name: 'St Anne’s Library',
    contact: 'Olu Adeyemi',
    phone: '+44 20 7946 0106',
    address: '44 Church Street, Frome BA11 1PU',
  },
];

export const assets = [
  {
    id: 'AST-2001',
    customerId: 'CUS-1001',
    type: 'Chiller',
    model: 'Carrier AquaForce 30XW',
    serial: 'CX30-77812',
    installed: '2019-04-11',
    location: 'Roof plant room',
  },
  {
    id: 'AST-2002',
    customerId: 'CUS-1001',
    type: 'Standby generator',
    model: 'Cummins C550 D5',
    serial: 'CM-550-10293',
    installed: '2017-09-02',
    location: 'Basement B2',
  },
  {
    id: 'AST-2003',
    customerId: 'CUS-1002',
    type: 'Gas boiler',
    model: 'Ideal Evomax 2 150',
    serial: 'IE150-55120',
    installed: '2021-08-20',
    location: 'Boiler house',
  },
  {
    id: 'AST-2004',
    customerId: 'CUS-1003',
    type: 'CRAC unit',
    model: 'Vertiv Liebert PDX',
    serial: 'LPDX-41877',
    installed: '2022-02-14',
    location: 'Data hall 1',
  },
  {
    id: 'AST-2005',
    customerId: 'CUS-1003',
    type: 'UPS',
    model: 'Eaton 93PM 200kW',
    serial: 'E93-200-9921',
    installed: '2022-02-14',
    location: 'Electrical room',
  },
  {
    id: 'AST-2006',
    customerId: 'CUS-1004',
    type: 'Air handling unit',
    model: 'Daikin Professional AHU',
    serial: 'DAHU-30391',
    installed: '2016-05-30',
    location: 'Loft',
  },
  {
    id: 'AST-2007',
    customerId: 'CUS-1005',
    type: 'Refrigeration rack',
    model: 'Bitzer ECOLINE 6FE',
    serial: 'BZ6F-88410',
    installed: '2018-11-07',
    location: 'Compressor hall',
  },
  {
    id: 'AST-2008',
    customerId: 'CUS-1006',
    type: 'Fire alarm panel',
    model: 'Advanced MxPro 5',
    serial: 'MX5-12094',
    installed: '2020-01-16',
    location: 'Front office',
  },
];

const STATUSES = ['scheduled', 'in_progress', 'on_hold', 'completed'];

export const workOrders = [
  ['Quarterly chiller service', 'AST-2001', 'normal', 'scheduled', '2026-11-24T08:00:00Z'],
  ['Generator load-bank test', 'AST-2002', 'high', 'scheduled', '2026-11-25T07:30:00Z'],
  ['Boiler lockout — no heating in classrooms', 'AST-2003', 'urgent', 'in_progress', '2026-11-22T06:45:00Z'],
  ['CRAC unit high-pressure alarm', 'AST-2004', 'urgent', 'scheduled', '2026-11-23T09:00:00Z'],
  ['UPS battery string replacement', 'AST-2005', 'high', 'on_hold', '2026-11-28T10:00:00Z'],
  ['AHU filter change and belt inspection', 'AST-2006', 'low', 'scheduled', '2026-12-01T13:00:00Z'],
  ['Refrigeration rack oil leak', 'AST-2007', 'high', 'in_progress', '2026-11-22T11:00:00Z'],
  ['Annual fire alarm certification', 'AST-2008', 'normal', 'completed', '2026-11-18T09:30:00Z'],
].map(([title, assetId, priority, status, scheduledFor], i) => {
  if (!STATUSES.includes(status)) throw new Error(`bad seed status ${status}`);
  const asset = assets.find((a) => a.id === assetId);
  return {
    id: `WO-${3001 + i}`,
    title,
    customerId: asset.customerId,
    assetId,
    priority,
    status,
    scheduledFor,
    // Bumped by every change; the API's ETag is built from it (see work-orders.js).
    version: 1,
    holdReason: status === 'on_hold' ? 'Waiting for replacement batteries from the supplier' : null,
    completionNote: null,
    updatedAt: null,
  };
});

export const PRIORITIES = ['low', 'normal', 'high', 'urgent'];
