// The built-in destination deny list: E.164 prefixes (without '+') that operators
// commonly block by default because they are premium-rate (revenue shared with the
// number holder) or the usual targets of international revenue share fraud (IRSF):
// calls pumped by compromised PBXs to numbers whose termination fees the fraudster
// collects. A trunk's own allow list can re-open any of them (docs/security.md).

export interface DenyEntry {
  readonly prefix: string;
  readonly why: string;
}

export const DEFAULT_DENY: readonly DenyEntry[] = [
  // International non-geographic services (ITU-T E.164 shared codes)
  { prefix: '870', why: 'Inmarsat satellite' },
  { prefix: '881', why: 'global mobile satellite systems (Iridium, Globalstar, …)' },
  { prefix: '882', why: 'international networks (high IRSF use)' },
  { prefix: '883', why: 'international networks (high IRSF use)' },
  { prefix: '808', why: 'international shared-cost service' },
  { prefix: '979', why: 'international premium rate service' },
  // North American premium rate and the "one ring" Caribbean NANP codes
  { prefix: '1900', why: 'US/Canada premium rate (1-900)' },
  { prefix: '1268', why: 'Antigua and Barbuda (one-ring scam, IRSF)' },
  { prefix: '1284', why: 'British Virgin Islands (one-ring scam)' },
  { prefix: '1473', why: 'Grenada (one-ring scam)' },
  { prefix: '1649', why: 'Turks and Caicos (one-ring scam)' },
  { prefix: '1664', why: 'Montserrat (one-ring scam)' },
  { prefix: '1767', why: 'Dominica (one-ring scam)' },
  { prefix: '1809', why: 'Dominican Republic (one-ring scam)' },
  { prefix: '1829', why: 'Dominican Republic (one-ring scam)' },
  { prefix: '1849', why: 'Dominican Republic (one-ring scam)' },
  { prefix: '1876', why: 'Jamaica (one-ring scam)' },
  // European national premium-rate ranges, as E.164
  { prefix: '449', why: 'UK premium rate (09)' },
  { prefix: '4487', why: 'UK revenue-sharing 087' },
  { prefix: '4470', why: 'UK personal numbers (070), heavily abused' },
  { prefix: '49900', why: 'Germany premium rate (0900)' },
  { prefix: '49137', why: 'Germany mass-call service (0137)' },
  { prefix: '3389', why: 'France premium rate (089x)' },
  { prefix: '3908', why: 'Italy premium / shared (08x)' },
  { prefix: '39899', why: 'Italy premium rate (899)' },
  { prefix: '34803', why: 'Spain premium rate (803)' },
  { prefix: '34806', why: 'Spain premium rate (806)' },
  { prefix: '34807', why: 'Spain premium rate (807)' },
  { prefix: '34905', why: 'Spain mass-call (905)' },
  { prefix: '43900', why: 'Austria premium rate (0900)' },
  { prefix: '43930', why: 'Austria premium rate (0930)' },
  { prefix: '41900', why: 'Switzerland premium rate (0900)' },
  { prefix: '41906', why: 'Switzerland premium rate (0906)' },
  { prefix: '3190', why: 'Netherlands premium rate (090x)' },
  { prefix: '32900', why: 'Belgium premium rate (0900)' },
  { prefix: '61190', why: 'Australia premium rate (190x)' },
  { prefix: '64900', why: 'New Zealand premium rate (0900)' },
  // Countries and territories that head industry IRSF reports (small, costly, rarely called legitimately)
  { prefix: '252', why: 'Somalia' },
  { prefix: '232', why: 'Sierra Leone' },
  { prefix: '224', why: 'Guinea' },
  { prefix: '245', why: 'Guinea-Bissau' },
  { prefix: '239', why: 'São Tomé and Príncipe' },
  { prefix: '246', why: 'Diego Garcia' },
  { prefix: '247', why: 'Ascension' },
  { prefix: '290', why: 'Saint Helena, Tristan da Cunha' },
  { prefix: '672', why: 'Australian External Territories, Antarctica' },
  { prefix: '674', why: 'Nauru' },
  { prefix: '675', why: 'Papua New Guinea' },
  { prefix: '677', why: 'Solomon Islands' },
  { prefix: '678', why: 'Vanuatu' },
  { prefix: '681', why: 'Wallis and Futuna' },
  { prefix: '682', why: 'Cook Islands' },
  { prefix: '683', why: 'Niue' },
  { prefix: '686', why: 'Kiribati' },
  { prefix: '688', why: 'Tuvalu' },
  { prefix: '690', why: 'Tokelau' },
  { prefix: '53', why: 'Cuba' },
];
